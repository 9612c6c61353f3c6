import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// Cross entropy written out with `logSoftmax`, in Double, from PyTorch's definition.
func referenceCrossEntropy(_ logits: Tensor, _ targets: [Int], ignoreIndex: Int, smoothing: Double) -> Double {
    let classes = logits.shape.last!
    let logP = logits.reshaped([-1, classes]).logSoftmax()
    var total = 0.0, counted = 0
    for (r, t) in targets.enumerated() where t != ignoreIndex {
        let row = (0..<classes).map { Double(logP[r, $0]) }
        total += (1 - smoothing) * -row[t] + smoothing * -row.reduce(0, +) / Double(classes)
        counted += 1
    }
    return total / Double(counted)
}

@Suite struct CrossEntropyTests {
    @Test(arguments: [(-100, 0.0), (-100, 0.1), (2, 0.0), (0, 0.25), (-100, 1.0)] as [(Int, Float)])
    func valueAndGradientsMatchTheDefinition(ignoreIndex: Int, smoothing: Float) throws {
        var g = TestTensors(seed: 1)
        let logits = g.uniform([6, 5], -3, 3)
        let targets = [3, ignoreIndex, 0, 4, ignoreIndex, 1]
        let loss = try crossEntropy(logits: logits, targets: IntTensor(targets), ignoreIndex: ignoreIndex, labelSmoothing: smoothing)
        #expect(loss.shape == [])
        let expected = referenceCrossEntropy(logits, targets, ignoreIndex: ignoreIndex, smoothing: Double(smoothing))
        #expect(abs(Double(loss.item) - expected) <= 1e-6 * (1 + abs(expected)))
        let mismatches = GradientCheck.mismatches([logits], tolerance: 5e-3) { t in
            try! crossEntropy(logits: t[0], targets: IntTensor(targets), ignoreIndex: ignoreIndex, labelSmoothing: smoothing)
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(4))")
    }

    @Test func ignoredRowsGetNoGradient() throws {
        var g = TestTensors(seed: 2)
        let logits = g.uniform([3, 4]).requiringGradient()
        try crossEntropy(logits: logits, targets: IntTensor([1, -100, 2]), labelSmoothing: 0.2).backward()
        #expect((0..<4).allSatisfy { logits.grad![1, $0] == 0 })
        // Each counted row's gradient sums to 0 (softmax minus a distribution).
        #expect(abs((0..<4).map { logits.grad![0, $0] }.reduce(0, +)) < 1e-6)
    }

    @Test func higherRankLogitsAreFlattenedWithTheClassAxisLast() throws {
        var g = TestTensors(seed: 3)
        let logits = g.uniform([2, 3, 4])
        let targets = IntTensor([[0, 3, -100], [2, 1, 1]])
        let flat = try crossEntropy(logits: logits.reshaped([6, 4]), targets: IntTensor(targets.scalars))
        let nested = try crossEntropy(logits: logits, targets: targets)
        #expect(flat.item == nested.item)
    }

    @Test func everyTargetIgnoredGivesNaNAndZeroGradientLikePyTorch() throws {
        let logits = Tensor.ones([2, 3]).requiringGradient()
        let loss = try crossEntropy(logits: logits, targets: IntTensor([-100, -100]))
        #expect(loss.item.isNaN)
        loss.backward()
        #expect(logits.grad!.scalars.allSatisfy { $0 == 0 })
    }

    @Test func errorsAreThrownWithClearMessages() {
        let logits = Tensor.zeros([3, 4])
        #expect(throws: LossError.shape(name: "targets", expected: "[3] (the logits' shape without the class axis)", found: [2])) {
            try crossEntropy(logits: logits, targets: IntTensor([0, 1]))
        }
        #expect(throws: LossError.targetOutOfRange(index: 2, target: 4, classCount: 4)) {
            try crossEntropy(logits: logits, targets: IntTensor([0, 1, 4]))
        }
        #expect(throws: LossError.labelSmoothing(1.5)) { try crossEntropy(logits: logits, targets: IntTensor([0, 1, 2]), labelSmoothing: 1.5) }
        #expect(throws: LossError.self) { try crossEntropy(logits: .zeros([3, 0]), targets: IntTensor([0, 1, 2])) }
        #expect(LossError.targetOutOfRange(index: 2, target: 4, classCount: 4).description
                == "targets[2] = 4 is not a class in 0..<4 nor the ignore index")
    }
}
