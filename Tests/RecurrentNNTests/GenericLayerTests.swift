import Testing
import RecurrentCore
@testable import RecurrentNN
import TestSupport

/// The generic layer over the built-in cells takes their hoisted input projection; values and gradients
/// agree with the fused layers, batch-first is a transpose, and the LSTM gate node passes a gradient check.
@Suite struct GenericLayerTests {
    @Test(arguments: RecurrenceKind.allCases)
    func gradientsEqualTheFusedLayers(kind: RecurrenceKind) throws {
        let net = RecurrentNetwork(kind: kind, inputSize: 5, hiddenSize: 6, layerCount: 2, bidirectional: true, seed: 21)
        let twin = genericTwin(of: net)
        var g = TestTensors(seed: 22)
        let x = g.uniform([7, 4, 5]), lengths = [7, 2, 5, 1]
        let seed = g.uniform([7, 4, 12])
        let xa = x.requiringGradient(), xb = x.requiringGradient()
        try net(xa, lengths: lengths).output.backward(seed: seed)
        try twin(xb, lengths: lengths).output.backward(seed: seed)
        #expect(xa.grad!.isApproximatelyEqual(to: xb.grad!, relativeTolerance: 1e-4, absoluteTolerance: 1e-5))
        let fused = Dictionary(uniqueKeysWithValues: net.namedParameters.map { ($0.key, $0.parameter) })
        for (l, layer) in twin.cells.enumerated() {
            for (d, cell) in layer.enumerated() {
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                for (key, parameter) in cell.namedParameters {
                    #expect(parameter.grad!.isApproximatelyEqual(to: fused[key + suffix]!.grad!, relativeTolerance: 1e-4, absoluteTolerance: 1e-5),
                            "\(kind) \(key)\(suffix)")
                }
            }
        }
    }

    @Test func batchFirstIsATransposeForTheGenericLayer() throws {
        let cells = [[LSTMCell(inputSize: 3, hiddenSize: 4, seed: 1), LSTMCell(inputSize: 3, hiddenSize: 4, seed: 2)]]
        let seqFirst = RecurrentLayer(cells: cells), batchFirst = RecurrentLayer(cells: cells, batchFirst: true)
        var g = TestTensors(seed: 23)
        let x = g.uniform([5, 2, 3])
        let a = try seqFirst(x, lengths: [5, 3]), b = try batchFirst(x.permuted([1, 0, 2]), lengths: [5, 3])
        #expect(b.output.shape == [2, 5, 8])
        #expect(b.output.permuted([1, 0, 2]).isApproximatelyEqual(to: a.output))
        #expect(b.hidden.isApproximatelyEqual(to: a.hidden) && b.cell!.isApproximatelyEqual(to: a.cell!))
        #expect(throws: RecurrentInputError.self) { try batchFirst(g.uniform([2, 5, 4])) }
    }

    @Test func lstmGateNodeMatchesFiniteDifferences() {
        var g = TestTensors(seed: 24)
        let mismatches = GradientCheck.mismatches([g.uniform([3, 8]), g.uniform([3, 8]), g.uniform([3, 2])], tolerance: 5e-3) { t in
            LSTMGates.apply(t[0], t[1], t[2], hidden: 2)
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }
}
