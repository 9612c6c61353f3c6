import RecurrentCore

/// The state a recurrence carries between steps: a hidden state, and for LSTMs a cell state.
///
/// For a cell: `hidden` is `[batch, hiddenOrProjected]`, `cell` is `[batch, hidden]`.
/// For a layer: both have a leading axis `layers × directions`.
public struct RecurrentState {
    /// `h`.
    public var hidden: Tensor
    /// `c` (LSTM only).
    public var cell: Tensor?

    /// Makes a state from a hidden state and an optional cell state.
    public init(hidden: Tensor, cell: Tensor? = nil) {
        self.hidden = hidden
        self.cell = cell
    }

    /// The same values off the gradient tape: the state a window hands the next in truncated backpropagation.
    public func detached() -> RecurrentState {
        RecurrentState(hidden: hidden.detached(), cell: cell?.detached())
    }
}

/// What a recurrent layer returns, named as in PyTorch: `output, (h_n, c_n)`.
public struct RecurrentOutput {
    /// `[seq, batch, directions × hiddenOrProjected]`, or `[batch, seq, …]` when batch-first; zero past each
    /// sequence's length.
    public var output: Tensor
    /// `h_n`: `[layers × directions, batch, hiddenOrProjected]` (never batch-first).
    public var hidden: Tensor
    /// `c_n`: `[layers × directions, batch, hidden]`, LSTM only.
    public var cell: Tensor?

    /// The final state (`h_n`, `c_n`).
    public var state: RecurrentState { RecurrentState(hidden: hidden, cell: cell) }
}
