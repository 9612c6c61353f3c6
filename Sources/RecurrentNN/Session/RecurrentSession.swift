import CRecurrentKernels
import RecurrentCore

/// A recurrent network run one token (or one chunk) at a time, keeping its state between calls: the one way
/// to generate, to stream and to serve with a recurrent model.
///
/// A session takes a snapshot of the network's weights when it is made (its "packed" form: both biases
/// folded into one, GRU's `b_hn` kept apart), so a step reads them directly and allocates nothing: every
/// buffer is made once. Its `state` is a value: copy it to fork a stream (beam search, several users of one
/// model), assign it to go back. Batch 1; unidirectional networks only (a step cannot look ahead).
///
/// ```swift
/// let lstm = LSTM(inputSize: 8, hiddenSize: 16, layerCount: 2)
/// let session = try RecurrentSession(lstm)
/// let h1 = session.step([Float](repeating: 0.5, count: 8))   // [16]: the last layer's output
/// let saved = session.state                                  // fork
/// _ = session.step([Float](repeating: -1, count: 8))
/// session.state = saved                                      // back to just after the first step
/// ```
///
/// A session and the network share nothing mutable: after training the network further, call
/// `reloadWeights()` (or make a new session). One session is for one thread at a time; make one per thread.
public final class RecurrentSession {
    /// The state between steps: every layer's hidden state (and cell state for LSTMs), batch 1.
    public struct State: Equatable, Sendable {
        /// `[layers, outputSize]`, row-major.
        public var hidden: [Float]
        /// `[layers, hiddenSize]` for LSTMs; empty otherwise.
        public var cell: [Float]

        /// As the network's `initialState`: `h` `[layers, 1, outputSize]`, `c` `[layers, 1, hiddenSize]`.
        public func recurrentState(layers: Int) -> RecurrentState {
            let h = Tensor(shape: [layers, 1, hidden.count / layers], scalars: hidden)
            return RecurrentState(hidden: h, cell: cell.isEmpty ? nil : Tensor(shape: [layers, 1, cell.count / layers], scalars: cell))
        }
    }

    /// Why a session cannot be made or fed.
    public enum SessionError: Error, CustomStringConvertible, Equatable {
        /// The network runs in both directions.
        case bidirectional
        /// An input's size is not the network's.
        case inputSize(expected: Int, found: Int)
        /// A state of the wrong size was assigned.
        case stateSize(expected: Int, found: Int)

        public var description: String {
            switch self {
            case .bidirectional: return "a session runs forward in time; a bidirectional network needs the whole sequence"
            case .inputSize(let expected, let found): return "the input has \(found) features; the network takes \(expected)"
            case .stateSize(let expected, let found): return "the state has \(found) values; the network's has \(expected)"
            }
        }
    }

    /// One layer's weights, laid out for a step.
    private struct LayerWeights {
        var input: [Float], hidden: [Float], bias: [Float], hiddenNBias: [Float]?, projection: [Float]?
        var inputSize: Int
    }

    /// The network.
    public let network: RecurrentNetwork
    /// The recurrence.
    public var kind: RecurrenceKind { network.kind }
    /// Features of each input.
    public var inputSize: Int { network.inputSize }
    /// Features of each output (the last layer's hidden state).
    public var outputSize: Int { network.outputSize }
    /// Layers.
    public var layerCount: Int { network.layerCount }

    /// The carried state; assign a saved one to restore it (it must come from a session of the same network shape).
    public var state: State {
        get { State(hidden: Array(hidden), cell: Array(cell)) }
        set {
            precondition(newValue.hidden.count == hidden.count && newValue.cell.count == cell.count,
                         "RecurrentSession: a state of another network's shape")
            _ = newValue.hidden.withUnsafeBufferPointer { hidden.update(fromContentsOf: $0) }
            _ = newValue.cell.withUnsafeBufferPointer { cell.update(fromContentsOf: $0) }
        }
    }

    private var weights: [LayerWeights] = []
    private let hidden: UnsafeMutableBufferPointer<Float>
    private let cell: UnsafeMutableBufferPointer<Float>
    private let inputProjection: UnsafeMutableBufferPointer<Float>
    private let hiddenProjection: UnsafeMutableBufferPointer<Float>
    private let unprojected: UnsafeMutableBufferPointer<Float>

    /// Makes a session at the zero state over a snapshot of `network`'s weights.
    /// - Parameter network: a unidirectional `RNN`, `LSTM` or `GRU`, any number of layers, with or without projection.
    /// - Throws: `SessionError.bidirectional`.
    public init(_ network: RecurrentNetwork) throws(SessionError) {
        guard !network.bidirectional else { throw .bidirectional }
        self.network = network
        let (L, H, P, GH) = (network.layerCount, network.hiddenSize, network.outputSize, network.kind.gateCount * network.hiddenSize)
        func zeros(_ n: Int) -> UnsafeMutableBufferPointer<Float> {
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: Swift.max(n, 1))
            buffer.initialize(repeating: 0)
            return UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
        }
        hidden = zeros(L * P)
        cell = zeros(network.kind.hasCell ? L * H : 0)
        inputProjection = zeros(GH)
        hiddenProjection = zeros(GH)
        unprojected = zeros(H)
        reloadWeights()
    }

    deinit {
        for buffer in [hidden, cell, inputProjection, hiddenProjection, unprojected] { buffer.baseAddress?.deallocate() }
    }

    /// Takes a new snapshot of the network's weights (after they changed); the state is kept.
    public func reloadWeights() {
        let H = network.hiddenSize, GH = network.kind.gateCount * H
        weights = network.layers.map { directions in
            let p = directions[0]
            var bias = p.biasIH?.value.scalars ?? [Float](repeating: 0, count: GH)
            var hiddenNBias: [Float]? = nil
            if let b = p.biasHH?.value.scalars {
                // GRU: b_hn is multiplied by the reset gate, so only r's and z's hidden biases fold in.
                let folded = network.kind == .gru ? 2 * H : GH
                for j in 0..<folded { bias[j] += b[j] }
                if network.kind == .gru { hiddenNBias = Array(b[(2 * H)...]) }
            } else if network.kind == .gru {
                hiddenNBias = [Float](repeating: 0, count: H)
            }
            return LayerWeights(input: p.weightIH.value.scalars, hidden: p.weightHH.value.scalars, bias: bias,
                                hiddenNBias: hiddenNBias, projection: p.projection?.value.scalars, inputSize: p.weightIH.shape[1])
        }
    }

    /// Reads the latest output — the last layer's hidden state, `[outputSize]` — in place.
    public func withOutput<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: hidden.baseAddress! + (layerCount - 1) * outputSize, count: outputSize))
    }

    /// Goes back to the zero state.
    public func reset() {
        hidden.update(repeating: 0)
        cell.update(repeating: 0)
    }

    /// Layer 0's input projection of inputs, `W_ih x + b_ih + b_hh` (GRU: `b_hh` of r and z only), for
    /// `step(projectedInput:)`: precompute it once for a fixed set of inputs (an embedding table) and a
    /// step skips layer 0's input product.
    /// - Parameter inputs: `[N, inputSize]`.
    /// - Returns: `[N, gateCount × hiddenSize]`.
    public func inputProjections(of inputs: Tensor) throws(SessionError) -> Tensor {
        guard inputs.rank == 2, inputs.shape[1] == inputSize else { throw .inputSize(expected: inputSize, found: inputs.shape.last ?? 0) }
        let GH = network.kind.gateCount * network.hiddenSize, n = inputs.shape[0]
        var result = [Float](repeating: 0, count: n * GH)
        let w = weights[0]
        inputs.scalars.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { out in
                for row in 0..<n {
                    rk_gemv_rows(GH, inputSize, w.input, inputSize, x.baseAddress! + row * inputSize, w.bias,
                                 out.baseAddress! + row * GH, 0)
                }
            }
        }
        return Tensor(shape: [n, GH], scalars: result)
    }

    /// Advances one step.
    /// - Parameter input: `[inputSize]`.
    /// - Returns: the last layer's new hidden state, `[outputSize]`: valid until the next call.
    @discardableResult
    public func step(_ input: UnsafeBufferPointer<Float>) -> UnsafeBufferPointer<Float> {
        precondition(input.count == inputSize, "RecurrentSession.step: \(input.count) inputs for a network of \(inputSize)")
        let w = weights[0]
        rk_gemv_rows(inputProjection.count, inputSize, w.input, inputSize, input.baseAddress!, w.bias, inputProjection.baseAddress!, 0)
        return run(from: 0)
    }

    /// Advances one step from layer 0's input projection (a row of `inputProjections(of:)`).
    /// - Parameter projectedInput: `[gateCount × hiddenSize]`.
    /// - Returns: the last layer's new hidden state, `[outputSize]`: valid until the next call.
    @discardableResult
    public func step(projectedInput: UnsafeBufferPointer<Float>) -> UnsafeBufferPointer<Float> {
        precondition(projectedInput.count == inputProjection.count, "RecurrentSession.step: a projection of \(projectedInput.count) values, expected \(inputProjection.count)")
        _ = inputProjection.update(fromContentsOf: projectedInput)
        return run(from: 0)
    }

    /// Advances one step.
    /// - Parameter input: `[inputSize]`.
    /// - Returns: the last layer's new hidden state `[outputSize]`.
    /// - Throws: `SessionError.inputSize`.
    public func step(_ input: [Float]) throws(SessionError) -> [Float] {
        guard input.count == inputSize else { throw .inputSize(expected: inputSize, found: input.count) }
        return input.withUnsafeBufferPointer { Array(step($0)) }
    }

    /// Feeds a chunk of steps at once through the network's fused layers (one product for all the chunk's
    /// inputs per layer), carrying the state in and out: the same result as stepping through them one by one.
    /// - Parameter inputs: `[steps, inputSize]`.
    /// - Returns: the last layer's outputs `[steps, outputSize]`.
    public func feed(_ inputs: Tensor) throws -> Tensor {
        guard inputs.rank == 2, inputs.shape[1] == inputSize, inputs.shape[0] > 0 else {
            throw SessionError.inputSize(expected: inputSize, found: inputs.rank == 2 ? inputs.shape[1] : 0)
        }
        let wasTraining = network.isTraining
        network.isTraining = false
        defer { network.isTraining = wasTraining }
        let result = try withoutGradients {
            try network(inputs.reshaped([inputs.shape[0], 1, inputSize]), initialState: state.recurrentState(layers: layerCount))
        }
        state = State(hidden: result.hidden.scalars, cell: result.cell?.scalars ?? [])
        return result.output.reshaped([inputs.shape[0], outputSize])
    }

    /// Runs every layer from `first`, layer `first`'s input projection being in `inputProjection`.
    private func run(from first: Int) -> UnsafeBufferPointer<Float> {
        let (H, P, GH) = (network.hiddenSize, network.outputSize, network.kind.gateCount * network.hiddenSize)
        let a = inputProjection.baseAddress!, r = hiddenProjection.baseAddress!
        for l in first..<weights.count {
            let w = weights[l]
            let h = hidden.baseAddress! + l * P
            if l > first {
                rk_gemv_rows(GH, w.inputSize, w.input, w.inputSize, hidden.baseAddress! + (l - 1) * P, w.bias, a, 0)
            }
            rk_gemv_rows(GH, P, w.hidden, P, h, nil, r, 0)
            switch network.kind {
            case .lstm:
                let c = cell.baseAddress! + l * H
                if let projection = w.projection {
                    rk_lstm_forward_row(H, a, r, c, unprojected.baseAddress!, nil)
                    rk_gemv_rows(P, H, projection, H, unprojected.baseAddress!, nil, h, 0)
                } else {
                    rk_lstm_forward_row(H, a, r, c, h, nil)
                }
            case .gru:
                w.hiddenNBias!.withUnsafeBufferPointer { rk_gru_forward_row(H, a, r, $0.baseAddress!, h, nil, nil) }
            case .rnnTanh, .rnnReLU:
                rk_rnn_forward_row(H, a, r, network.kind == .rnnReLU ? 1 : 0, h)
            }
        }
        return UnsafeBufferPointer(start: hidden.baseAddress! + (weights.count - 1) * P, count: P)
    }
}
