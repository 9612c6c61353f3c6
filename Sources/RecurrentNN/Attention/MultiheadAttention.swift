import RecurrentCore

/// What `MultiheadAttention` returns: PyTorch's `(attn_output, attn_output_weights)`.
public struct MultiheadAttentionResult {
    /// `[L, N, E]`, or `[N, L, E]` when batch-first, or `[L, E]` for unbatched input.
    public var output: Tensor
    /// With `needWeights`: `[N, L, S]` averaged over heads (`[N, H, L, S]` when not averaged; always
    /// batch-first; without `N` for unbatched input). Nil when weights were not requested.
    public var weights: Tensor?
}

/// Multi-head attention with PyTorch's semantics and parameter names (`torch.nn.MultiheadAttention`,
/// `kdim = vdim = embed_dim`, no `add_bias_kv`, no `add_zero_attn`, no dropout):
/// `output = concat(head₁ … head_H)·W_oᵀ + b_o` with `headᵢ = softmax(QᵢKᵢᵀ/√(E/H))·Vᵢ` and
/// `Q = query·W_qᵀ + b_q`, `K = key·W_kᵀ + b_k`, `V = value·W_vᵀ + b_v` (`W_q, W_k, W_v` are the three
/// row blocks of `in_proj_weight`).
///
/// State-dict keys: `in_proj_weight` `[3E, E]`, `in_proj_bias` `[3E]`, `out_proj.weight` `[E, E]`,
/// `out_proj.bias` `[E]` (the biases only with `bias: true`).
///
/// Fully masked rows: a query whose keys are all masked (by `keyPaddingMask`, `attentionMask` or
/// `isCausal`) gets all-zero weights and zero gradients, so its output is `out_proj.bias`. PyTorch gives the
/// same with `need_weights=False`, but NaN (in the output and the weights) with `need_weights=True`.
public final class MultiheadAttention: Module {
    /// `E`, the model dimension (of query, key, value and output).
    public let embedDimension: Int
    /// `H`, the number of heads; divides `E`.
    public let headCount: Int
    /// Whether inputs and output are `[N, L, E]` instead of `[L, N, E]`.
    public let batchFirst: Bool
    /// `in_proj_weight` `[3E, E]`: rows `0..<E` project queries, `E..<2E` keys, `2E..<3E` values.
    public let inProjectionWeight: Parameter
    /// `in_proj_bias` `[3E]`, or nil without biases.
    public let inProjectionBias: Parameter?
    /// `out_proj.weight` `[E, E]`.
    public let outProjectionWeight: Parameter
    /// `out_proj.bias` `[E]`, or nil without biases.
    public let outProjectionBias: Parameter?

    /// `E / H`, the size of each head.
    public var headDimension: Int { embedDimension / headCount }

    /// Makes a layer with PyTorch's initialization: `in_proj_weight` Xavier-uniform,
    /// `U(±√(6 / (E + 3E)))`; `out_proj.weight` as `nn.Linear`'s Kaiming-uniform (a = √5), which is
    /// `U(±1/√E)`; both biases zero.
    ///
    /// - Parameters:
    ///   - embedDimension: `E` (> 0).
    ///   - headCount: `H`, which must divide `E`.
    ///   - bias: whether the projections have biases.
    ///   - batchFirst: inputs and output `[N, L, E]`.
    ///   - seed: seeds the initial weights.
    public init(embedDimension: Int, headCount: Int, bias: Bool = true, batchFirst: Bool = false, seed: UInt64 = 0) {
        precondition(embedDimension > 0 && headCount > 0, "MultiheadAttention: sizes must be positive")
        precondition(embedDimension % headCount == 0,
                     "MultiheadAttention: embedDimension \(embedDimension) is not divisible by headCount \(headCount)")
        self.embedDimension = embedDimension
        self.headCount = headCount
        self.batchFirst = batchFirst
        var rng = Xoshiro256StarStar(seed: seed)
        let e = embedDimension
        let xavier = (6 / Float(4 * e)).squareRoot()
        inProjectionWeight = Parameter(Tensor.uniform([3 * e, e], low: -xavier, high: xavier, using: &rng))
        let kaiming = 1 / Float(e).squareRoot()
        outProjectionWeight = Parameter(Tensor.uniform([e, e], low: -kaiming, high: kaiming, using: &rng))
        inProjectionBias = bias ? Parameter(Tensor.zeros([3 * e])) : nil
        outProjectionBias = bias ? Parameter(Tensor.zeros([e])) : nil
    }

    /// `in_proj_weight`, `in_proj_bias`, `out_proj.weight`, `out_proj.bias`, in PyTorch's order.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        var result: [(key: String, parameter: Parameter)] = [("in_proj_weight", inProjectionWeight)]
        if let inProjectionBias { result.append(("in_proj_bias", inProjectionBias)) }
        result.append(("out_proj.weight", outProjectionWeight))
        if let outProjectionBias { result.append(("out_proj.bias", outProjectionBias)) }
        return result
    }

    /// Attention of `query` over `key`/`value` (PyTorch's `forward`).
    ///
    /// - Parameters:
    ///   - query: `[L, N, E]` (`[N, L, E]` when batch-first), or `[L, E]` unbatched.
    ///   - key: `[S, N, E]` (`[N, S, E]`), or `[S, E]`.
    ///   - value: like `key`.
    ///   - keyPaddingMask: `[N, S]` (or `[S]` unbatched), **true = padding, ignored**.
    ///   - needWeights: whether to return the attention weights.
    ///   - attentionMask: `[L, S]` or `[N·H, L, S]`, **true = not allowed** (PyTorch's boolean `attn_mask`).
    ///   - averageAttentionWeights: average the returned weights over the heads.
    ///   - isCausal: additionally let query `i` attend only keys `j ≤ i` (PyTorch treats `is_causal` as a hint
    ///     about `attn_mask`; here it applies the causal mask itself, with or without `attentionMask`).
    /// - Returns: `output` shaped like `query`, and the weights (see `MultiheadAttentionResult`).
    /// - Throws: `AttentionError` when a shape is wrong.
    public func callAsFunction(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: BoolMask? = nil, needWeights: Bool = true,
                               attentionMask: BoolMask? = nil, averageAttentionWeights: Bool = true,
                               isCausal: Bool = false) throws -> MultiheadAttentionResult {
        try attend(query: query, key: key, value: value, selfAttention: false, keyPaddingMask: keyPaddingMask,
                   needWeights: needWeights, attentionMask: attentionMask, averageAttentionWeights: averageAttentionWeights,
                   isCausal: isCausal)
    }

    /// Self-attention, `query = key = value = x`, with one fused input projection.
    ///
    /// - Parameters:
    ///   - x: `[L, N, E]` (`[N, L, E]` when batch-first), or `[L, E]` unbatched.
    ///   - others: as in `callAsFunction(query:key:value:…)`, with `S = L`.
    /// - Returns: `output` shaped like `x`, and the weights.
    /// - Throws: `AttentionError` when a shape is wrong.
    public func callAsFunction(_ x: Tensor, keyPaddingMask: BoolMask? = nil, needWeights: Bool = true, attentionMask: BoolMask? = nil,
                               averageAttentionWeights: Bool = true, isCausal: Bool = false) throws -> MultiheadAttentionResult {
        try attend(query: x, key: x, value: x, selfAttention: true, keyPaddingMask: keyPaddingMask, needWeights: needWeights,
                   attentionMask: attentionMask, averageAttentionWeights: averageAttentionWeights, isCausal: isCausal)
    }

    private func attend(query: Tensor, key: Tensor, value: Tensor, selfAttention: Bool, keyPaddingMask: BoolMask?, needWeights: Bool,
                        attentionMask: BoolMask?, averageAttentionWeights: Bool, isCausal: Bool) throws -> MultiheadAttentionResult {
        let (e, h, hd) = (embedDimension, headCount, headDimension)
        let layout = batchFirst ? "[N, L, \(e)]" : "[L, N, \(e)]"
        guard (query.rank == 3 || query.rank == 2), query.shape.last == e else {
            throw AttentionError.inputShape(name: "query", expected: "\(layout) or [L, \(e)] unbatched", found: query.shape)
        }
        let batched = query.rank == 3
        // Everything below works batch-first: [N, L, E].
        func batchFirstView(_ t: Tensor) -> Tensor { batched ? (batchFirst ? t : t.permuted([1, 0, 2])) : t.unsqueezed(at: 0) }
        let q0 = batchFirstView(query)
        let (n, l) = (q0.shape[0], q0.shape[1])
        let keyLayout = batched ? (batchFirst ? "[\(n), S, \(e)]" : "[S, \(n), \(e)]") : "[S, \(e)]"
        guard key.rank == query.rank, key.shape.last == e, batchFirstView(key).shape[0] == n else {
            throw AttentionError.inputShape(name: "key", expected: keyLayout, found: key.shape)
        }
        let k0 = batchFirstView(key)
        let s = k0.shape[1]
        let valueLayout = batched ? (batchFirst ? "[\(n), \(s), \(e)]" : "[\(s), \(n), \(e)]") : "[\(s), \(e)]"
        guard value.rank == key.rank, value.shape.last == e, batchFirstView(value).shape[0] == n, batchFirstView(value).shape[1] == s else {
            throw AttentionError.inputShape(name: "value", expected: valueLayout, found: value.shape)
        }
        let v0 = batchFirstView(value)

        // The "may attend" mask, broadcastable to [N, H, L, S].
        var allowed: BoolMask? = nil
        if let keyPaddingMask {
            let expected = batched ? [n, s] : [s]
            guard keyPaddingMask.shape == expected else {
                throw AttentionError.inputShape(name: "keyPaddingMask", expected: "\(expected)", found: keyPaddingMask.shape)
            }
            allowed = keyPaddingMask.inverted.reshaped([n, 1, 1, s])
        }
        if let attentionMask {
            let mask: BoolMask
            if attentionMask.shape == [l, s] {
                mask = attentionMask.inverted
            } else if attentionMask.shape == [n * h, l, s] {
                mask = attentionMask.inverted.reshaped([n, h, l, s])
            } else {
                throw AttentionError.inputShape(name: "attentionMask", expected: "[\(l), \(s)] or [\(n * h), \(l), \(s)]", found: attentionMask.shape)
            }
            allowed = allowed.map { $0.and(mask)! } ?? mask
        }

        // Input projections.
        let weight = inProjectionWeight.value, bias = inProjectionBias?.value
        let q, k, v: Tensor
        if selfAttention {
            let projected = q0.linear(weight: weight, bias: bias)                       // [N, L, 3E]
            (q, k, v) = (projected.narrowed(axis: 2, start: 0, length: e), projected.narrowed(axis: 2, start: e, length: e),
                         projected.narrowed(axis: 2, start: 2 * e, length: e))
        } else {
            func project(_ x: Tensor, _ block: Int) -> Tensor {
                x.linear(weight: weight.narrowed(axis: 0, start: block * e, length: e),
                         bias: bias?.narrowed(axis: 0, start: block * e, length: e))
            }
            (q, k, v) = (project(q0, 0), project(k0, 1), project(v0, 2))
        }
        func heads(_ x: Tensor, _ length: Int) -> Tensor { x.reshaped([n, length, h, hd]).permuted([0, 2, 1, 3]) }
        let attended = try AttentionCore.attend(query: heads(q, l), key: heads(k, s), value: heads(v, s), allowed: allowed,
                                                maskName: "mask", isCausal: isCausal, scale: .standard, keepWeights: needWeights)
        let merged = attended.output.permuted([0, 2, 1, 3]).reshaped([n, l, e])
        var output = merged.linear(weight: outProjectionWeight.value, bias: outProjectionBias?.value)
        output = batched ? (batchFirst ? output : output.permuted([1, 0, 2])) : output.squeezed(at: 0)
        guard needWeights, var weights = attended.weights else { return MultiheadAttentionResult(output: output, weights: nil) }
        if averageAttentionWeights { weights = weights.mean(alongAxis: 1) }
        if !batched { weights = weights.squeezed(at: 0) }
        return MultiheadAttentionResult(output: output, weights: weights)
    }
}
