import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

@Suite("LSTM gate traces")
struct LSTMGateTraceTests {
    /// The step-by-step arithmetic of `gateTrace` against the fused kernels (themselves checked against
    /// PyTorch's golden cases): the last layer's hidden states, both directions, and the final states.
    @Test(arguments: [(layers: 1, bidirectional: false, projection: 0), (2, true, 0), (2, true, 3)])
    func traceReproducesTheNetwork(layers: Int, bidirectional: Bool, projection: Int) throws {
        let lstm = LSTM(inputSize: 5, hiddenSize: 6, layerCount: layers, bidirectional: bidirectional, projectionSize: projection, seed: 3)
        lstm.isTraining = false
        var g = TestTensors(seed: 4)
        let steps = 7
        let x = g.uniform([steps, 1, 5], -2, 2)
        let run = try lstm(x)
        let traces = try lstm.gateTrace(x.reshaped([steps, 5]))
        #expect(traces.count == layers && traces.allSatisfy { $0.count == lstm.directionCount })
        let last = traces[layers - 1]
        let traced = Tensor(shape: [steps, 1, lstm.directionCount * lstm.outputSize],
                            scalars: (0..<steps).flatMap { t in last.flatMap { $0.hidden[t] } })
        #expect(traced.isApproximatelyEqual(to: run.output, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        // h_n: the forward direction's last step, the backward direction's first.
        for (l, layer) in traces.enumerated() {
            for (d, trace) in layer.enumerated() {
                let final = d == 0 ? trace.hidden[steps - 1] : trace.hidden[0]
                let expected = Array(run.hidden.scalars[((l * lstm.directionCount + d) * lstm.outputSize)...].prefix(lstm.outputSize))
                #expect(zip(final, expected).allSatisfy { abs($0 - $1) <= 1e-5 }, "h_n of layer \(l) direction \(d)")
                let finalCell = d == 0 ? trace.cell[steps - 1] : trace.cell[0]
                let expectedCell = Array(run.cell!.scalars[((l * lstm.directionCount + d) * 6)...].prefix(6))
                #expect(zip(finalCell, expectedCell).allSatisfy { abs($0 - $1) <= 1e-5 }, "c_n of layer \(l) direction \(d)")
            }
        }
    }

    @Test func gatesAreInTheirRangesAndTheCellFollowsThem() throws {
        let lstm = LSTM(inputSize: 4, hiddenSize: 8, seed: 9)
        var g = TestTensors(seed: 10)
        let trace = try lstm.gateTrace(g.uniform([5, 4], -3, 3))[0][0]
        for gate in [trace.input, trace.forget, trace.output] {
            #expect(gate.count == 5 && gate.allSatisfy { $0.count == 8 && $0.allSatisfy { $0 > 0 && $0 < 1 } })
        }
        #expect(trace.candidate.allSatisfy { $0.allSatisfy { $0 > -1 && $0 < 1 } })
        for t in 0..<5 {
            for u in 0..<8 {
                let previous: Float = t == 0 ? 0 : trace.cell[t - 1][u]
                let cell = trace.forget[t][u] * previous + trace.input[t][u] * trace.candidate[t][u]
                #expect(abs(trace.cell[t][u] - cell) <= 1e-6)
            }
        }
    }

    @Test func wrongShapesAreErrors() {
        let lstm = LSTM(inputSize: 4, hiddenSize: 3)
        #expect(throws: RecurrentInputError.self) { try lstm.gateTrace(Tensor.zeros([5, 3])) }
        #expect(throws: RecurrentInputError.self) { try lstm.gateTrace(Tensor.zeros([1, 5, 4])) }
    }
}
