import RecurrentCore

/// Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay, as
/// `torch.optim.SGD`:
/// `g ← grad + λ·p`; `v ← μ·v + g`; `p ← p − lr · (nesterov ? g + μ·v : v)` (plain `g` when μ = 0).
public final class SGD {
    /// The parameters updated by `step()`.
    public let parameters: [Parameter]
    /// The learning rate.
    public var learningRate: Float
    /// μ.
    public let momentum: Float
    /// λ (L2 penalty added to the gradient).
    public let weightDecay: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// Momentum buffers, one per parameter, shaped like it (empty until the first step).
    public private(set) var velocities: [[Float]]

    /// - Parameters:
    ///   - parameters: what to optimize.
    ///   - learningRate: step size (> 0).
    ///   - momentum: μ in [0, 1).
    ///   - weightDecay: λ ≥ 0.
    ///   - nesterov: requires μ > 0.
    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(learningRate > 0 && momentum >= 0 && momentum < 1 && weightDecay >= 0, "SGD: invalid hyper-parameters")
        precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.velocities = parameters.map { _ in [] }
    }

    /// Updates every parameter that has a gradient, in place.
    public func step() {
        let (lr, mu, decay) = (learningRate, momentum, weightDecay)
        for (index, parameter) in parameters.enumerated() {
            guard let grad = parameter.grad else { continue }
            if mu > 0 && velocities[index].isEmpty { velocities[index] = [Float](repeating: 0, count: grad.count) }
            let nesterov = self.nesterov
            grad.scalars.withUnsafeBufferPointer { g in
                velocities[index].withUnsafeMutableBufferPointer { v in
                    parameter.value.updateScalars { values in
                        values.withUnsafeMutableBufferPointer { p in
                            for i in 0..<p.count {
                                var d = g[i] + decay * p[i]
                                if mu > 0 {
                                    v[i] = mu * v[i] + d
                                    d = nesterov ? d + mu * v[i] : v[i]
                                }
                                p[i] -= lr * d
                            }
                        }
                    }
                }
            }
        }
    }

    /// Forgets every parameter's gradient.
    public func zeroGrad() {
        for parameter in parameters { parameter.zeroGrad() }
    }
}
