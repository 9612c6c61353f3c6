import Foundation
import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// A reproducible float mask: values in [−2, 2), about `fraction` of them −∞, column 0 never −∞.
func randomAdditiveMask(_ shape: [Int], fraction: Float = 0.3, seed: UInt64) -> Tensor {
    var rng = Xoshiro256StarStar(seed: seed)
    let columns = shape.last!
    let values = (0..<Shape.count(shape)).map { i -> Float in
        let value = rng.nextFloat() * 4 - 2
        return i % columns != 0 && rng.nextFloat() < fraction ? -.infinity : value
    }
    return Tensor(shape: shape, scalars: values)
}

/// Float (additive) masks for `scaledDotProductAttention` and `MultiheadAttention`, and MultiheadAttention's
/// kdim/vdim: equal to references built from tensor ops, gradients against finite differences, and the
/// committed PyTorch golden cases (every output and gradient compared, the worst error printed).
@Suite struct AdditiveMaskTests {
    @Test func sdpaAddsTheFloatMaskToTheScaledScores() throws {
        var g = TestTensors(seed: 11)
        let (q, k, v) = (g.uniform([2, 2, 3, 4]), g.uniform([2, 2, 5, 4]), g.uniform([2, 2, 5, 3]))
        let mask = randomAdditiveMask([2, 1, 3, 5], seed: 12)
        let ours = try scaledDotProductAttention(query: q, key: k, value: v, additiveMask: mask, scale: 0.6)
        let weights = (q.matmul(k.transposed()) * 0.6 + mask).softmax()
        #expect(ours.weights.isApproximatelyEqual(to: weights, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        #expect(ours.output.isApproximatelyEqual(to: weights.matmul(v), relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        #expect(ours.weights.scalars.enumerated().allSatisfy { i, w in mask.scalars[i % 15 + (i / 30) * 15].isFinite || w == 0 })
    }

    @Test func aMinusInfinityMaskEqualsTheBooleanMaskAndBothCombine() throws {
        var g = TestTensors(seed: 13)
        let (q, k, v) = (g.uniform([2, 3, 4]), g.uniform([2, 6, 4]), g.uniform([2, 6, 2]))
        let allowed = randomMask([2, 3, 6], probability: 0.5, seed: 14)
        let additive = Tensor(shape: allowed.shape, scalars: allowed.values.map { $0 ? 0 : -.infinity })
        let viaBool = try scaledDotProductAttention(query: q, key: k, value: v, mask: allowed)
        let viaFloat = try scaledDotProductAttention(query: q, key: k, value: v, additiveMask: additive)
        #expect(viaBool.weights.scalars == viaFloat.weights.scalars)
        let shift = randomAdditiveMask([3, 6], fraction: 0, seed: 15)
        let both = try scaledDotProductAttention(query: q, key: k, value: v, mask: allowed, additiveMask: shift)
        let summed = try scaledDotProductAttention(query: q, key: k, value: v, additiveMask: additive + shift)
        #expect(both.weights.isApproximatelyEqual(to: summed.weights, relativeTolerance: 1e-6, absoluteTolerance: 1e-7))
    }

    @Test func aFullyMaskedFloatRowGivesZerosAsPyTorch() throws {
        var g = TestTensors(seed: 16)
        let (q, k, v) = (g.uniform([1, 2, 3]).requiringGradient(), g.uniform([1, 3, 3]), g.uniform([1, 3, 2]))
        let mask = Tensor(shape: [2, 3], scalars: [0, 1, -.infinity, -.infinity, -.infinity, -.infinity])
        let result = try scaledDotProductAttention(query: q, key: k, value: v, additiveMask: mask)
        #expect(Array(result.output.scalars[2...]) == [0, 0] && Array(result.weights.scalars[3...]) == [0, 0, 0])
        result.output.sum().backward()
        #expect(Array(q.grad!.scalars[3...]) == [0, 0, 0] && q.grad!.scalars.allSatisfy(\.isFinite))
    }

    @Test func aFloatMaskOfTheWrongShapeIsAnError() {
        let x = Tensor.zeros([1, 2, 3])
        #expect(throws: AttentionError.maskShape(name: "additiveMask", found: [3, 3], target: [1, 2, 2])) {
            try scaledDotProductAttention(query: x, key: x, value: x, additiveMask: Tensor.zeros([3, 3]))
        }
    }

    @Test(arguments: [false, true])
    func sdpaGradientsWithAFloatMaskMatchFiniteDifferences(causal: Bool) {
        var g = TestTensors(seed: 17)
        let inputs = [g.uniform([2, 2, 3, 4]), g.uniform([2, 2, 5, 4]), g.uniform([2, 2, 5, 3])]
        let mask = randomAdditiveMask([2, 1, 3, 5], seed: 18)
        let mismatches = GradientCheck.mismatches(inputs, tolerance: 5e-3) { t in
            flatAttention(try! scaledDotProductAttention(query: t[0], key: t[1], value: t[2], additiveMask: mask, isCausal: causal))
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(4))")
    }

    @Test(arguments: [false, true])
    func multiheadGradientsWithAFloatAttentionMaskAndABooleanPaddingMaskMatchFiniteDifferences(batchFirst: Bool) {
        let layer = multiheadLayer(batchFirst: batchFirst, seed: 19)
        var g = TestTensors(seed: 20)
        let (n, l, s, e) = (2, 3, 4, 6)
        let shape = { (length: Int) in batchFirst ? [n, length, e] : [length, n, e] }
        let padding = BoolMask([[false, false, false, true], [false, false, true, true]])
        let mask = randomAdditiveMask([l, s], seed: 21)
        let mismatches = multiheadGradientMismatches(layer, inputs: [g.uniform(shape(l)), g.uniform(shape(s)), g.uniform(shape(s))]) { t in
            try layer(query: t[0], key: t[1], value: t[2], keyPaddingMask: padding, additiveAttentionMask: mask)
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(4))")
    }

    @Test func multiheadGradientsWithKdimVdimMatchFiniteDifferences() {
        let layer = MultiheadAttention(embedDimension: 6, headCount: 3, keyDimension: 5, valueDimension: 2, seed: 22)
        var g = TestTensors(seed: 23)
        layer.inProjectionBias!.value = g.uniform([18], -0.5, 0.5)
        layer.outProjectionBias!.value = g.uniform([6], -0.5, 0.5)
        let padding = Tensor(shape: [2, 3], scalars: [0, 0.5, -.infinity, -1, 0, 0.25])
        let mismatches = multiheadGradientMismatches(layer, inputs: [g.uniform([4, 2, 6]), g.uniform([3, 2, 5]), g.uniform([3, 2, 2])]) { t in
            try layer(query: t[0], key: t[1], value: t[2], averageAttentionWeights: false, additiveKeyPaddingMask: padding)
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(4))")
    }

    @Test func kdimVdimUsePyTorchsSeparateProjectionKeys() throws {
        let layer = MultiheadAttention(embedDimension: 4, headCount: 2, keyDimension: 3, valueDimension: 5)
        #expect(layer.namedParameters.map(\.key) == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                                                     "out_proj.weight", "out_proj.bias"])
        #expect(layer.namedParameters.map(\.parameter.shape) == [[4, 4], [4, 3], [4, 5], [12], [4, 4], [4]])
        #expect(MultiheadAttention(embedDimension: 4, headCount: 2, keyDimension: 4, valueDimension: 4).inProjectionWeight != nil)
        #expect(throws: AttentionError.inputShape(name: "key", expected: "[S, 1, 3]", found: [2, 1, 4])) {
            try layer(query: Tensor.zeros([2, 1, 4]), key: Tensor.zeros([2, 1, 4]), value: Tensor.zeros([2, 1, 5]))
        }
    }

    @Test func unsupportedPyTorchFeaturesAreThrown() {
        #expect(throws: AttentionError.unsupported("add_bias_kv")) {
            try MultiheadAttention(embedDimension: 4, headCount: 2, addBiasKV: true, addZeroAttention: false)
        }
        #expect(throws: AttentionError.unsupported("add_zero_attn")) {
            try MultiheadAttention(embedDimension: 4, headCount: 2, addBiasKV: false, addZeroAttention: true)
        }
        #expect(throws: AttentionError.unsupported("add_bias_kv")) {
            try MultiheadAttention.checkSupported(stateDict: ["bias_k": Tensor.zeros([1, 1, 4])])
        }
        #expect("\(AttentionError.unsupported("add_bias_kv"))" == "unsupported: add_bias_kv")
    }

    static let committedCases = ["mha_float_mask_padding", "mha_kdim_vdim", "sdpa_float_mask"]

    @Test func theCommittedGoldenFolderHoldsTheseCases() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: ParityCaseFile.committedGolden.path)
        // Parity cases (the layer cases beside them, `layers_*`, are checked by LayerModuleTests).
        #expect(files.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix("layers_") }.sorted() == Self.committedCases.map { $0 + ".safetensors" })
    }

    @Test(arguments: committedCases)
    func committedCaseMatchesPyTorch(name: String) throws {
        let url = ParityCaseFile.committedGolden.appendingPathComponent(name + ".safetensors")
        try expectParity(url)
        if try GoldenCase(contentsOf: url).module == "MultiheadAttention" {
            #expect(try Parity.run(url).entries.contains { $0.name.hasPrefix("grad.param.") })
        }
    }
}
