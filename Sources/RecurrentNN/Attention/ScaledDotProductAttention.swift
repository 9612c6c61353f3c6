import RecurrentCore

/// The factor applied to the scores `Q·Kᵀ` before the softmax.
public enum AttentionScale: Equatable, ExpressibleByFloatLiteral {
    /// `1/√d`, with `d` the query and key depth (PyTorch's default, `scale=None`).
    case standard
    /// A factor of your choice (PyTorch's `scale=` argument); a float literal means this case.
    case custom(Float)
    /// No scaling, a factor of 1 (plain dot-product scores).
    case unscaled

    /// `.custom(value)`, so `scale: 0.7` reads naturally.
    public init(floatLiteral value: Float) { self = .custom(value) }

    /// The factor for query and key depth `depth`.
    public func factor(depth: Int) -> Float {
        switch self {
        case .standard: return Float(1 / Double(depth).squareRoot())
        case .custom(let value): return value
        case .unscaled: return 1
        }
    }
}

/// What scaled dot-product attention returns.
public struct AttentionResult {
    /// `[..., Lq, dv]`: each query's weighted sum of the values, `α·V`.
    public var output: Tensor
    /// `[..., Lq, Lk]`: the attention weights `α`; each row sums to 1 over the keys it may attend and is
    /// exactly 0 on the others (a row with no key to attend is all zeros).
    public var weights: Tensor
}

/// Scaled dot-product attention, `torch.nn.functional.scaled_dot_product_attention`:
/// `α = softmax(scale · Q·Kᵀ)` with disallowed keys removed from the softmax, and `output = α·V`.
///
/// Differentiable with respect to `query`, `key` and `value` (two fused nodes of the tape: the weights and
/// the output). The forward pass runs slice by slice (batch entry × head), split across threads.
///
/// Fully masked rows: a query that may attend no key at all (its mask row is all false, its additive mask
/// row all `-inf`, or a causal bound with no key) gets all-zero weights, a zero output row and zero
/// gradients, never NaN. This is what PyTorch 2.x's `scaled_dot_product_attention` returns too (checked with
/// torch 2.13 on CPU for boolean and float masks; golden case `sdpa_float_mask`).
///
/// - Parameters:
///   - query: `[..., Lq, d]`.
///   - key: `[..., Lk, d]`.
///   - value: `[..., Lk, dv]`. The batch axes `...` of the three broadcast together (usually they are
///     equal, e.g. `[batch, heads]`).
///   - mask: true = may attend, broadcastable to `[..., Lq, Lk]` (PyTorch's boolean `attn_mask`); nil for none.
///   - additiveMask: float values broadcastable to `[..., Lq, Lk]`, added to the scaled scores before the
///     softmax (PyTorch's float `attn_mask`; `-.infinity` removes a key). A constant: no gradient flows to it.
///     It may be combined with `mask` and `isCausal`. Nil for none.
///   - isCausal: query `i` may attend only keys `j ≤ i` (aligned at the top left, as PyTorch's `is_causal`).
///     Unlike PyTorch, it may be combined with `mask` (both must allow a key).
///   - scale: `.standard` (`1/√d`, the default), `.custom(s)` (or a float literal), or `.unscaled` (1).
/// - Returns: `output` `[..., Lq, dv]` and `weights` `[..., Lq, Lk]`, with the broadcast batch axes.
/// - Throws: `AttentionError.inputShape` when a rank is below 2, the depths of query and key differ, key and
///   value have different key counts, or the batch axes do not broadcast; `AttentionError.maskShape` when the
///   mask does not broadcast to `[..., Lq, Lk]`.
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: BoolMask? = nil,
                                      additiveMask: Tensor? = nil, isCausal: Bool = false,
                                      scale: AttentionScale = .standard) throws -> AttentionResult {
    let result = try AttentionCore.attend(query: query, key: key, value: value, allowed: mask, maskName: "mask",
                                          additive: additiveMask, additiveName: "additiveMask",
                                          isCausal: isCausal, scale: scale, keepWeights: true)
    return AttentionResult(output: result.output, weights: result.weights!)
}

/// The checked entry to the attention kernel, shared by `scaledDotProductAttention`, `Attention` and
/// `MultiheadAttention`.
enum AttentionCore {
    /// Validates shapes, broadcasts the batch axes and runs the kernel.
    ///
    /// - Parameters: as `scaledDotProductAttention` (`additive` is its `additiveMask`); `maskName` and
    ///   `additiveName` name the masks in error messages;
    ///   `keepWeights` false lets inference skip materializing the weights (they are still returned when
    ///   recording for backward).
    static func attend(query: Tensor, key: Tensor, value: Tensor, allowed mask: BoolMask?, maskName: String,
                       additive: Tensor? = nil, additiveName: String = "additiveMask",
                       isCausal: Bool, scale: AttentionScale, keepWeights: Bool) throws -> (output: Tensor, weights: Tensor?) {
        guard query.rank >= 2 else { throw AttentionError.inputShape(name: "query", expected: "[..., Lq, d]", found: query.shape) }
        guard key.rank >= 2 else { throw AttentionError.inputShape(name: "key", expected: "[..., Lk, d]", found: key.shape) }
        guard value.rank >= 2 else { throw AttentionError.inputShape(name: "value", expected: "[..., Lk, dv]", found: value.shape) }
        let (lq, d) = (query.shape[query.rank - 2], query.shape[query.rank - 1])
        let lk = key.shape[key.rank - 2]
        let dv = value.shape[value.rank - 1]
        guard key.shape[key.rank - 1] == d else {
            throw AttentionError.inputShape(name: "key", expected: "[..., Lk, \(d)] (the query's depth)", found: key.shape)
        }
        guard value.shape[value.rank - 2] == lk else {
            throw AttentionError.inputShape(name: "value", expected: "[..., \(lk), dv] (the key count)", found: value.shape)
        }
        let qBatch = Array(query.shape.dropLast(2)), kBatch = Array(key.shape.dropLast(2)), vBatch = Array(value.shape.dropLast(2))
        guard let qkBatch = Shape.broadcast(qBatch, kBatch) else {
            throw AttentionError.inputShape(name: "key", expected: "batch axes broadcastable with the query's \(qBatch)", found: key.shape)
        }
        guard let batchShape = Shape.broadcast(qkBatch, vBatch) else {
            throw AttentionError.inputShape(name: "value", expected: "batch axes broadcastable with \(qkBatch)", found: value.shape)
        }
        let target = batchShape + [lq, lk]
        var layout: MaskLayout? = nil
        if let mask {
            guard mask.broadcasts(to: target) else { throw AttentionError.maskShape(name: maskName, found: mask.shape, target: target) }
            layout = MaskLayout(mask, batchShape: batchShape, queries: lq, keys: lk)
        }
        var bias: BiasLayout? = nil
        if let additive {
            guard Shape.broadcast(additive.shape, target) == target else {
                throw AttentionError.maskShape(name: additiveName, found: additive.shape, target: target)
            }
            bias = BiasLayout(additive, batchShape: batchShape, queries: lq, keys: lk)
        }
        // Broadcast batch axes by copying (differentiable: gradients are summed back).
        let q = qBatch == batchShape ? query : query.broadcast(to: batchShape + [lq, d])
        let k = kBatch == batchShape ? key : key.broadcast(to: batchShape + [lk, d])
        let v = vBatch == batchShape ? value : value.broadcast(to: batchShape + [lk, dv])
        let geometry = AttentionKernel.Geometry(batchShape: batchShape, slices: Shape.count(batchShape), queries: lq, keys: lk,
                                                depth: d, valueDepth: dv, scale: scale.factor(depth: d), causal: isCausal,
                                                mask: layout, bias: bias)
        return AttentionKernel.attend(q, k, v, geometry: geometry, keepWeights: keepWeights)
    }
}
