import RecurrentCore

/// What an `Attention` layer returns.
public struct AttentionContext {
    /// The context `Σⱼ αⱼ hⱼ`: `[batch, dk]` for one decoder state, `[batch, Lq, dk]` for a sequence.
    public var context: Tensor
    /// The weights `α`: `[batch, Lk]` for one decoder state, `[batch, Lq, Lk]` for a sequence. Each row
    /// sums to 1 over the allowed keys and is exactly 0 on masked ones; a row with no allowed key is all
    /// zeros (and so is its context).
    public var weights: Tensor
}

/// Attention of a decoder state over encoder states, with the classic score functions: the layer between
/// an encoder and a decoder in a sequence-to-sequence model.
///
/// For a decoder state `s` and encoder states `h₁ … h_Lk`: scores `eⱼ = score(s, hⱼ)`, weights
/// `α = softmax(e)` over the allowed positions, context `Σⱼ αⱼ hⱼ`.
///
/// Parameters (state-dict keys): `.general` has `weight` `[dq, dk]`; `.additive` has `query_weight`
/// `[A, dq]` (W₂), `key_weight` `[A, dk]` (W₁) and `v` `[A]`; `.dot` and `.scaledDot` have none.
public final class Attention: Module {
    /// How a decoder state `s` `[dq]` and an encoder state `h` `[dk]` are scored.
    public enum Score: Equatable {
        /// Luong dot: `sᵀ·h` (needs `dq == dk`).
        case dot
        /// Luong general: `sᵀ·W·h`, `W` `[dq, dk]`.
        case general
        /// Bahdanau additive (concat): `vᵀ·tanh(W₁·h + W₂·s)` with `A = hiddenSize` units.
        case additive(hiddenSize: Int)
        /// Scaled dot product: `sᵀ·h / √dk` (needs `dq == dk`).
        case scaledDot
    }

    /// The score function.
    public let score: Score
    /// `dq`, the size of a decoder state.
    public let queryDimension: Int
    /// `dk`, the size of an encoder state (and of the context).
    public let keyDimension: Int
    /// `.general`: `W` `[dq, dk]`.
    public let weight: Parameter?
    /// `.additive`: `W₂` `[A, dq]`, applied to the decoder state.
    public let queryWeight: Parameter?
    /// `.additive`: `W₁` `[A, dk]`, applied to the encoder states.
    public let keyWeight: Parameter?
    /// `.additive`: `v` `[A]`.
    public let energy: Parameter?

    /// Makes an attention layer with weights drawn as PyTorch's `nn.Linear` draws them: each matrix from
    /// `U(−1/√in, 1/√in)` with `in` its input size (`dk` for `W` and `W₁`, `dq` for `W₂`, `A` for `v`).
    ///
    /// - Parameters:
    ///   - score: the score function.
    ///   - queryDimension: `dq` (> 0).
    ///   - keyDimension: `dk` (> 0); must equal `dq` for `.dot` and `.scaledDot`.
    ///   - seed: seeds the initial weights.
    public init(score: Score, queryDimension: Int, keyDimension: Int, seed: UInt64 = 0) {
        precondition(queryDimension > 0 && keyDimension > 0, "Attention: dimensions must be positive")
        if score == .dot || score == .scaledDot {
            precondition(queryDimension == keyDimension,
                         "Attention: \(score) scores need queryDimension == keyDimension, got \(queryDimension) and \(keyDimension)")
        }
        self.score = score
        self.queryDimension = queryDimension
        self.keyDimension = keyDimension
        var rng = Xoshiro256StarStar(seed: seed)
        func uniform(_ shape: [Int], fanIn: Int) -> Parameter {
            let bound = 1 / Float(fanIn).squareRoot()
            return Parameter(Tensor.uniform(shape, low: -bound, high: bound, using: &rng))
        }
        switch score {
        case .general:
            weight = uniform([queryDimension, keyDimension], fanIn: keyDimension)
            (queryWeight, keyWeight, energy) = (nil, nil, nil)
        case .additive(let hidden):
            precondition(hidden > 0, "Attention: the additive hidden size must be positive")
            weight = nil
            queryWeight = uniform([hidden, queryDimension], fanIn: queryDimension)
            keyWeight = uniform([hidden, keyDimension], fanIn: keyDimension)
            energy = uniform([hidden], fanIn: hidden)
        case .dot, .scaledDot:
            (weight, queryWeight, keyWeight, energy) = (nil, nil, nil, nil)
        }
    }

    /// `weight` (general); `query_weight`, `key_weight`, `v` (additive); nothing for dot products.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        var result: [(key: String, parameter: Parameter)] = []
        if let weight { result.append(("weight", weight)) }
        if let queryWeight { result.append(("query_weight", queryWeight)) }
        if let keyWeight { result.append(("key_weight", keyWeight)) }
        if let energy { result.append(("v", energy)) }
        return result
    }

    /// Attends from decoder states over encoder states.
    ///
    /// - Parameters:
    ///   - decoderState: `s`: `[batch, dq]` (one step), or `[batch, Lq, dq]` (a sequence of queries).
    ///   - encoderStates: `h`: `[batch, Lk, dk]`, the keys and the values.
    ///   - mask: key lengths (padding), causal, and/or a boolean mask (true = may attend; `[batch, Lk]` for
    ///     one step, broadcastable to `[batch, Lq, Lk]` for a sequence). Default: none.
    /// - Returns: `context` `[batch, dk]` / `[batch, Lq, dk]` and `weights` `[batch, Lk]` / `[batch, Lq, Lk]`.
    ///   A query with no allowed key gets all-zero weights and a zero context (never NaN).
    /// - Throws: `AttentionError` for wrong shapes, lengths or mask shapes.
    public func callAsFunction(decoderState: Tensor, encoderStates: Tensor, mask: AttentionMask = .none) throws -> AttentionContext {
        let single = decoderState.rank == 2
        guard single || decoderState.rank == 3, decoderState.shape.last == queryDimension else {
            throw AttentionError.inputShape(name: "decoderState", expected: "[batch, \(queryDimension)] or [batch, Lq, \(queryDimension)]",
                                            found: decoderState.shape)
        }
        let batch = decoderState.shape[0]
        guard encoderStates.rank == 3, encoderStates.shape[0] == batch, encoderStates.shape[2] == keyDimension else {
            throw AttentionError.inputShape(name: "encoderStates", expected: "[\(batch), Lk, \(keyDimension)]", found: encoderStates.shape)
        }
        let keys = encoderStates.shape[1]
        let s = single ? decoderState.unsqueezed(at: 1) : decoderState
        let queries = s.shape[1]
        let allowed = try mask.resolved(batch: batch, queries: queries, keys: keys, singleQuery: single)
        let h = encoderStates
        let context: Tensor, weights: Tensor
        switch score {
        case .dot, .scaledDot, .general:
            let q = score == .general ? s.matmul(weight!.value) : s
            let result = try AttentionCore.attend(query: q, key: h, value: h, allowed: allowed, maskName: "mask",
                                                  isCausal: mask.isCausal, scale: score == .scaledDot ? .standard : .unscaled,
                                                  keepWeights: true)
            (context, weights) = (result.output, result.weights!)
        case .additive(let hidden):
            // e[b, i, j] = v · tanh(W₂ s[b, i] + W₁ h[b, j])
            let projectedKeys = h.linear(weight: keyWeight!.value).unsqueezed(at: 1)        // [b, 1, Lk, A]
            let projectedQueries = s.linear(weight: queryWeight!.value).unsqueezed(at: 2)   // [b, Lq, 1, A]
            let hiddenUnits = (projectedQueries + projectedKeys).tanh()                     // [b, Lq, Lk, A]
            let scores = hiddenUnits.matmul(energy!.value.reshaped([hidden, 1])).reshaped([batch, queries, keys])
            weights = try scores.maskedSoftmax(allowed: allowed, isCausal: mask.isCausal)
            context = weights.matmul(h)
        }
        guard single else { return AttentionContext(context: context, weights: weights) }
        return AttentionContext(context: context.squeezed(at: 1), weights: weights.squeezed(at: 1))
    }
}
