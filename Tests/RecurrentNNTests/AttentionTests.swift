import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// Every score function, with sizes that suit it (`dq == dk` where the score needs it).
let allScores: [(Attention.Score, Int, Int)] = [(.dot, 4, 4), (.scaledDot, 4, 4), (.general, 3, 4), (.additive(hiddenSize: 5), 3, 4)]

/// Every kind of mask over a batch of 2, 3 queries, 5 keys.
let allMasks: [(String, AttentionMask)] = [
    ("none", .none),
    ("lengths", .lengths([5, 2])),
    ("causal", .causal),
    ("boolean", .allowed(randomMask([2, 3, 5], probability: 0.5, seed: 21))),
    ("lengths+causal+boolean", AttentionMask.lengths([4, 3]).combined(with: .causal).combined(with: .allowed(randomMask([2, 1, 5], seed: 22)))),
]

/// The context and weights flattened into one vector.
func flatContext(_ r: AttentionContext) -> Tensor {
    Tensor.concatenate([r.context.reshaped([-1]), r.weights.reshaped([-1])], axis: 0)
}

/// The scores of `layer` written out from its formulas with plain tensor ops: `[batch, Lq, Lk]`.
func referenceScores(_ layer: Attention, _ s: Tensor, _ h: Tensor) -> Tensor {
    switch layer.score {
    case .dot: return s.matmul(h.transposed())
    case .scaledDot: return s.matmul(h.transposed()) / Float(layer.keyDimension).squareRoot()
    case .general: return s.matmul(layer.weight!.value).matmul(h.transposed())
    case .additive:
        let w1h = h.linear(weight: layer.keyWeight!.value).unsqueezed(at: 1)
        let w2s = s.linear(weight: layer.queryWeight!.value).unsqueezed(at: 2)
        return ((w1h + w2s).tanh() * layer.energy!.value).sum(alongAxis: 3)
    }
}

@Suite struct AttentionTests {
    @Test(arguments: allScores.indices)
    func scoresFollowTheirFormulas(index: Int) throws {
        let (score, dq, dk) = allScores[index]
        let layer = Attention(score: score, queryDimension: dq, keyDimension: dk, seed: 1)
        var g = TestTensors(seed: 2)
        let s = g.uniform([2, 3, dq]), h = g.uniform([2, 5, dk])
        let r = try layer(decoderState: s, encoderStates: h)
        let weights = referenceScores(layer, s, h).softmax()
        #expect(r.weights.isApproximatelyEqual(to: weights, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        #expect(r.context.isApproximatelyEqual(to: weights.matmul(h), relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
    }

    /// Finite-difference check of every score × every mask kind, with respect to the decoder state, the
    /// encoder states and every parameter.
    @Test(arguments: allScores.indices, allMasks.indices)
    func gradientsMatchFiniteDifferences(scoreIndex: Int, maskIndex: Int) {
        let (score, dq, dk) = allScores[scoreIndex]
        let (name, mask) = allMasks[maskIndex]
        let layer = Attention(score: score, queryDimension: dq, keyDimension: dk, seed: 3)
        var g = TestTensors(seed: 4)
        let parameters = layer.parameters
        let inputs = [g.uniform([2, 3, dq]), g.uniform([2, 5, dk])] + parameters.map(\.value)
        let mismatches = GradientCheck.mismatches(inputs, tolerance: 5e-3) { t in
            for (p, v) in zip(parameters, t[2...]) { p.value = v }
            return flatContext(try! layer(decoderState: t[0], encoderStates: t[1], mask: mask))
        }
        #expect(mismatches.isEmpty, "\(score) with mask \(name): \(mismatches.prefix(4))")
    }

    @Test(arguments: allScores.indices)
    func oneDecoderStateEqualsASequenceOfOne(index: Int) throws {
        let (score, dq, dk) = allScores[index]
        let layer = Attention(score: score, queryDimension: dq, keyDimension: dk, seed: 5)
        var g = TestTensors(seed: 6)
        let s = g.uniform([3, dq]), h = g.uniform([3, 4, dk])
        let mask = BoolMask([[true, true, false, true], [true, false, false, false], [false, true, true, true]])
        let single = try layer(decoderState: s, encoderStates: h, mask: AttentionMask.lengths([4, 2, 3]).combined(with: .allowed(mask)))
        let sequence = try layer(decoderState: s.unsqueezed(at: 1), encoderStates: h,
                                 mask: AttentionMask.lengths([4, 2, 3]).combined(with: .allowed(mask.reshaped([3, 1, 4]))))
        #expect(single.context.shape == [3, dk] && single.weights.shape == [3, 4])
        #expect(single.context.isApproximatelyEqual(to: sequence.context.squeezed(at: 1)))
        #expect(single.weights.isApproximatelyEqual(to: sequence.weights.squeezed(at: 1)))
    }

    @Test(arguments: allScores.indices)
    func weightsSumToOneOverUnmaskedKeysAndAreZeroOnMaskedOnes(index: Int) throws {
        let (score, dq, dk) = allScores[index]
        let layer = Attention(score: score, queryDimension: dq, keyDimension: dk, seed: 7)
        var g = TestTensors(seed: 8)
        let r = try layer(decoderState: g.uniform([2, 4, dq], -2, 2), encoderStates: g.uniform([2, 6, dk], -2, 2),
                          mask: AttentionMask.lengths([6, 3]).combined(with: .causal))
        for b in 0..<2 {
            for i in 0..<4 {
                let visible = min(i + 1, b == 0 ? 6 : 3)
                let row = (0..<6).map { r.weights[b, i, $0] }
                #expect(row[visible...].allSatisfy { $0 == 0 })
                #expect(row[..<visible].allSatisfy { $0 > 0 })
                #expect(abs(row.reduce(0, +) - 1) < 1e-6)
            }
        }
    }

    /// A query with no key to attend (length 0, or a mask row of false) gets zero weights and a zero
    /// context, with zero gradients, and never NaN.
    @Test(arguments: allScores.indices)
    func aFullyMaskedRowGivesZeroWeightsAndContext(index: Int) throws {
        let (score, dq, dk) = allScores[index]
        let layer = Attention(score: score, queryDimension: dq, keyDimension: dk, seed: 9)
        var g = TestTensors(seed: 10)
        let s = g.uniform([2, dq]).requiringGradient(), h = g.uniform([2, 3, dk]).requiringGradient()
        let r = try layer(decoderState: s, encoderStates: h, mask: .lengths([3, 0]))
        #expect(!flatContext(r).scalars.contains { $0.isNaN })
        #expect((0..<3).allSatisfy { r.weights[1, $0] == 0 } && (0..<dk).allSatisfy { r.context[1, $0] == 0 })
        flatContext(r).sum().backward()
        #expect((0..<dq).allSatisfy { s.grad![1, $0] == 0 })
        #expect(!h.grad!.scalars.contains { $0.isNaN } && !layer.parameters.contains { $0.grad?.scalars.contains { $0.isNaN } ?? false })
        let masked = try layer(decoderState: s, encoderStates: h, mask: .allowed(BoolMask([[true, false, true], [false, false, false]])))
        #expect((0..<3).allSatisfy { masked.weights[1, $0] == 0 } && masked.weights[0, 1] == 0)
    }

    @Test func parameterKeysAndShapes() {
        let general = Attention(score: .general, queryDimension: 3, keyDimension: 4)
        #expect(general.namedParameters.map(\.key) == ["weight"] && general.weight!.shape == [3, 4])
        let additive = Attention(score: .additive(hiddenSize: 6), queryDimension: 3, keyDimension: 4)
        #expect(additive.namedParameters.map(\.key) == ["query_weight", "key_weight", "v"])
        #expect(additive.namedParameters.map(\.parameter.shape) == [[6, 3], [6, 4], [6]])
        #expect(Attention(score: .dot, queryDimension: 4, keyDimension: 4).namedParameters.isEmpty)
    }

    @Test func shapeAndMaskErrorsAreThrown() {
        let layer = Attention(score: .general, queryDimension: 3, keyDimension: 4)
        let s = Tensor.zeros([2, 3]), h = Tensor.zeros([2, 5, 4])
        #expect(throws: AttentionError.inputShape(name: "decoderState", expected: "[batch, 3] or [batch, Lq, 3]", found: [2, 4])) {
            try layer(decoderState: .zeros([2, 4]), encoderStates: h)
        }
        #expect(throws: AttentionError.inputShape(name: "encoderStates", expected: "[2, Lk, 4]", found: [3, 5, 4])) {
            try layer(decoderState: s, encoderStates: .zeros([3, 5, 4]))
        }
        #expect(throws: AttentionError.lengthsCount(expected: 2, found: 3)) {
            try layer(decoderState: s, encoderStates: h, mask: .lengths([1, 2, 3]))
        }
        #expect(throws: AttentionError.lengthOutOfRange(index: 1, length: 6, keyCount: 5)) {
            try layer(decoderState: s, encoderStates: h, mask: .lengths([1, 6]))
        }
        #expect(throws: AttentionError.maskShape(name: "mask", found: [2, 4], target: [2, 5])) {
            try layer(decoderState: s, encoderStates: h, mask: .allowed(.full([2, 4], true)))
        }
        #expect(AttentionError.lengthOutOfRange(index: 1, length: 6, keyCount: 5).description == "key lengths[1] = 6 is outside 0...5")
    }
}
