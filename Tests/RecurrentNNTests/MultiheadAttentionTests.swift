import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// Output and weights flattened into one vector.
func flatMultihead(_ r: MultiheadAttentionResult) -> Tensor {
    Tensor.concatenate([r.output.reshaped([-1])] + (r.weights.map { [$0.reshaped([-1])] } ?? []), axis: 0)
}

/// A layer with non-zero biases (PyTorch initializes them to zero, which would hide bias gradients' use).
func multiheadLayer(embed: Int = 6, heads: Int = 2, batchFirst: Bool = true, seed: UInt64) -> MultiheadAttention {
    let layer = MultiheadAttention(embedDimension: embed, headCount: heads, batchFirst: batchFirst, seed: seed)
    var g = TestTensors(seed: seed &+ 100)
    layer.inProjectionBias!.value = g.uniform([3 * embed], -0.5, 0.5)
    layer.outProjectionBias!.value = g.uniform([embed], -0.5, 0.5)
    return layer
}

/// Finite-difference check of a layer's gradients with respect to `inputs` (query, key, value, …) and every
/// parameter; `call` runs the layer on the inputs (output and weights are both checked).
func multiheadGradientMismatches(_ layer: MultiheadAttention, inputs: [Tensor],
                                 _ call: @escaping ([Tensor]) throws -> MultiheadAttentionResult) -> [GradientCheck.Mismatch] {
    let parameters = layer.parameters, count = inputs.count
    return GradientCheck.mismatches(inputs + parameters.map(\.value), tolerance: 5e-3) { t in
        for (p, v) in zip(parameters, t[count...]) { p.value = v }
        return flatMultihead(try! call(Array(t[..<count])))
    }
}

@Suite struct MultiheadAttentionTests {
    /// Cross-attention (L = 3 queries, S = 4 keys) and self-attention, each without masks, with a key padding
    /// mask, with a boolean attention mask, and with both; batch-first and not. Inputs and every parameter.
    @Test(arguments: [false, true], [0, 1, 2, 3])
    func crossAttentionGradientsMatchFiniteDifferences(batchFirst: Bool, masks: Int) {
        let layer = multiheadLayer(batchFirst: batchFirst, seed: 1)
        var g = TestTensors(seed: 2)
        let (n, l, s, e) = (2, 3, 4, 6)
        let shape = { (length: Int) in batchFirst ? [n, length, e] : [length, n, e] }
        let padding = masks & 1 != 0 ? BoolMask([[false, false, false, false], [false, false, true, true]]) : nil
        let attentionMask = masks & 2 != 0 ? BoolMask([[false, true, false, true], [false, false, true, false], [true, false, false, false]]) : nil
        let mismatches = multiheadGradientMismatches(layer, inputs: [g.uniform(shape(l)), g.uniform(shape(s)), g.uniform(shape(s))]) { t in
            try layer(query: t[0], key: t[1], value: t[2], keyPaddingMask: padding, attentionMask: attentionMask)
        }
        #expect(mismatches.isEmpty, "batchFirst \(batchFirst) masks \(masks): \(mismatches.prefix(4))")
    }

    @Test(arguments: [false, true])
    func selfAttentionGradientsMatchFiniteDifferences(causal: Bool) {
        let layer = multiheadLayer(embed: 4, heads: 2, seed: 3)
        var g = TestTensors(seed: 4)
        let padding = BoolMask([[false, false, false], [false, false, true]])
        let mismatches = multiheadGradientMismatches(layer, inputs: [g.uniform([2, 3, 4])]) { t in
            try layer(t[0], keyPaddingMask: padding, isCausal: causal)
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(4))")
    }

    @Test func selfAttentionEqualsCrossAttentionOnTheSameTensor() throws {
        let layer = multiheadLayer(seed: 5)
        var g = TestTensors(seed: 6)
        let x = g.uniform([2, 5, 6])
        let mask = BoolMask.causal(queryCount: 5, keyCount: 5).inverted
        let fused = try layer(x, attentionMask: mask)
        let separate = try layer(query: x, key: x, value: x, attentionMask: mask)
        #expect(fused.output.isApproximatelyEqual(to: separate.output))
        #expect(fused.weights!.isApproximatelyEqual(to: separate.weights!))
        let causal = try layer(x, isCausal: true)
        #expect(causal.output.isApproximatelyEqual(to: separate.output))
    }

    @Test func batchFirstAndSequenceFirstAgree() throws {
        let first = multiheadLayer(batchFirst: true, seed: 7)
        let second = MultiheadAttention(embedDimension: 6, headCount: 2, batchFirst: false)
        try second.load(stateDict: first.stateDict())
        var g = TestTensors(seed: 8)
        let (q, k, v) = (g.uniform([2, 3, 6]), g.uniform([2, 4, 6]), g.uniform([2, 4, 6]))
        let padding = BoolMask([[false, false, true, true], [false, false, false, false]])
        let a = try first(query: q, key: k, value: v, keyPaddingMask: padding)
        let b = try second(query: q.permuted([1, 0, 2]), key: k.permuted([1, 0, 2]), value: v.permuted([1, 0, 2]), keyPaddingMask: padding)
        #expect(b.output.shape == [3, 2, 6] && b.weights!.shape == [2, 3, 4])
        #expect(a.output.isApproximatelyEqual(to: b.output.permuted([1, 0, 2])))
        #expect(a.weights!.isApproximatelyEqual(to: b.weights!))
    }

    @Test func weightOptionsAndUnbatchedInput() throws {
        let layer = multiheadLayer(embed: 8, heads: 4, seed: 9)
        var g = TestTensors(seed: 10)
        let (q, k) = (g.uniform([1, 3, 8]), g.uniform([1, 5, 8]))
        let averaged = try layer(query: q, key: k, value: k)
        let perHead = try layer(query: q, key: k, value: k, averageAttentionWeights: false)
        let none = try layer(query: q, key: k, value: k, needWeights: false)
        let unbatched = try layer(query: q.squeezed(at: 0), key: k.squeezed(at: 0), value: k.squeezed(at: 0))
        #expect(averaged.weights!.shape == [1, 3, 5] && perHead.weights!.shape == [1, 4, 3, 5] && none.weights == nil)
        #expect(perHead.weights!.mean(alongAxis: 1).isApproximatelyEqual(to: averaged.weights!))
        #expect(none.output.isApproximatelyEqual(to: averaged.output))
        #expect(withoutGradients { try! layer(query: q, key: k, value: k, needWeights: false) }.output.isApproximatelyEqual(to: averaged.output))
        #expect(unbatched.output.shape == [3, 8] && unbatched.weights!.shape == [3, 5])
        #expect(unbatched.output.isApproximatelyEqual(to: averaged.output.squeezed(at: 0)))
        // A per-head attention mask [N·H, L, S] equal across heads equals the shared [L, S] mask.
        let shared = BoolMask([[false, true, false, false, true], [false, false, false, true, true], [true, false, false, false, false]])
        let perHeadMask = BoolMask(shape: [4, 3, 5], values: Array([[Bool]](repeating: shared.values, count: 4).joined()))
        let a = try layer(query: q, key: k, value: k, attentionMask: shared)
        let b = try layer(query: q, key: k, value: k, attentionMask: perHeadMask)
        #expect(a.output.isApproximatelyEqual(to: b.output) && a.weights!.isApproximatelyEqual(to: b.weights!))
    }

    @Test func masksRemoveKeysAndAFullyMaskedQueryGivesTheOutputBias() throws {
        let layer = multiheadLayer(seed: 11)
        var g = TestTensors(seed: 12)
        let x = g.uniform([2, 3, 6]).requiringGradient()
        let padding = BoolMask([[false, true, false], [true, true, true]])  // batch 1: every key is padding
        let r = try layer(x, keyPaddingMask: padding)
        #expect(!flatMultihead(r).scalars.contains { $0.isNaN })
        #expect((0..<3).allSatisfy { r.weights![0, $0, 1] == 0 })
        #expect((0..<3).allSatisfy { i in (0..<3).allSatisfy { r.weights![1, i, $0] == 0 } })
        let bias = layer.outProjectionBias!.value
        #expect((0..<3).allSatisfy { i in (0..<6).allSatisfy { r.output[1, i, $0] == bias[$0] } })
        flatMultihead(r).sum().backward()
        #expect(!x.grad!.scalars.contains { $0.isNaN })
    }

    @Test func initializationFollowsPyTorch() {
        let layer = MultiheadAttention(embedDimension: 16, headCount: 4, seed: 13)
        #expect(layer.namedParameters.map(\.key) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
        #expect(layer.namedParameters.map(\.parameter.shape) == [[48, 16], [48], [16, 16], [16]])
        let xavier = (6 / Float(16 + 48)).squareRoot()
        #expect(layer.inProjectionWeight!.value.scalars.allSatisfy { abs($0) <= xavier })
        #expect(layer.inProjectionWeight!.value.scalars.contains { abs($0) > 0.8 * xavier })
        #expect(layer.outProjectionWeight.value.scalars.allSatisfy { abs($0) <= 0.25 })
        #expect(layer.inProjectionBias!.value.scalars.allSatisfy { $0 == 0 } && layer.outProjectionBias!.value.scalars.allSatisfy { $0 == 0 })
        let noBias = MultiheadAttention(embedDimension: 4, headCount: 1, bias: false)
        #expect(noBias.namedParameters.map(\.key) == ["in_proj_weight", "out_proj.weight"])
    }

    @Test func shapeErrorsAreThrownWithClearMessages() {
        let layer = MultiheadAttention(embedDimension: 6, headCount: 2, batchFirst: true)
        let q = Tensor.zeros([2, 3, 6]), k = Tensor.zeros([2, 4, 6])
        #expect(throws: AttentionError.inputShape(name: "query", expected: "[N, L, 6] or [L, 6] unbatched", found: [2, 3, 5])) {
            try layer(query: .zeros([2, 3, 5]), key: k, value: k)
        }
        #expect(throws: AttentionError.inputShape(name: "key", expected: "[2, S, 6]", found: [3, 4, 6])) {
            try layer(query: q, key: .zeros([3, 4, 6]), value: k)
        }
        #expect(throws: AttentionError.inputShape(name: "value", expected: "[2, 4, 6]", found: [2, 5, 6])) {
            try layer(query: q, key: k, value: .zeros([2, 5, 6]))
        }
        #expect(throws: AttentionError.inputShape(name: "keyPaddingMask", expected: "[2, 4]", found: [2, 3])) {
            try layer(query: q, key: k, value: k, keyPaddingMask: .full([2, 3], false))
        }
        #expect(throws: AttentionError.inputShape(name: "attentionMask", expected: "[3, 4] or [4, 3, 4]", found: [4, 3])) {
            try layer(query: q, key: k, value: k, attentionMask: .full([4, 3], false))
        }
        let message = AttentionError.inputShape(name: "key", expected: "[2, S, 6]", found: [3, 4, 6]).description
        #expect(message == "key has shape [3, 4, 6], expected [2, S, 6]")
    }
}
