import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// SDPA built from plain tensor ops (no row can be fully masked here): the reference the fused kernel must equal.
func referenceAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, allowed: BoolMask? = nil, causal: Bool = false,
                        scale: Float) -> (output: Tensor, weights: Tensor) {
    let (lq, lk) = (q.shape[q.rank - 2], k.shape[k.rank - 2])
    var mask = allowed
    if causal {
        let c = BoolMask.causal(queryCount: lq, keyCount: lk)
        mask = mask.map { $0.and(c)! } ?? c
    }
    var scores = q.matmul(k.transposed()) * scale
    if let mask { scores = scores.maskedFill(where: mask.inverted.asFloat, with: -.infinity) }
    let weights = scores.softmax()
    return (weights.matmul(v), weights)
}

/// Output and weights flattened into one vector, so one gradient check covers both.
func flatAttention(_ r: AttentionResult) -> Tensor {
    Tensor.concatenate([r.output.reshaped([-1]), r.weights.reshaped([-1])], axis: 0)
}

/// A reproducible random mask with `probability` of true, and column 0 always true (no empty row).
func randomMask(_ shape: [Int], probability: Float = 0.6, seed: UInt64) -> BoolMask {
    var rng = Xoshiro256StarStar(seed: seed)
    var values = (0..<Shape.count(shape)).map { _ in rng.nextFloat() < probability }
    let columns = shape.last!
    for row in 0..<(values.count / columns) { values[row * columns] = true }
    return BoolMask(shape: shape, values: values)
}

@Suite struct ScaledDotProductAttentionTests {
    @Test(arguments: [false, true])
    func equalsTheReferenceBuiltFromTensorOps(causal: Bool) throws {
        var g = TestTensors(seed: 1)
        let (q, k, v) = (g.uniform([2, 3, 4, 5]), g.uniform([2, 3, 6, 5]), g.uniform([2, 3, 6, 7]))
        let mask = randomMask([2, 1, 4, 6], seed: 2)
        let ours = try scaledDotProductAttention(query: q, key: k, value: v, mask: mask, isCausal: causal)
        let reference = referenceAttention(q, k, v, allowed: mask, causal: causal, scale: 1 / Float(5).squareRoot())
        #expect(ours.output.shape == [2, 3, 4, 7] && ours.weights.shape == [2, 3, 4, 6])
        #expect(ours.output.isApproximatelyEqual(to: reference.output, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        #expect(ours.weights.isApproximatelyEqual(to: reference.weights, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
    }

    /// Enough slices to be split across threads (on a machine with more than one core), forward and backward.
    @Test func slicesSplitAcrossThreadsEqualTheReference() throws {
        var g = TestTensors(seed: 3)
        let (q, k, v) = (g.uniform([4, 3, 32, 16]), g.uniform([4, 3, 40, 16]), g.uniform([4, 3, 40, 8]))
        let up = g.uniform([4, 3, 32, 8])
        let mask = randomMask([4, 1, 32, 40], seed: 4)
        let leaves = [q, k, v].map { $0.requiringGradient() }
        let ours = try scaledDotProductAttention(query: leaves[0], key: leaves[1], value: leaves[2], mask: mask, isCausal: true)
        ours.output.backward(seed: up)
        let twins = [q, k, v].map { $0.requiringGradient() }
        let reference = referenceAttention(twins[0], twins[1], twins[2], allowed: mask, causal: true, scale: 0.25)
        reference.output.backward(seed: up)
        #expect(ours.output.isApproximatelyEqual(to: reference.output.detached(), relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        for (a, b) in zip(leaves, twins) {
            #expect(a.grad!.isApproximatelyEqual(to: b.grad!, relativeTolerance: 1e-4, absoluteTolerance: 1e-6))
        }
    }

    @Test(arguments: [(false, AttentionScale.standard), (true, .standard), (false, .custom(0.7)), (true, .unscaled)])
    func gradientsMatchFiniteDifferences(causal: Bool, scale: AttentionScale) {
        var g = TestTensors(seed: 5)
        let inputs = [g.uniform([2, 2, 3, 4]), g.uniform([2, 2, 5, 4]), g.uniform([2, 2, 5, 3])]
        let mismatches = GradientCheck.mismatches(inputs, tolerance: 5e-3) { t in
            flatAttention(try! scaledDotProductAttention(query: t[0], key: t[1], value: t[2], isCausal: causal, scale: scale))
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(4))")
    }

    @Test(arguments: [false, true])
    func gradientsWithABooleanMaskMatchFiniteDifferences(causal: Bool) {
        var g = TestTensors(seed: 6)
        let inputs = [g.uniform([2, 2, 4, 3]), g.uniform([2, 2, 5, 3]), g.uniform([2, 2, 5, 2])]
        let mask = randomMask([2, 1, 4, 5], probability: 0.5, seed: 7)
        let mismatches = GradientCheck.mismatches(inputs, tolerance: 5e-3) { t in
            flatAttention(try! scaledDotProductAttention(query: t[0], key: t[1], value: t[2], mask: mask, isCausal: causal))
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(4))")
    }

    @Test func batchAxesBroadcastAndTheirGradientsSumBack() throws {
        var g = TestTensors(seed: 8)
        let inputs = [g.uniform([2, 3, 4, 3]), g.uniform([1, 3, 5, 3]), g.uniform([3, 5, 2])]
        let r = try scaledDotProductAttention(query: inputs[0], key: inputs[1], value: inputs[2])
        #expect(r.output.shape == [2, 3, 4, 2] && r.weights.shape == [2, 3, 4, 5])
        let reference = referenceAttention(inputs[0], inputs[1].broadcast(to: [2, 3, 5, 3]), inputs[2].broadcast(to: [2, 3, 5, 2]),
                                           scale: 1 / Float(3).squareRoot())
        #expect(r.output.isApproximatelyEqual(to: reference.output, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        let mismatches = GradientCheck.mismatches(inputs, tolerance: 5e-3) { t in
            flatAttention(try! scaledDotProductAttention(query: t[0], key: t[1], value: t[2]))
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(4))")
    }

    @Test func weightsSumToOneOverAllowedKeysAndAreZeroElsewhere() throws {
        var g = TestTensors(seed: 9)
        let mask = randomMask([3, 4, 6], probability: 0.5, seed: 10)
        let r = try scaledDotProductAttention(query: g.uniform([3, 4, 2], -3, 3), key: g.uniform([3, 6, 2], -3, 3),
                                              value: g.uniform([3, 6, 2]), mask: mask, isCausal: true)
        let causal = BoolMask.causal(queryCount: 4, keyCount: 6)
        for b in 0..<3 {
            for i in 0..<4 {
                var total: Float = 0
                for j in 0..<6 {
                    let w = r.weights[b, i, j]
                    if mask.values[(b * 4 + i) * 6 + j] && causal.values[i * 6 + j] {
                        #expect(w > 0)
                        total += w
                    } else {
                        #expect(w == 0)
                    }
                }
                #expect(abs(total - 1) < 1e-6)
            }
        }
    }

    @Test func aFullyMaskedRowGivesZerosNotNaNAndZeroGradients() throws {
        var g = TestTensors(seed: 11)
        let q = g.uniform([1, 3, 4]).requiringGradient(), k = g.uniform([1, 5, 4]).requiringGradient()
        let v = g.uniform([1, 5, 2]).requiringGradient()
        var values = [Bool](repeating: true, count: 15)
        for j in 0..<5 { values[5 + j] = false }  // query 1 may attend nothing
        let r = try scaledDotProductAttention(query: q, key: k, value: v, mask: BoolMask(shape: [3, 5], values: values))
        #expect(!r.output.scalars.contains { $0.isNaN } && !r.weights.scalars.contains { $0.isNaN })
        #expect((0..<5).allSatisfy { r.weights[0, 1, $0] == 0 })
        #expect(r.output[0, 1, 0] == 0 && r.output[0, 1, 1] == 0)
        flatAttention(r).sum().backward()
        #expect((0..<4).allSatisfy { q.grad![0, 1, $0] == 0 })
        #expect(![q, k, v].contains { $0.grad!.scalars.contains { $0.isNaN } })
        // The same row, fully masked by causality plus a mask: no key j ≤ 0 is allowed for query 0.
        let causal = try scaledDotProductAttention(query: q, key: k, value: v, mask: BoolMask([false, true, true, true, true]),
                                                   isCausal: true)
        #expect((0..<5).allSatisfy { causal.weights[0, 0, $0] == 0 } && causal.output[0, 0, 0] == 0)
        let gradientMismatches = GradientCheck.mismatches([q, k, v].map { $0.detached() }, tolerance: 5e-3) { t in
            flatAttention(try! scaledDotProductAttention(query: t[0], key: t[1], value: t[2], mask: BoolMask(shape: [3, 5], values: values)))
        }
        #expect(gradientMismatches.isEmpty)
    }

    @Test func causalIsAlignedAtTheTopLeftLikePyTorch() throws {
        var g = TestTensors(seed: 12)
        let r = try scaledDotProductAttention(query: g.uniform([2, 3]), key: g.uniform([4, 3]), value: g.uniform([4, 2]), isCausal: true)
        #expect(r.weights[0, 0] == 1 && r.weights[0, 1] == 0 && r.weights[1, 2] == 0 && r.weights[1, 0] > 0)
    }

    @Test func emptyKeysGiveZeroOutput() throws {
        let r = try scaledDotProductAttention(query: .ones([2, 3]), key: .zeros([0, 3]), value: .zeros([0, 4]))
        #expect(r.output.shape == [2, 4] && r.output.scalars.allSatisfy { $0 == 0 } && r.weights.shape == [2, 0])
    }

    @Test func shapeErrorsAreThrownWithClearMessages() {
        let q = Tensor.zeros([2, 3, 4]), k = Tensor.zeros([2, 5, 4]), v = Tensor.zeros([2, 5, 6])
        #expect(throws: AttentionError.inputShape(name: "query", expected: "[..., Lq, d]", found: [4])) {
            try scaledDotProductAttention(query: .zeros([4]), key: k, value: v)
        }
        #expect(throws: AttentionError.inputShape(name: "key", expected: "[..., Lk, 4] (the query's depth)", found: [2, 5, 3])) {
            try scaledDotProductAttention(query: q, key: .zeros([2, 5, 3]), value: v)
        }
        #expect(throws: AttentionError.inputShape(name: "value", expected: "[..., 5, dv] (the key count)", found: [2, 4, 6])) {
            try scaledDotProductAttention(query: q, key: k, value: .zeros([2, 4, 6]))
        }
        #expect(throws: AttentionError.self) { try scaledDotProductAttention(query: .zeros([3, 3, 4]), key: k, value: v) }
        let error = AttentionError.maskShape(name: "mask", found: [5, 3], target: [2, 3, 5])
        #expect(throws: error) { try scaledDotProductAttention(query: q, key: k, value: v, mask: .full([5, 3], true)) }
        #expect(error.description == "mask has shape [5, 3], which does not broadcast to the attention weights' shape [2, 3, 5]")
    }
}

@Suite struct MaskedSoftmaxTests {
    /// The vectorized exponential behind every attention softmax agrees with `Tensor.softmax` (libm `exp`)
    /// over a wide range of scores, to a few float ulps.
    @Test func equalsSoftmaxWithoutAMask() throws {
        var g = TestTensors(seed: 13)
        for (low, high) in [(-1, 1), (-30, 30), (-100, 100)] as [(Float, Float)] {
            let x = g.uniform([7, 37], low, high)
            let ours = try x.maskedSoftmax(allowed: nil)
            #expect(ours.isApproximatelyEqual(to: x.softmax(), relativeTolerance: 2e-6, absoluteTolerance: 1e-30))
        }
    }

    @Test func gradientsMatchFiniteDifferencesWithMaskAndCausal() {
        var g = TestTensors(seed: 14)
        let mask = randomMask([2, 1, 5], probability: 0.5, seed: 15)
        let mismatches = GradientCheck.mismatches([g.uniform([2, 4, 5])], tolerance: 5e-3) { t in
            try! t[0].maskedSoftmax(allowed: mask, isCausal: true)
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(4))")
    }

    @Test func maskShapeErrorIsThrown() {
        #expect(throws: AttentionError.self) { try Tensor.zeros([2, 3]).maskedSoftmax(allowed: .full([4], true)) }
    }
}
