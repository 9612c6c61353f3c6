/// Adam with decoupled weight decay (Loshchilov & Hutter), exactly as `torch.optim.AdamW`: before the Adam
/// update each weight shrinks, `p ← p · (1 − lr·λ)`, instead of `λ·p` joining the gradient.
///
/// The update is `Adam`'s otherwise (same state, same exported entries); exported state is named `"AdamW"`.
public final class AdamW: Adam {
    /// - Parameters:
    ///   - parameters: what to optimize.
    ///   - learningRate: lr ≥ 0.
    ///   - beta1: β₁ in [0, 1).
    ///   - beta2: β₂ in [0, 1).
    ///   - epsilon: ε ≥ 0.
    ///   - weightDecay: λ ≥ 0 (PyTorch's default 0.01), applied as `p ← p · (1 − lr·λ)`.
    ///   - amsgrad: use AMSGrad.
    public init(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0.01, amsgrad: Bool = false) {
        super.init(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                   weightDecay: weightDecay, amsgrad: amsgrad, decoupled: true)
    }
}
