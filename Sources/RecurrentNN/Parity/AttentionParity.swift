import Foundation
import RecurrentCore

// Parity runners for the attention layers and the cross-entropy loss (see `Parity.runners`).

extension Parity {
    /// `scaled_dot_product_attention`: inputs `query`, `key`, `value`, optional `attn_mask` (uint8/bool:
    /// 1 = may attend; float: added to the scores); settings `is_causal` and `scale` (null for 1/√d).
    static func scaledDotProductAttention(_ golden: GoldenCase) throws -> [String: Tensor] {
        try golden.checkParameters([])
        try golden.checkInputs(allowed: ["query", "key", "value", "attn_mask"])
        let scale = try golden.number("scale", in: -1e6...1e6).map { AttentionScale.custom(Float($0)) } ?? .standard
        let isCausal = try golden.flag("is_causal", default: false)
        let leaves = try attentionInputs(golden)
        let (q, k, v) = (leaves["input.query"]!, leaves["input.key"]!, leaves["input.value"]!)
        if q.rank >= 2, k.rank >= 2, v.rank >= 2,
           let batch = Shape.broadcast(Array(q.shape.dropLast(2)), Array(k.shape.dropLast(2))).flatMap({ Shape.broadcast($0, Array(v.shape.dropLast(2))) }) {
            try checkAttentionWeights(batch + [q.shape[q.rank - 2], k.shape[k.rank - 2]])
        }
        let mask = attentionMask(golden, "input.attn_mask")
        let result = try RecurrentNN.scaledDotProductAttention(
            query: leaves["input.query"]!, key: leaves["input.key"]!, value: leaves["input.value"]!, mask: mask.bool,
            additiveMask: mask.additive, isCausal: isCausal, scale: scale)
        return try differentiate(golden, outputs: ["output": result.output], leaves: leaves)
    }

    /// `MultiheadAttention`: settings `embed_dim`, `num_heads`, `kdim`, `vdim`, `bias`, `batch_first`,
    /// `need_weights`, `average_attn_weights` (`add_bias_kv`, `add_zero_attn` are refused); parameters
    /// `in_proj_weight` (or `q_proj_weight`, `k_proj_weight`, `v_proj_weight` when kdim/vdim differ from
    /// embed_dim), `in_proj_bias`, `out_proj.*`; inputs `query`, `key`, `value`, optional `key_padding_mask`
    /// and `attn_mask` (uint8/bool: 1 = ignore / not allowed; float: added to the scores); outputs `output`
    /// and `attn_weights` (with need_weights).
    static func multiheadAttention(_ golden: GoldenCase) throws -> [String: Tensor] {
        try MultiheadAttention.checkSupported(addBiasKV: try golden.flag("add_bias_kv", default: false),
                                              addZeroAttention: try golden.flag("add_zero_attn", default: false),
                                              stateDict: golden.parameters)
        let e = try golden.size("embed_dim"), heads = try golden.integer("num_heads", in: ParityLimits.heads)
        guard e % heads == 0 else { throw ParityError("metadata 'embed_dim' \(e) is not divisible by 'num_heads' \(heads)") }
        let kdim = try golden.size("kdim", default: e), vdim = try golden.size("vdim", default: e)
        let bias = try golden.flag("bias", default: golden.parameters["in_proj_bias"] != nil)
        let projections: [(key: String, shape: [Int])] = kdim == e && vdim == e
            ? [("in_proj_weight", [3 * e, e])]
            : [("q_proj_weight", [e, e]), ("k_proj_weight", [e, kdim]), ("v_proj_weight", [e, vdim])]
        try golden.checkParameters(projections + [("out_proj.weight", [e, e])]
                                   + (bias ? [("in_proj_bias", [3 * e]), ("out_proj.bias", [e])] : []))
        try golden.checkInputs(allowed: ["query", "key", "value", "key_padding_mask", "attn_mask"])
        let batchFirst = try golden.flag("batch_first", default: false), needWeights = try golden.flag("need_weights", default: true)
        let average = try golden.flag("average_attn_weights", default: true)
        var leaves = try attentionInputs(golden)
        let (query, key) = (leaves["input.query"]!, leaves["input.key"]!)
        try checkAttentionWeights([heads] + query.shape.dropLast() + [key.rank >= 2 ? key.shape[key.rank - 2] : 1])
        let padding = attentionMask(golden, "input.key_padding_mask"), mask = attentionMask(golden, "input.attn_mask")

        let layer = MultiheadAttention(embedDimension: e, headCount: heads, bias: bias, keyDimension: kdim, valueDimension: vdim,
                                       batchFirst: batchFirst)
        try layer.load(stateDict: golden.parameters)
        let result = try layer(query: leaves["input.query"]!, key: leaves["input.key"]!, value: leaves["input.value"]!,
                               keyPaddingMask: padding.bool, needWeights: needWeights, attentionMask: mask.bool,
                               averageAttentionWeights: average, additiveKeyPaddingMask: padding.additive,
                               additiveAttentionMask: mask.additive)
        var outputs = ["output": result.output]
        if let weights = result.weights { outputs["attn_weights"] = weights }
        for (key, parameter) in layer.namedParameters { leaves["param." + key] = parameter.value }
        return try differentiate(golden, outputs: outputs, leaves: leaves)
    }

    /// Refuses a case whose attention weights (the product of `extents`, taken without overflow) would
    /// exceed `ParityLimits.attentionWeights` values.
    static func checkAttentionWeights(_ extents: [Int]) throws {
        let count = extents.reduce(1.0) { $0 * Double($1) }
        guard count <= Double(ParityLimits.attentionWeights.upperBound) else {
            throw ParityError("the inputs imply \(extents.map(String.init).joined(separator: " × ")) attention weights, more than \(ParityLimits.attentionWeights.upperBound)")
        }
    }

    /// `input.query`, `input.key`, `input.value` as leaves that record gradients.
    static func attentionInputs(_ golden: GoldenCase) throws -> [String: Tensor] {
        var leaves: [String: Tensor] = [:]
        for name in ["query", "key", "value"] { leaves["input." + name] = try golden.tensor("input." + name).requiringGradient() }
        return leaves
    }

    /// A mask input as PyTorch reads it: an integer or boolean tensor is a boolean mask (what `true` means is
    /// the argument's), a float tensor is added to the scores. Both nil when the key is absent.
    static func attentionMask(_ golden: GoldenCase, _ key: String) -> (bool: BoolMask?, additive: Tensor?) {
        (golden.integers[key].map(BoolMask.init), golden.tensors[key])
    }

    /// `cross_entropy`: inputs `logits` and int64 `target`; settings `ignore_index`, `label_smoothing`;
    /// output `loss` `[1]` (mean reduction).
    static func crossEntropy(_ golden: GoldenCase) throws -> [String: Tensor] {
        _ = try golden.choice("reduction", among: ["mean"], default: "mean")
        try golden.checkParameters([])
        try golden.checkInputs(allowed: ["logits", "target"])
        let logits = try golden.tensor("input.logits").requiringGradient()
        guard let targets = try golden.optionalIntegers("input.target") else { throw ParityError("missing integer tensor 'input.target'") }
        let smoothing = Float(try golden.number("label_smoothing", in: 0...1) ?? 0)
        let loss = try RecurrentNN.crossEntropy(logits: logits, targets: targets,
                                                ignoreIndex: try golden.integer("ignore_index", in: Int.min...Int.max, default: -100),
                                                labelSmoothing: smoothing)
        return try differentiate(golden, outputs: ["loss": loss.reshaped([1])], leaves: ["input.logits": logits])
    }
}
