import Foundation
import RecurrentCore

/// Every gate of one LSTM layer and direction, step by step, for one sequence: the brief's story of the
/// forget, input and output gates, read from a real model.
///
/// Each field is `[steps][hiddenSize]` (`hidden` is `[steps][outputSize]`), in the order of the input:
/// entry `t` is the step that read input `t`, for the backward direction too.
public struct LSTMGateTrace: Equatable, Sendable {
    /// `i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)`: how much of the candidate enters the cell.
    public var input: [[Float]] = []
    /// `f_t = σ(…)`: how much of the previous cell is kept.
    public var forget: [[Float]] = []
    /// `g_t = tanh(…)`: the candidate cell values.
    public var candidate: [[Float]] = []
    /// `o_t = σ(…)`: how much of the cell is shown as the hidden state.
    public var output: [[Float]] = []
    /// `c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t`.
    public var cell: [[Float]] = []
    /// `h_t = o_t ⊙ tanh(c_t)` (times `weight_hr` with a projection).
    public var hidden: [[Float]] = []

    public init() {}
}

extension LSTM {
    /// Runs one sequence through the network step by step in plain arithmetic, from zero initial states and
    /// without dropout, recording every gate. It reads the same parameters as `callAsFunction`, so the last
    /// layer's `hidden`, joined over directions, is that call's `output` for this sequence alone (tested).
    /// Meant for showing and checking a model, not for speed.
    ///
    /// - Parameter sequence: `[steps, inputSize]`, steps ≥ 1.
    /// - Returns: `[layer][direction]` traces (direction 0 forward, 1 backward).
    /// - Throws: `RecurrentInputError.inputShape` for another shape.
    public func gateTrace(_ sequence: Tensor) throws -> [[LSTMGateTrace]] {
        guard sequence.rank == 2, sequence.shape[0] >= 1, sequence.shape[1] == inputSize else {
            throw RecurrentInputError.inputShape(expected: "[steps ≥ 1, \(inputSize)]", found: sequence.shape)
        }
        let steps = sequence.shape[0]
        let values = sequence.scalars
        var layerInput: [[Float]] = (0..<steps).map { Array(values[($0 * inputSize)..<(($0 + 1) * inputSize)]) }
        var result: [[LSTMGateTrace]] = []
        for layer in layers {
            let traces = layer.enumerated().map { direction, parameters in
                Self.trace(layerInput, backward: direction == 1, hiddenSize: hiddenSize,
                           weightIH: parameters.weightIH.value.scalars, weightHH: parameters.weightHH.value.scalars,
                           biasIH: parameters.biasIH?.value.scalars, biasHH: parameters.biasHH?.value.scalars,
                           projection: parameters.projection?.value.scalars)
            }
            layerInput = (0..<steps).map { t in traces.flatMap { $0.hidden[t] } }
            result.append(traces)
        }
        return result
    }

    private static func trace(_ inputs: [[Float]], backward: Bool, hiddenSize H: Int, weightIH: [Float], weightHH: [Float],
                              biasIH: [Float]?, biasHH: [Float]?, projection: [Float]?) -> LSTMGateTrace {
        let I = inputs[0].count
        let P = projection == nil ? H : projection!.count / H
        var trace = LSTMGateTrace()
        var h = [Float](repeating: 0, count: P), c = [Float](repeating: 0, count: H)
        var steps: [(Int, [Float], [Float], [Float], [Float], [Float], [Float])] = []
        for t in backward ? Array(inputs.indices.reversed()) : Array(inputs.indices) {
            let x = inputs[t]
            var pre = [Float](repeating: 0, count: 4 * H)
            for row in 0..<(4 * H) {
                var sum = (biasIH?[row] ?? 0) + (biasHH?[row] ?? 0)
                for k in 0..<I { sum += weightIH[row * I + k] * x[k] }
                for k in 0..<P { sum += weightHH[row * P + k] * h[k] }
                pre[row] = sum
            }
            func sigmoid(_ v: Float) -> Float { 1 / (1 + exp(-v)) }
            let i = (0..<H).map { sigmoid(pre[$0]) }                 // PyTorch's gate order: i, f, g, o
            let f = (0..<H).map { sigmoid(pre[H + $0]) }
            let g = (0..<H).map { tanh(pre[2 * H + $0]) }
            let o = (0..<H).map { sigmoid(pre[3 * H + $0]) }
            c = (0..<H).map { f[$0] * c[$0] + i[$0] * g[$0] }
            let shown = (0..<H).map { o[$0] * tanh(c[$0]) }
            if let projection {
                h = (0..<P).map { r in (0..<H).reduce(Float(0)) { $0 + projection[r * H + $1] * shown[$1] } }
            } else {
                h = shown
            }
            steps.append((t, i, f, g, o, c, h))
        }
        steps.sort { $0.0 < $1.0 }
        for (_, i, f, g, o, c, h) in steps {
            trace.input.append(i)
            trace.forget.append(f)
            trace.candidate.append(g)
            trace.output.append(o)
            trace.cell.append(c)
            trace.hidden.append(h)
        }
        return trace
    }
}
