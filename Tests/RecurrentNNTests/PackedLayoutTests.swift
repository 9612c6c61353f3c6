import Testing
import RecurrentCore
@testable import RecurrentNN
import TestSupport

@Suite struct BatchLayoutTests {
    @Test func sortsEntriesByLengthAndPacksTheValidSteps() {
        let layout = BatchLayout(steps: 4, batch: 3, lengths: [2, 4, 2])
        #expect(layout.order == [1, 0, 2])
        #expect(layout.activeRows == [3, 3, 1, 1])
        #expect(layout.rowOffsets == [0, 3, 6, 7, 8])
        #expect(layout.rows == 8)
        // Rows of a [T, B, 1] tensor whose value is 10·t + b.
        let full = (0..<4).flatMap { t in (0..<3).map { Float(10 * t + $0) } }
        var packed = [Float](repeating: -1, count: 8)
        full.withUnsafeBufferPointer { f in packed.withUnsafeMutableBufferPointer { layout.pack(f.baseAddress!, width: 1, into: $0.baseAddress!) } }
        #expect(packed == [1, 0, 2, 11, 10, 12, 21, 31])
        var back = [Float](repeating: -1, count: 12)
        packed.withUnsafeBufferPointer { p in back.withUnsafeMutableBufferPointer { layout.unpack(p.baseAddress!, width: 1, into: $0.baseAddress!) } }
        #expect(back == [0, 1, 2, 10, 11, 12, 0, 21, 0, 0, 31, 0])
    }

    @Test func fullLengthsAreTheIdentity() {
        let layout = BatchLayout(steps: 3, batch: 2, lengths: [3, 3])
        #expect(layout.isIdentity)
        #expect(layout.rowOffsets == [0, 2, 4, 6])
    }

    @Test func slicesCoverTheBatchAndBalanceTheSteps() {
        let lengths = [40, 3, 38, 2, 35, 5, 1, 30, 4, 2]
        let layout = BatchLayout(steps: 40, batch: lengths.count, lengths: lengths)
        let slices = layout.balancedSlices(2)
        #expect(slices.count == 2 && slices[0].lowerBound == 0 && slices[1].upperBound == lengths.count)
        #expect(slices[0].upperBound == slices[1].lowerBound)
        let sorted = lengths.sorted(by: >)
        let work = slices.map { $0.reduce(0) { $0 + sorted[$1] } }
        #expect(abs(work[0] - work[1]) <= sorted[0], "\(work)")
    }
}

@Suite(.serialized) struct ColumnInferenceRingTests {
    /// With a tiny piece size and ring, the inference path projects inputs in sub-step pieces, several
    /// steps at a time and across the ring's wrap-around; it must agree with the training path.
    @Test(arguments: RecurrenceKind.allCases)
    func smallRingAndPiecesMatchTheRowPath(kind: RecurrenceKind) throws {
        let net = RecurrentNetwork(kind: kind, inputSize: 9, hiddenSize: 64, bidirectional: true, seed: 51)
        var g = TestTensors(seed: 52)
        for (pieceRows, ringRows) in [(6, 13), (12, 40), (30, 31)] {
            // Each rank owns 32 units: a packed row of its projection is G·32 floats, a piece row 2·I·G·32 flops.
            let width = kind.gateCount * 32
            try FusedRecurrence.$pieceFlops.withValue(pieceRows * 2 * 9 * width) {
                try FusedRecurrence.$inputWindowFloats.withValue(ringRows * width) {
                    for (batch, lengths) in [(1, nil), (11, [7, 1, 3, 7, 2, 6, 5, 4, 7, 1, 2]), (20, nil)] as [(Int, [Int]?)] {
                        let x = g.uniform([7, batch, 9]).requiringGradient()
                        let recorded = try net(x, lengths: lengths)
                        let inferred = try withoutGradients { try net(x.detached(), lengths: lengths) }
                        #expect(inferred.output.isApproximatelyEqual(to: recorded.output, relativeTolerance: 1e-5, absoluteTolerance: 1e-6),
                                "\(kind) piece \(pieceRows) ring \(ringRows) batch \(batch)")
                        #expect(inferred.hidden.isApproximatelyEqual(to: recorded.hidden, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
                    }
                }
            }
        }
    }
}
