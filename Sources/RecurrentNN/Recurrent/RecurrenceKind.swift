/// The four recurrences with fused kernels, and their gate layouts (PyTorch's).
public enum RecurrenceKind: String, Sendable, CaseIterable {
    /// `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`.
    case rnnTanh
    /// `h' = relu(W_ih x + b_ih + W_hh h + b_hh)`.
    case rnnReLU
    /// LSTM with gate rows ordered i, f, g, o.
    case lstm
    /// GRU with gate rows ordered r, z, n and `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`.
    case gru

    /// How many blocks of `hidden` rows the weight matrices have (1, 4 or 3).
    public var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnReLU: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// Whether the recurrence carries a cell state besides the hidden state.
    public var hasCell: Bool { self == .lstm }
}
