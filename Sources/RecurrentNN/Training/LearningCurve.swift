import Foundation
import RecurrentData

/// A learning curve as SVG — the training loss of every epoch (left axis) and the dev metric of every
/// evaluation (right axis) against epochs — readable in any browser without running anything.
public enum LearningCurve {
    /// The SVG of a history.
    /// - Parameters:
    ///   - history: a `Trainer` run's history.
    ///   - metric: the dev metric's name (`dev accuracy`, `dev WER`).
    ///   - title: a title line.
    ///   - percent: whether the metric is a fraction shown as percent.
    public static func svg(_ history: TrainingHistory, metric: String, title: String = "Learning curve", percent: Bool = true) -> String {
        let (width, height, left, right, top, bottom) = (720.0, 400.0, 70.0, 80.0, 40.0, 50.0)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let losses = history.epochs.filter { $0.loss.isFinite }.map { (Double($0.epoch), $0.loss) }
        let metrics = history.evaluations.filter { !$0.averaged && $0.metric.isFinite }.map { ($0.epoch, $0.metric * (percent ? 100 : 1)) }
        let lastEpoch = Swift.max(1, (losses.map(\.0) + metrics.map(\.0)).max() ?? 1)
        func range(_ values: [Double]) -> (Double, Double) {
            guard let low = values.min(), let high = values.max() else { return (0, 1) }
            let pad = Swift.max((high - low) * 0.05, 1e-9)
            return (low - pad, high + pad)
        }
        let (lossLow, lossHigh) = range(losses.map(\.1)), (metricLow, metricHigh) = range(metrics.map(\.1))
        func x(_ epoch: Double) -> Double { left + plotWidth * epoch / lastEpoch }
        func y(_ value: Double, _ low: Double, _ high: Double) -> Double { top + plotHeight * (1 - (value - low) / (high - low)) }
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        func label(_ value: Double) -> String { Swift.abs(value) >= 100 ? String(format: "%.0f", value) : String(format: "%.3g", value) }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(number(width / 2))" y="22" text-anchor="middle" font-size="15">\(escaped(title))</text>
        <rect x="\(number(left))" y="\(number(top))" width="\(number(plotWidth))" height="\(number(plotHeight))" fill="none" stroke="#999"/>

        """
        for i in 0...4 {
            let fraction = Double(i) / 4, yy = top + plotHeight * (1 - fraction)
            svg += "<line x1=\"\(number(left))\" y1=\"\(number(yy))\" x2=\"\(number(left + plotWidth))\" y2=\"\(number(yy))\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(yy + 4))\" text-anchor=\"end\" fill=\"#1f77b4\">\(label(lossLow + fraction * (lossHigh - lossLow)))</text>\n"
            svg += "<text x=\"\(number(left + plotWidth + 6))\" y=\"\(number(yy + 4))\" fill=\"#d62728\">\(label(metricLow + fraction * (metricHigh - metricLow)))</text>\n"
        }
        let ticks = Swift.max(1, Int(lastEpoch.rounded(.up)))
        for epoch in stride(from: 0, through: ticks, by: Swift.max(1, ticks / 10)) {
            svg += "<text x=\"\(number(x(Double(epoch))))\" y=\"\(number(top + plotHeight + 18))\" text-anchor=\"middle\">\(epoch)</text>\n"
        }
        svg += "<text x=\"\(number(left + plotWidth))\" y=\"\(number(height - 8))\" text-anchor=\"end\">epoch</text>\n"
        func series(_ points: [(Double, Double)], _ low: Double, _ high: Double, _ color: String, _ name: String) {
            guard !points.isEmpty else { return }
            let path = points.map { "\(number(x($0.0))),\(number(y($0.1, low, high)))" }.joined(separator: " ")
            svg += "<polyline class=\"\(name)\" points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            for point in points {
                svg += "<circle cx=\"\(number(x(point.0)))\" cy=\"\(number(y(point.1, low, high)))\" r=\"3\" fill=\"\(color)\"/>\n"
            }
        }
        series(losses, lossLow, lossHigh, "#1f77b4", "loss")
        series(metrics, metricLow, metricHigh, "#d62728", "metric")
        if let best = history.evaluations.last(where: { $0.isBest && !$0.averaged }) {
            svg += "<line x1=\"\(number(x(best.epoch)))\" y1=\"\(number(top))\" x2=\"\(number(x(best.epoch)))\" y2=\"\(number(top + plotHeight))\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>\n"
        }
        let best = history.bestMetric.map { percent ? String(format: "%.2f%%", $0 * 100) : String(format: "%.4g", $0) } ?? "–"
        svg += "<text x=\"\(number(left))\" y=\"\(number(height - 8))\" fill=\"#1f77b4\">— training loss</text>\n"
        svg += "<text x=\"\(number(left + 120))\" y=\"\(number(height - 8))\" fill=\"#d62728\">— \(escaped(metric))\(percent ? " (%)" : "") · best \(best)</text>\n"
        return svg + "</svg>\n"
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The file name written beside a model.
    public static let fileName = "learning-curve.svg"
}

/// Writes `learning-curve.svg` into a folder after every epoch (when the folder exists, that is once the
/// model has first been saved there), atomically.
public final class LearningCurveWriter: TrainingCallback {
    /// The folder.
    public let folder: URL
    /// The metric's name and whether it is a fraction shown as percent.
    public let metric: String, percent: Bool
    /// The title.
    public let title: String

    /// Makes a writer.
    public init(folder: URL, metric: String, title: String, percent: Bool = true) {
        (self.folder, self.metric, self.title, self.percent) = (folder, metric, title, percent)
    }

    public func trainerDidFinishEpoch(_ trainer: TrainerProgress, epoch: TrainingHistory.Epoch, history: TrainingHistory) throws {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) else { return }
        try AtomicFile.write(text: LearningCurve.svg(history, metric: metric, title: title, percent: percent),
                             to: folder.appendingPathComponent(LearningCurve.fileName))
    }
}
