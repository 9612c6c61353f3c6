import Foundation
import RecurrentCore

// Parity runners for the attention layers and the cross-entropy loss (see `Parity.runners`).

extension Parity {
    /// `scaled_dot_product_attention`: inputs `query`, `key`, `value`, optional uint8 `attn_mask` (1 = may
    /// attend); settings `is_causal` and `scale` (null for the default 1/√d).
    static func scaledDotProductAttention(_ golden: GoldenCase) throws -> [String: Tensor] {
        var leaves: [String: Tensor] = [:]
        for name in ["query", "key", "value"] { leaves["input." + name] = try golden.tensor("input." + name).requiringGradient() }
        let mask = golden.integers["input.attn_mask"].map(BoolMask.init)
        let scale: AttentionScale
        if let value = golden.configuration["scale"] as? NSNumber { scale = .custom(value.floatValue) } else { scale = .standard }
        let result = try RecurrentNN.scaledDotProductAttention(
            query: leaves["input.query"]!, key: leaves["input.key"]!, value: leaves["input.value"]!, mask: mask,
            isCausal: golden.bool("is_causal", default: false), scale: scale)
        return try differentiate(golden, outputs: ["output": result.output], leaves: leaves)
    }

    /// `MultiheadAttention`: parameters `in_proj_weight`, `in_proj_bias`, `out_proj.*`; inputs `query`, `key`,
    /// `value`, optional uint8 `key_padding_mask` (1 = ignore) and `attn_mask` (1 = not allowed); outputs
    /// `output` and `attn_weights`.
    static func multiheadAttention(_ golden: GoldenCase) throws -> [String: Tensor] {
        let layer = MultiheadAttention(embedDimension: try golden.int("embed_dim"), headCount: try golden.int("num_heads"),
                                       bias: golden.parameters["in_proj_bias"] != nil,
                                       batchFirst: golden.bool("batch_first", default: false))
        try layer.load(stateDict: golden.parameters)
        var leaves: [String: Tensor] = [:]
        for name in ["query", "key", "value"] { leaves["input." + name] = try golden.tensor("input." + name).requiringGradient() }
        let needWeights = golden.bool("need_weights", default: true)
        let result = try layer(query: leaves["input.query"]!, key: leaves["input.key"]!, value: leaves["input.value"]!,
                               keyPaddingMask: golden.integers["input.key_padding_mask"].map(BoolMask.init),
                               needWeights: needWeights,
                               attentionMask: golden.integers["input.attn_mask"].map(BoolMask.init),
                               averageAttentionWeights: golden.bool("average_attn_weights", default: true))
        var outputs = ["output": result.output]
        if needWeights, let weights = result.weights { outputs["attn_weights"] = weights }
        for (key, parameter) in layer.namedParameters { leaves["param." + key] = parameter.value }
        return try differentiate(golden, outputs: outputs, leaves: leaves)
    }

    /// `cross_entropy`: inputs `logits` and int64 `target`; settings `ignore_index`, `label_smoothing`;
    /// output `loss` `[1]` (mean reduction).
    static func crossEntropy(_ golden: GoldenCase) throws -> [String: Tensor] {
        guard (golden.configuration["reduction"] as? String ?? "mean") == "mean" else {
            throw ParityError("cross_entropy: only reduction 'mean' is supported")
        }
        let logits = try golden.tensor("input.logits").requiringGradient()
        guard let targets = golden.integers["input.target"] else { throw ParityError("missing integer tensor 'input.target'") }
        let smoothing = (golden.configuration["label_smoothing"] as? NSNumber)?.floatValue ?? 0
        let loss = try RecurrentNN.crossEntropy(logits: logits, targets: targets, ignoreIndex: try golden.int("ignore_index", default: -100),
                                                labelSmoothing: smoothing)
        return try differentiate(golden, outputs: ["loss": loss.reshaped([1])], leaves: ["input.logits": logits])
    }
}
