/// Whether a smaller or a larger metric is better (a loss is minimized, an accuracy maximized).
public enum MetricMode: String, Codable, Sendable {
    /// Smaller is better (PyTorch's `mode="min"`).
    case min
    /// Larger is better (`mode="max"`).
    case max
}
