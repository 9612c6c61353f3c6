// 5. Attention: score the encoder states against the decoder state, softmax into α_ij, context = Σ α_ij h_i;
//    with queries, keys and values, self-attention, and the 1/√d_k scale optional.
import Recurrent

var g = Xoshiro256StarStar(seed: 1)
let encoder = Tensor.normal([1, 4, 6], using: &g)          // h_1…h_4, [batch, Lk, dk]
let decoder = Tensor.normal([1, 6], using: &g)             // one decoder state s, [batch, dq]
let attention = Attention(score: .general, queryDimension: 6, keyDimension: 6, seed: 1)
let step = try attention(decoderState: decoder, encoderStates: encoder)
print("α over the 4 encoder states:", step.weights.scalars.map { ($0 * 100).rounded() / 100 }, "sum", (step.weights.sum().item * 100).rounded() / 100)
print("context", step.context.shape)
// Self-attention with queries = keys = values, scaled by 1/√d_k or not:
for scale in [AttentionScale.standard, .unscaled] {
    let result = try scaledDotProductAttention(query: encoder, key: encoder, value: encoder, scale: scale)
    print(scale == .standard ? "scaled:  " : "unscaled:", "largest weight", (result.weights.scalars.max()! * 100).rounded() / 100)
}
