import Foundation
import RecurrentCore

/// A multi-layer, optionally bidirectional RNN, LSTM or GRU with PyTorch's semantics and parameter names,
/// run by fused kernels (one node of the gradient tape per layer).
///
/// Use the subclasses `RNN`, `LSTM` and `GRU`.
public class RecurrentNetwork: Module {
    /// The recurrence.
    public let kind: RecurrenceKind
    /// Features of each input step.
    public let inputSize: Int
    /// Hidden units per direction.
    public let hiddenSize: Int
    /// Stacked layers.
    public let layerCount: Int
    /// Whether the layers have `bias_ih` and `bias_hh`.
    public let hasBias: Bool
    /// Whether inputs and outputs are `[batch, seq, feature]` instead of `[seq, batch, feature]`.
    public let batchFirst: Bool
    /// Dropout probability on the outputs of every layer but the last, in training only.
    public let dropout: Float
    /// Whether each layer also runs backwards in time.
    public let bidirectional: Bool
    /// LSTM projection size (`proj_size`), 0 for none.
    public let projectionSize: Int
    /// DropConnect on the hidden-to-hidden weights (AWD-LSTM's weight drop), in training only: each call
    /// zeroes every entry of every `weight_hh` with this probability and scales the rest by 1/(1 − p), one
    /// mask for all time steps of the call (the weights stay shared over time). 0 (PyTorch's behaviour) by default.
    public var hiddenWeightDropout: Float = 0 {
        willSet { precondition(newValue >= 0 && newValue < 1, "RecurrentNetwork: hiddenWeightDropout must be in [0, 1)") }
    }
    /// Whether dropout is active (PyTorch's `train()` / `eval()`); true by default.
    public var isTraining = true
    /// The generator for dropout masks.
    public var generator: Xoshiro256StarStar

    /// `[layer][direction]` parameters.
    let layers: [[(weightIH: Parameter, weightHH: Parameter, biasIH: Parameter?, biasHH: Parameter?, projection: Parameter?)]]

    /// Packed hidden weights kept between inference calls, per layer and direction.
    private let packedWeightCaches: [[PackedWeightCache]]

    /// Directions: 2 when bidirectional, else 1.
    public var directionCount: Int { bidirectional ? 2 : 1 }
    /// Size of each direction's output and hidden state: `projectionSize` when set, else `hiddenSize`.
    public var outputSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }

    /// Makes a network with PyTorch's default initialization, every parameter drawn from U(−1/√H, 1/√H).
    ///
    /// - Parameters:
    ///   - kind: the recurrence.
    ///   - inputSize: `I`, features per input step.
    ///   - hiddenSize: `H`.
    ///   - layerCount: stacked layers (≥ 1).
    ///   - bias: whether to have biases.
    ///   - batchFirst: inputs and outputs `[batch, seq, feature]`.
    ///   - dropout: between layers, in training.
    ///   - bidirectional: run each layer in both directions.
    ///   - projectionSize: LSTM only: project `h` to this size (`0` for none; must be < H).
    ///   - seed: seeds the initial weights and the dropout generator.
    public init(kind: RecurrenceKind, inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
                batchFirst: Bool = false, dropout: Float = 0, bidirectional: Bool = false, projectionSize: Int = 0,
                seed: UInt64 = 0) {
        precondition(inputSize > 0 && hiddenSize > 0 && layerCount > 0, "RecurrentNetwork: sizes must be positive")
        precondition(projectionSize == 0 || (kind == .lstm && projectionSize < hiddenSize),
                     "RecurrentNetwork: projectionSize needs an LSTM and must be smaller than hiddenSize")
        precondition(dropout >= 0 && dropout < 1, "RecurrentNetwork: dropout must be in [0, 1)")
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.hasBias = bias
        self.batchFirst = batchFirst
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.projectionSize = projectionSize
        var rng = Xoshiro256StarStar(seed: seed)
        let bound = 1 / Float(hiddenSize).squareRoot()
        func uniform(_ shape: [Int]) -> Parameter { Parameter(Tensor.uniform(shape, low: -bound, high: bound, using: &rng)) }
        let gates = kind.gateCount * hiddenSize
        let p = projectionSize > 0 ? projectionSize : hiddenSize
        let directions = bidirectional ? 2 : 1
        var layers: [[(weightIH: Parameter, weightHH: Parameter, biasIH: Parameter?, biasHH: Parameter?, projection: Parameter?)]] = []
        for layer in 0..<layerCount {
            let layerInput = layer == 0 ? inputSize : p * directions
            layers.append((0..<directions).map { _ in
                (weightIH: uniform([gates, layerInput]), weightHH: uniform([gates, p]),
                 biasIH: bias ? uniform([gates]) : nil, biasHH: bias ? uniform([gates]) : nil,
                 projection: projectionSize > 0 ? uniform([projectionSize, hiddenSize]) : nil)
            })
        }
        self.layers = layers
        self.packedWeightCaches = layers.map { $0.map { _ in PackedWeightCache() } }
        self.generator = Xoshiro256StarStar(seed: seed &+ 0x5EED)
    }

    /// PyTorch's keys: `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `weight_hr_l0`, and the
    /// same with `_reverse` for the backward direction; per layer, per direction, in that order.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        var result: [(key: String, parameter: Parameter)] = []
        for (l, layer) in layers.enumerated() {
            for (d, p) in layer.enumerated() {
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                result.append(("weight_ih" + suffix, p.weightIH))
                result.append(("weight_hh" + suffix, p.weightHH))
                if let b = p.biasIH { result.append(("bias_ih" + suffix, b)) }
                if let b = p.biasHH { result.append(("bias_hh" + suffix, b)) }
                if let w = p.projection { result.append(("weight_hr" + suffix, w)) }
            }
        }
        return result
    }

    /// Runs the network over a batch of sequences.
    ///
    /// - Parameters:
    ///   - input: `[seq, batch, inputSize]`, or `[batch, seq, inputSize]` when `batchFirst`.
    ///   - initialState: `h_0` `[layers × directions, batch, outputSize]` and, for LSTMs, `c_0`
    ///     `[layers × directions, batch, hiddenSize]`; zeros when nil.
    ///   - lengths: `[batch]` valid lengths, each in `1...seq`, in any order; nil when all are full.
    /// - Returns: `output` `[seq, batch, directions × outputSize]` (batch-first when configured), `hidden` and
    ///   `cell` `[layers × directions, batch, …]`.
    /// - Throws: `RecurrentInputError` for wrong shapes or lengths.
    public func callAsFunction(_ input: Tensor, initialState: RecurrentState? = nil, lengths: [Int]? = nil) throws -> RecurrentOutput {
        guard input.rank == 3, input.shape[2] == inputSize else {
            throw RecurrentInputError.inputShape(expected: batchFirst ? "[batch, seq, \(inputSize)]" : "[seq, batch, \(inputSize)]",
                                                 found: input.shape)
        }
        let x = batchFirst ? input.permuted([1, 0, 2]) : input
        let (steps, batch) = (x.shape[0], x.shape[1])
        guard steps > 0 && batch > 0 else {
            throw RecurrentInputError.inputShape(expected: "a non-empty sequence and batch", found: input.shape)
        }
        if let lengths {
            guard lengths.count == batch else { throw RecurrentInputError.lengthsCount(expected: batch, found: lengths.count) }
            for (i, length) in lengths.enumerated() where length < 1 || length > steps {
                throw RecurrentInputError.lengthOutOfRange(index: i, length: length, sequenceLength: steps)
            }
        }
        let stack = layerCount * directionCount
        let h0: Tensor, c0: Tensor?
        if let initialState {
            let expected = [stack, batch, outputSize]
            guard initialState.hidden.shape == expected else {
                throw RecurrentInputError.stateShape(name: "h_0", expected: expected, found: initialState.hidden.shape)
            }
            h0 = initialState.hidden
            if kind.hasCell {
                guard let c = initialState.cell else { throw RecurrentInputError.cellState("an LSTM needs c_0 with h_0") }
                guard c.shape == [stack, batch, hiddenSize] else {
                    throw RecurrentInputError.stateShape(name: "c_0", expected: [stack, batch, hiddenSize], found: c.shape)
                }
                c0 = c
            } else {
                guard initialState.cell == nil else { throw RecurrentInputError.cellState("only an LSTM takes a cell state") }
                c0 = nil
            }
        } else {
            h0 = Tensor.zeros([stack, batch, outputSize])
            c0 = kind.hasCell ? Tensor.zeros([stack, batch, hiddenSize]) : nil
        }

        var layerInput = x
        var hiddens: [Tensor] = [], cells: [Tensor] = []
        let D = directionCount
        for (l, layer) in layers.enumerated() {
            let dropsWeights = isTraining && hiddenWeightDropout > 0
            let directions = layer.enumerated().map { d, p in
                let hiddenWeight = dropsWeights
                    ? p.weightHH.value.dropout(probability: hiddenWeightDropout, training: true, using: &generator) : p.weightHH.value
                var parameters = RecurrentDirectionParameters(
                    inputWeight: p.weightIH.value, hiddenWeight: hiddenWeight, inputBias: p.biasIH?.value,
                    hiddenBias: p.biasHH?.value, projection: p.projection?.value)
                if !dropsWeights { parameters.cache = (packedWeightCaches[l][d], [p.weightHH.version, p.weightIH.version]) }
                return parameters
            }
            let layerH0 = layerCount == 1 ? h0 : h0.narrowed(axis: 0, start: l * D, length: D)
            let layerC0 = c0.map { layerCount == 1 ? $0 : $0.narrowed(axis: 0, start: l * D, length: D) }
            let result = FusedRecurrentLayer.run(kind: kind, hidden: hiddenSize, x: layerInput, h0: layerH0, c0: layerC0,
                                                 lengths: lengths, directions: directions)
            hiddens.append(result.hidden)
            if let cell = result.cell { cells.append(cell) }
            layerInput = result.output
            if l < layerCount - 1 && dropout > 0 && isTraining {
                layerInput = layerInput.dropout(probability: dropout, training: true, using: &generator)
            }
        }
        let output = batchFirst ? layerInput.permuted([1, 0, 2]) : layerInput
        let hidden = hiddens.count == 1 ? hiddens[0] : Tensor.concatenate(hiddens, axis: 0)
        let cell = kind.hasCell ? (cells.count == 1 ? cells[0] : Tensor.concatenate(cells, axis: 0)) : nil
        return RecurrentOutput(output: output, hidden: hidden, cell: cell)
    }
}

/// An Elman RNN (`torch.nn.RNN`): `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)` (or relu).
public final class RNN: RecurrentNetwork {
    /// The nonlinearity of an `RNN`.
    public enum Nonlinearity: String, Sendable { case tanh, relu }

    /// See `RecurrentNetwork.init`; `nonlinearity` is tanh (default) or relu.
    public init(inputSize: Int, hiddenSize: Int, layerCount: Int = 1, nonlinearity: Nonlinearity = .tanh, bias: Bool = true,
                batchFirst: Bool = false, dropout: Float = 0, bidirectional: Bool = false, seed: UInt64 = 0) {
        super.init(kind: nonlinearity == .tanh ? .rnnTanh : .rnnReLU, inputSize: inputSize, hiddenSize: hiddenSize,
                   layerCount: layerCount, bias: bias, batchFirst: batchFirst, dropout: dropout,
                   bidirectional: bidirectional, seed: seed)
    }
}

/// A long short-term memory network (`torch.nn.LSTM`), gates i, f, g, o, optional projection.
public final class LSTM: RecurrentNetwork {
    /// See `RecurrentNetwork.init`.
    public init(inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Float = 0, bidirectional: Bool = false, projectionSize: Int = 0, seed: UInt64 = 0) {
        super.init(kind: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional,
                   projectionSize: projectionSize, seed: seed)
    }
}

/// A gated recurrent unit network (`torch.nn.GRU`), gates r, z, n.
public final class GRU: RecurrentNetwork {
    /// See `RecurrentNetwork.init`.
    public init(inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Float = 0, bidirectional: Bool = false, seed: UInt64 = 0) {
        super.init(kind: .gru, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, seed: seed)
    }
}
