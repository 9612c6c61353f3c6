import RecurrentCore

/// One step of a recurrence: the building block that `RecurrentLayer` runs over time.
///
/// Conform a class to this protocol to get multi-layer, bidirectional and variable-length handling from
/// `RecurrentLayer` for free. Write `step` with differentiable tensor operations; gradients follow.
public protocol RecurrentCell: Module {
    /// Features of each input step.
    var inputSize: Int { get }
    /// Size of the hidden state (and of each step's output).
    var outputSize: Int { get }
    /// The all-zeros state for a batch (hidden `[batch, outputSize]`, and a cell state when the cell has one).
    func zeroState(batchSize: Int) -> RecurrentState
    /// Advances one step.
    ///
    /// - Parameters:
    ///   - input: `[batch, inputSize]`.
    ///   - state: the previous state.
    /// - Returns: the next state; its `hidden` is this step's output.
    func step(_ input: Tensor, _ state: RecurrentState) -> RecurrentState

    /// The part of a step that depends on the input alone (an input projection), for all steps at once:
    /// `RecurrentLayer` calls it once per layer and direction on `[steps × batch, inputSize]` — one matrix
    /// product instead of one per step — and then `step(projected:_:)` with each step's rows. Return nil
    /// (the default) to have `step(_:_:)` called with the raw input instead.
    ///
    /// - Parameter inputs: `[rows, inputSize]`.
    /// - Returns: `[rows, projectedSize]`, or nil.
    func projectInputs(_ inputs: Tensor) -> Tensor?

    /// Advances one step from a projected input (`[batch, projectedSize]`, rows of `projectInputs`).
    func step(projected: Tensor, _ state: RecurrentState) -> RecurrentState
}

extension RecurrentCell {
    /// No hoisting.
    public func projectInputs(_ inputs: Tensor) -> Tensor? { nil }

    /// `step(_:_:)` (for cells that do not project their inputs).
    public func step(projected: Tensor, _ state: RecurrentState) -> RecurrentState { step(projected, state) }
}

/// The shared machinery of the three built-in cells: parameters named as PyTorch's cells
/// (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`) and a step run by the fused kernel with one time step.
public class FusedCell: RecurrentCell {
    /// The recurrence.
    public let kind: RecurrenceKind
    /// Features per input.
    public let inputSize: Int
    /// Hidden units.
    public let hiddenSize: Int
    /// `[G·H, I]`, `[G·H, H]`, `[G·H]`, `[G·H]`.
    public let weightIH: Parameter, weightHH: Parameter, biasIH: Parameter?, biasHH: Parameter?

    init(kind: RecurrenceKind, inputSize: Int, hiddenSize: Int, bias: Bool, seed: UInt64) {
        precondition(inputSize > 0 && hiddenSize > 0, "cell sizes must be positive")
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        var rng = Xoshiro256StarStar(seed: seed)
        let bound = 1 / Float(hiddenSize).squareRoot()
        let rows = kind.gateCount * hiddenSize
        func uniform(_ shape: [Int]) -> Parameter { Parameter(Tensor.uniform(shape, low: -bound, high: bound, using: &rng)) }
        weightIH = uniform([rows, inputSize])
        weightHH = uniform([rows, hiddenSize])
        biasIH = bias ? uniform([rows]) : nil
        biasHH = bias ? uniform([rows]) : nil
    }

    /// `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        [("weight_ih", weightIH), ("weight_hh", weightHH)] + (biasIH.map { [("bias_ih", $0)] } ?? [])
            + (biasHH.map { [("bias_hh", $0)] } ?? [])
    }

    /// Size of the hidden state.
    public var outputSize: Int { hiddenSize }

    /// Zeros: hidden `[batch, H]` (and cell `[batch, H]` for an LSTM cell).
    public func zeroState(batchSize: Int) -> RecurrentState {
        RecurrentState(hidden: .zeros([batchSize, hiddenSize]), cell: kind.hasCell ? .zeros([batchSize, hiddenSize]) : nil)
    }

    /// Checks shapes and advances one step.
    ///
    /// - Parameters:
    ///   - input: `[batch, inputSize]`.
    ///   - state: hidden `[batch, H]` (and cell `[batch, H]` for an LSTM cell).
    /// - Throws: `RecurrentInputError` on a wrong shape.
    public func callAsFunction(_ input: Tensor, _ state: RecurrentState) throws -> RecurrentState {
        guard input.rank == 2, input.shape[1] == inputSize else {
            throw RecurrentInputError.inputShape(expected: "[batch, \(inputSize)]", found: input.shape)
        }
        let expected = [input.shape[0], hiddenSize]
        guard state.hidden.shape == expected else {
            throw RecurrentInputError.stateShape(name: "h", expected: expected, found: state.hidden.shape)
        }
        if kind.hasCell {
            guard let c = state.cell else { throw RecurrentInputError.cellState("an LSTM cell needs a cell state") }
            guard c.shape == expected else { throw RecurrentInputError.stateShape(name: "c", expected: expected, found: c.shape) }
        } else if state.cell != nil {
            throw RecurrentInputError.cellState("only an LSTM cell takes a cell state")
        }
        return step(input, state)
    }

    /// One step without shape checks (see `callAsFunction` for the shapes).
    public func step(_ input: Tensor, _ state: RecurrentState) -> RecurrentState {
        let batch = input.shape[0]
        let parameters = RecurrentDirectionParameters(inputWeight: weightIH.value, hiddenWeight: weightHH.value,
                                                      inputBias: biasIH?.value, hiddenBias: biasHH?.value, projection: nil)
        let result = FusedRecurrentLayer.run(
            kind: kind, hidden: hiddenSize, x: input.reshaped([1, batch, inputSize]),
            h0: state.hidden.reshaped([1, batch, hiddenSize]), c0: state.cell?.reshaped([1, batch, hiddenSize]),
            lengths: nil, directions: [parameters])
        return RecurrentState(hidden: result.hidden.reshaped([batch, hiddenSize]),
                              cell: result.cell?.reshaped([batch, hiddenSize]))
    }
}

/// `torch.nn.RNNCell`: `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)` (or relu).
public final class RNNCell: FusedCell {
    /// Makes a cell with PyTorch's default initialization U(−1/√H, 1/√H).
    public init(inputSize: Int, hiddenSize: Int, nonlinearity: RNN.Nonlinearity = .tanh, bias: Bool = true, seed: UInt64 = 0) {
        super.init(kind: nonlinearity == .tanh ? .rnnTanh : .rnnReLU, inputSize: inputSize, hiddenSize: hiddenSize,
                   bias: bias, seed: seed)
    }
}

/// `torch.nn.LSTMCell`: gates i, f, g, o; state (h, c).
public final class LSTMCell: FusedCell {
    /// Makes a cell with PyTorch's default initialization U(−1/√H, 1/√H).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, seed: UInt64 = 0) {
        super.init(kind: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, seed: seed)
    }
}

/// `torch.nn.GRUCell`: gates r, z, n.
public final class GRUCell: FusedCell {
    /// Makes a cell with PyTorch's default initialization U(−1/√H, 1/√H).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, seed: UInt64 = 0) {
        super.init(kind: .gru, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, seed: seed)
    }
}
