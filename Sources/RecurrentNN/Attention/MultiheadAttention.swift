import RecurrentCore

/// What `MultiheadAttention` returns: PyTorch's `(attn_output, attn_output_weights)`.
public struct MultiheadAttentionResult {
    /// `[L, N, E]`, or `[N, L, E]` when batch-first, or `[L, E]` for unbatched input.
    public var output: Tensor
    /// With `needWeights`: `[N, L, S]` averaged over heads (`[N, H, L, S]` when not averaged; always
    /// batch-first; without `N` for unbatched input). Nil when weights were not requested.
    public var weights: Tensor?
}

/// Multi-head attention with PyTorch's semantics and parameter names (`torch.nn.MultiheadAttention`, with
/// `kdim`/`vdim`; no `add_bias_kv`, no `add_zero_attn`, no dropout):
/// `output = concat(head₁ … head_H)·W_oᵀ + b_o` with `headᵢ = softmax(QᵢKᵢᵀ/√(E/H) + M)·Vᵢ`,
/// `Q = query·W_qᵀ + b_q`, `K = key·W_kᵀ + b_k`, `V = value·W_vᵀ + b_v`, and `M` the additive masks
/// (0 or −∞ for boolean ones).
///
/// State-dict keys, as PyTorch's: when `kdim = vdim = E`, `in_proj_weight` `[3E, E]` (rows `W_q`, `W_k`,
/// `W_v`); otherwise `q_proj_weight` `[E, E]`, `k_proj_weight` `[E, kdim]`, `v_proj_weight` `[E, vdim]`. Then
/// `in_proj_bias` `[3E]`, `out_proj.weight` `[E, E]`, `out_proj.bias` `[E]` (the biases only with `bias: true`).
///
/// Fully masked rows: a query whose keys are all masked (by the masks or `isCausal`) gets all-zero weights
/// and zero gradients, so its output is `out_proj.bias`. PyTorch gives the same with `need_weights=False`
/// (through `scaled_dot_product_attention`), but NaN in the output and the weights with `need_weights=True`
/// (torch 2.13); the golden cases avoid such rows.
public final class MultiheadAttention: Module {
    /// `E`, the model dimension (of query and output).
    public let embedDimension: Int
    /// `kdim`, the feature size of `key` (`E` by default).
    public let keyDimension: Int
    /// `vdim`, the feature size of `value` (`E` by default).
    public let valueDimension: Int
    /// `H`, the number of heads; divides `E`.
    public let headCount: Int
    /// Whether inputs and output are `[N, L, E]` instead of `[L, N, E]`.
    public let batchFirst: Bool
    /// `in_proj_weight` `[3E, E]` when `kdim = vdim = E` (rows `0..<E` project queries, `E..<2E` keys,
    /// `2E..<3E` values); nil otherwise.
    public let inProjectionWeight: Parameter?
    /// `q_proj_weight` `[E, E]`, `k_proj_weight` `[E, kdim]`, `v_proj_weight` `[E, vdim]` when `kdim` or
    /// `vdim` differs from `E`; nil otherwise.
    public let queryProjectionWeight: Parameter?, keyProjectionWeight: Parameter?, valueProjectionWeight: Parameter?
    /// `in_proj_bias` `[3E]`, or nil without biases.
    public let inProjectionBias: Parameter?
    /// `out_proj.weight` `[E, E]`.
    public let outProjectionWeight: Parameter
    /// `out_proj.bias` `[E]`, or nil without biases.
    public let outProjectionBias: Parameter?

    /// `E / H`, the size of each head.
    public var headDimension: Int { embedDimension / headCount }

    /// Makes a layer with PyTorch's initialization: the input projections Xavier-uniform (`in_proj_weight`
    /// as one `[3E, E]` matrix, `U(±√(6 / (E + 3E)))`, or each separate one `U(±√(6 / (E + in)))`);
    /// `out_proj.weight` as `nn.Linear`'s Kaiming-uniform (a = √5), which is `U(±1/√E)`; both biases zero.
    ///
    /// - Parameters:
    ///   - embedDimension: `E` (> 0).
    ///   - headCount: `H`, which must divide `E`.
    ///   - bias: whether the projections have biases.
    ///   - keyDimension: `kdim`, the feature size of `key` (> 0); nil for `E`.
    ///   - valueDimension: `vdim`, the feature size of `value` (> 0); nil for `E`.
    ///   - batchFirst: inputs and output `[N, L, E]`.
    ///   - seed: seeds the initial weights.
    public init(embedDimension: Int, headCount: Int, bias: Bool = true, keyDimension: Int? = nil, valueDimension: Int? = nil,
                batchFirst: Bool = false, seed: UInt64 = 0) {
        let (e, kdim, vdim) = (embedDimension, keyDimension ?? embedDimension, valueDimension ?? embedDimension)
        precondition(e > 0 && headCount > 0 && kdim > 0 && vdim > 0, "MultiheadAttention: sizes must be positive")
        precondition(e % headCount == 0, "MultiheadAttention: embedDimension \(e) is not divisible by headCount \(headCount)")
        self.embedDimension = e
        self.keyDimension = kdim
        self.valueDimension = vdim
        self.headCount = headCount
        self.batchFirst = batchFirst
        var rng = Xoshiro256StarStar(seed: seed)
        func xavier(_ rows: Int, _ columns: Int) -> Parameter {
            let bound = (6 / Float(rows + columns)).squareRoot()
            return Parameter(Tensor.uniform([rows, columns], low: -bound, high: bound, using: &rng))
        }
        if kdim == e && vdim == e {
            inProjectionWeight = xavier(3 * e, e)
            (queryProjectionWeight, keyProjectionWeight, valueProjectionWeight) = (nil, nil, nil)
        } else {
            inProjectionWeight = nil
            (queryProjectionWeight, keyProjectionWeight, valueProjectionWeight) = (xavier(e, e), xavier(e, kdim), xavier(e, vdim))
        }
        let kaiming = 1 / Float(e).squareRoot()
        outProjectionWeight = Parameter(Tensor.uniform([e, e], low: -kaiming, high: kaiming, using: &rng))
        inProjectionBias = bias ? Parameter(Tensor.zeros([3 * e])) : nil
        outProjectionBias = bias ? Parameter(Tensor.zeros([e])) : nil
    }

    /// Makes a layer from PyTorch's constructor arguments, refusing the ones this layer does not implement.
    ///
    /// - Parameters: as `init(embedDimension:headCount:bias:keyDimension:valueDimension:batchFirst:seed:)`, plus
    ///   `addBiasKV` and `addZeroAttention` (PyTorch's `add_bias_kv`, `add_zero_attn`), which must be false.
    /// - Throws: `AttentionError.unsupported("add_bias_kv")` or `.unsupported("add_zero_attn")`.
    public convenience init(embedDimension: Int, headCount: Int, bias: Bool = true, addBiasKV: Bool, addZeroAttention: Bool,
                            keyDimension: Int? = nil, valueDimension: Int? = nil, batchFirst: Bool = false, seed: UInt64 = 0) throws {
        try Self.checkSupported(addBiasKV: addBiasKV, addZeroAttention: addZeroAttention)
        self.init(embedDimension: embedDimension, headCount: headCount, bias: bias, keyDimension: keyDimension,
                  valueDimension: valueDimension, batchFirst: batchFirst, seed: seed)
    }

    /// Checks PyTorch constructor arguments and a PyTorch state dict for features this layer lacks, before
    /// building or loading (`load(stateDict:)` would only call `bias_k` an unexpected key).
    ///
    /// - Throws: `AttentionError.unsupported("add_bias_kv")` when `addBiasKV` is true or the dict has `bias_k` or
    ///   `bias_v`; `AttentionError.unsupported("add_zero_attn")` when `addZeroAttention` is true.
    public static func checkSupported(addBiasKV: Bool = false, addZeroAttention: Bool = false,
                                      stateDict: [String: Tensor] = [:]) throws {
        if addBiasKV || stateDict["bias_k"] != nil || stateDict["bias_v"] != nil { throw AttentionError.unsupported("add_bias_kv") }
        if addZeroAttention { throw AttentionError.unsupported("add_zero_attn") }
    }

    /// PyTorch's keys in its order: `in_proj_weight` (or `q_proj_weight`, `k_proj_weight`, `v_proj_weight`),
    /// `in_proj_bias`, `out_proj.weight`, `out_proj.bias`.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        var result: [(key: String, parameter: Parameter)] = []
        if let inProjectionWeight { result.append(("in_proj_weight", inProjectionWeight)) }
        if let queryProjectionWeight, let keyProjectionWeight, let valueProjectionWeight {
            result += [("q_proj_weight", queryProjectionWeight), ("k_proj_weight", keyProjectionWeight),
                       ("v_proj_weight", valueProjectionWeight)]
        }
        if let inProjectionBias { result.append(("in_proj_bias", inProjectionBias)) }
        result.append(("out_proj.weight", outProjectionWeight))
        if let outProjectionBias { result.append(("out_proj.bias", outProjectionBias)) }
        return result
    }

    /// Attention of `query` over `key`/`value` (PyTorch's `forward`).
    ///
    /// Boolean masks take **true = not allowed** (PyTorch's boolean `key_padding_mask` and `attn_mask`);
    /// additive masks are float values added to the scaled scores (PyTorch's float masks; `-.infinity`
    /// removes a key). A key is attended only when every boolean mask allows it; the additive masks add up.
    /// Masks are constants: no gradient flows to them.
    ///
    /// - Parameters:
    ///   - query: `[L, N, E]` (`[N, L, E]` when batch-first), or `[L, E]` unbatched.
    ///   - key: `[S, N, kdim]` (`[N, S, kdim]`), or `[S, kdim]`.
    ///   - value: `[S, N, vdim]` (`[N, S, vdim]`), or `[S, vdim]`.
    ///   - keyPaddingMask: `[N, S]` (or `[S]` unbatched), **true = padding, ignored**.
    ///   - needWeights: whether to return the attention weights.
    ///   - attentionMask: `[L, S]` or `[N·H, L, S]`, **true = not allowed** (PyTorch's boolean `attn_mask`).
    ///   - averageAttentionWeights: average the returned weights over the heads.
    ///   - isCausal: additionally let query `i` attend only keys `j ≤ i` (PyTorch treats `is_causal` as a hint
    ///     about `attn_mask`; here it applies the causal mask itself, with or without `attentionMask`).
    ///   - additiveKeyPaddingMask: `[N, S]` (or `[S]`) floats added to the scores of each key (PyTorch's float
    ///     `key_padding_mask`).
    ///   - additiveAttentionMask: `[L, S]` or `[N·H, L, S]` floats added to the scores (PyTorch's float `attn_mask`).
    /// - Returns: `output` shaped like `query`, and the weights (see `MultiheadAttentionResult`).
    /// - Throws: `AttentionError` when a shape is wrong.
    public func callAsFunction(query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: BoolMask? = nil, needWeights: Bool = true,
                               attentionMask: BoolMask? = nil, averageAttentionWeights: Bool = true, isCausal: Bool = false,
                               additiveKeyPaddingMask: Tensor? = nil, additiveAttentionMask: Tensor? = nil) throws -> MultiheadAttentionResult {
        try attend(query: query, key: key, value: value, selfAttention: false,
                   masks: Masks(keyPadding: keyPaddingMask, attention: attentionMask, additiveKeyPadding: additiveKeyPaddingMask,
                                additiveAttention: additiveAttentionMask, isCausal: isCausal),
                   needWeights: needWeights, averageAttentionWeights: averageAttentionWeights)
    }

    /// Self-attention, `query = key = value = x`, with one fused input projection (needs `kdim = vdim = E`).
    ///
    /// - Parameters:
    ///   - x: `[L, N, E]` (`[N, L, E]` when batch-first), or `[L, E]` unbatched.
    ///   - others: as in `callAsFunction(query:key:value:…)`, with `S = L`.
    /// - Returns: `output` shaped like `x`, and the weights.
    /// - Throws: `AttentionError` when a shape is wrong.
    public func callAsFunction(_ x: Tensor, keyPaddingMask: BoolMask? = nil, needWeights: Bool = true, attentionMask: BoolMask? = nil,
                               averageAttentionWeights: Bool = true, isCausal: Bool = false, additiveKeyPaddingMask: Tensor? = nil,
                               additiveAttentionMask: Tensor? = nil) throws -> MultiheadAttentionResult {
        try attend(query: x, key: x, value: x, selfAttention: inProjectionWeight != nil,
                   masks: Masks(keyPadding: keyPaddingMask, attention: attentionMask, additiveKeyPadding: additiveKeyPaddingMask,
                                additiveAttention: additiveAttentionMask, isCausal: isCausal),
                   needWeights: needWeights, averageAttentionWeights: averageAttentionWeights)
    }

    /// The masks of one call, as given.
    private struct Masks {
        var keyPadding: BoolMask?, attention: BoolMask?, additiveKeyPadding: Tensor?, additiveAttention: Tensor?
        var isCausal: Bool

        /// The boolean masks as one "may attend" mask and the additive ones as one sum, each broadcastable
        /// to the weights `[N, H, L, S]`.
        func resolved(n: Int, h: Int, l: Int, s: Int, batched: Bool) throws -> (allowed: BoolMask?, additive: Tensor?) {
            // Where a key padding mask and an attention mask sit among the weights [N, H, L, S].
            func keyPaddingPlace(_ name: String, _ shape: [Int]) throws -> [Int] {
                let expected = batched ? [n, s] : [s]
                guard shape == expected else { throw AttentionError.inputShape(name: name, expected: "\(expected)", found: shape) }
                return [n, 1, 1, s]
            }
            func attentionPlace(_ name: String, _ shape: [Int]) throws -> [Int] {
                if shape == [l, s] { return [l, s] }
                if shape == [n * h, l, s] { return [n, h, l, s] }
                throw AttentionError.inputShape(name: name, expected: "[\(l), \(s)] or [\(n * h), \(l), \(s)]", found: shape)
            }
            let allowedParts = try [keyPadding.map { $0.inverted.reshaped(try keyPaddingPlace("keyPaddingMask", $0.shape)) },
                                    attention.map { $0.inverted.reshaped(try attentionPlace("attentionMask", $0.shape)) }]
                .compactMap { $0 }
            let additiveParts = try [additiveKeyPadding.map { $0.detached().reshaped(try keyPaddingPlace("additiveKeyPaddingMask", $0.shape)) },
                                     additiveAttention.map { $0.detached().reshaped(try attentionPlace("additiveAttentionMask", $0.shape)) }]
                .compactMap { $0 }
            var allowed: BoolMask? = nil, additive: Tensor? = nil
            for part in allowedParts { allowed = allowed.map { $0.and(part)! } ?? part }
            for part in additiveParts { additive = additive.map { sum in withoutGradients { sum + part } } ?? part }
            return (allowed, additive)
        }
    }

    private func attend(query: Tensor, key: Tensor, value: Tensor, selfAttention: Bool, masks: Masks, needWeights: Bool,
                        averageAttentionWeights: Bool) throws -> MultiheadAttentionResult {
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
        func sourceLayout(_ length: String, _ features: Int) -> String {
            batched ? (batchFirst ? "[\(n), \(length), \(features)]" : "[\(length), \(n), \(features)]") : "[\(length), \(features)]"
        }
        guard key.rank == query.rank, key.shape.last == keyDimension, batchFirstView(key).shape[0] == n else {
            throw AttentionError.inputShape(name: "key", expected: sourceLayout("S", keyDimension), found: key.shape)
        }
        let k0 = batchFirstView(key)
        let s = k0.shape[1]
        guard value.rank == key.rank, value.shape.last == valueDimension, batchFirstView(value).shape[0] == n,
              batchFirstView(value).shape[1] == s else {
            throw AttentionError.inputShape(name: "value", expected: sourceLayout("\(s)", valueDimension), found: value.shape)
        }
        let v0 = batchFirstView(value)
        let (allowed, additive) = try masks.resolved(n: n, h: h, l: l, s: s, batched: batched)

        // Input projections.
        let bias = inProjectionBias?.value
        func blockBias(_ block: Int) -> Tensor? { bias?.narrowed(axis: 0, start: block * e, length: e) }
        let q, k, v: Tensor
        if let packed = inProjectionWeight?.value {
            if selfAttention {
                let projected = q0.linear(weight: packed, bias: bias)                       // [N, L, 3E]
                (q, k, v) = (projected.narrowed(axis: 2, start: 0, length: e), projected.narrowed(axis: 2, start: e, length: e),
                             projected.narrowed(axis: 2, start: 2 * e, length: e))
            } else {
                func project(_ x: Tensor, _ block: Int) -> Tensor {
                    x.linear(weight: packed.narrowed(axis: 0, start: block * e, length: e), bias: blockBias(block))
                }
                (q, k, v) = (project(q0, 0), project(k0, 1), project(v0, 2))
            }
        } else {
            (q, k, v) = (q0.linear(weight: queryProjectionWeight!.value, bias: blockBias(0)),
                         k0.linear(weight: keyProjectionWeight!.value, bias: blockBias(1)),
                         v0.linear(weight: valueProjectionWeight!.value, bias: blockBias(2)))
        }
        func heads(_ x: Tensor, _ length: Int) -> Tensor { x.reshaped([n, length, h, hd]).permuted([0, 2, 1, 3]) }
        let attended = try AttentionCore.attend(query: heads(q, l), key: heads(k, s), value: heads(v, s), allowed: allowed,
                                                maskName: "mask", additive: additive, additiveName: "additive mask",
                                                isCausal: masks.isCausal, scale: .standard, keepWeights: needWeights)
        let merged = attended.output.permuted([0, 2, 1, 3]).reshaped([n, l, e])
        var output = merged.linear(weight: outProjectionWeight.value, bias: outProjectionBias?.value)
        output = batched ? (batchFirst ? output : output.permuted([1, 0, 2])) : output.squeezed(at: 0)
        guard needWeights, var weights = attended.weights else { return MultiheadAttentionResult(output: output, weights: nil) }
        if averageAttentionWeights { weights = weights.mean(alongAxis: 1) }
        if !batched { weights = weights.squeezed(at: 0) }
        return MultiheadAttentionResult(output: output, weights: weights)
    }
}
