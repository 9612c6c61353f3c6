import RecurrentCore

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay,
/// as `torch.optim.SGD`:
/// `g ← grad + λ·p`; `v ← g` on the first step, then `v ← μ·v + (1 − τ)·g`;
/// `p ← p − lr · (nesterov ? g + μ·v : v)` (plain `g` when μ = 0).
public final class SGD: Optimizer {
    /// The parameters updated by `step()`.
    public let parameters: [Parameter]
    /// The learning rate.
    public var learningRate: Float
    /// μ.
    public let momentum: Float
    /// τ, the dampening of the gradient added to the momentum buffer (not applied on the first step).
    public let dampening: Float
    /// λ (L2 penalty added to the gradient).
    public let weightDecay: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// Momentum buffers, one per parameter, shaped like it (empty until the parameter's first step).
    public private(set) var velocities: [[Float]]

    /// - Parameters:
    ///   - parameters: what to optimize.
    ///   - learningRate: step size (≥ 0).
    ///   - momentum: μ in [0, 1).
    ///   - dampening: τ in [0, 1]; must be 0 with Nesterov momentum.
    ///   - weightDecay: λ ≥ 0.
    ///   - nesterov: requires μ > 0.
    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(learningRate >= 0 && learningRate.isFinite, "SGD: learning rate \(learningRate) must be a finite number ≥ 0")
        precondition(momentum >= 0 && momentum < 1, "SGD: momentum \(momentum) must be in [0, 1)")
        precondition(dampening >= 0 && dampening <= 1, "SGD: dampening \(dampening) must be in [0, 1]")
        precondition(weightDecay >= 0 && weightDecay.isFinite, "SGD: weight decay \(weightDecay) must be a finite number ≥ 0")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and dampening 0")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.velocities = parameters.map { _ in [] }
    }

    /// Updates every parameter that has a gradient, in place.
    public func step() {
        let (lr, mu, decay, nesterov) = (learningRate, momentum, weightDecay, nesterov)
        let keep = 1 - dampening
        for (index, parameter) in parameters.enumerated() {
            guard let grad = parameter.grad else { continue }
            grad.scalars.withUnsafeBufferPointer { g in
                if mu == 0 {
                    parameter.value.updateScalars { values in
                        values.withUnsafeMutableBufferPointer { p in
                            for i in 0..<p.count { p[i] -= lr * (g[i] + decay * p[i]) }
                        }
                    }
                    return
                }
                let first = velocities[index].isEmpty
                if first { velocities[index] = [Float](repeating: 0, count: g.count) }
                velocities[index].withUnsafeMutableBufferPointer { v in
                    parameter.value.updateScalars { values in
                        values.withUnsafeMutableBufferPointer { p in
                            for i in 0..<p.count {
                                let d = g[i] + decay * p[i]
                                v[i] = first ? d : mu * v[i] + keep * d
                                p[i] -= lr * (nesterov ? d + mu * v[i] : v[i])
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

    private var fixedHyperparameters: [String: Double] {
        ["momentum": Double(momentum), "dampening": Double(dampening), "weight_decay": Double(weightDecay),
         "nesterov": nesterov ? 1 : 0]
    }

    /// The learning rate, the other hyper-parameters and `state.<i>.momentum_buffer` for every parameter that
    /// has one.
    public func exportState() -> OptimizerState {
        var tensors: [String: Tensor] = [:]
        for (index, velocity) in velocities.enumerated() where !velocity.isEmpty {
            tensors["state.\(index).momentum_buffer"] = Tensor(shape: parameters[index].shape, scalars: velocity)
        }
        var hyperparameters = fixedHyperparameters
        hyperparameters["lr"] = Double(learningRate)
        return OptimizerState(kind: "SGD", hyperparameters: hyperparameters, tensors: tensors)
    }

    /// Adopts the saved learning rate and momentum buffers (see `Optimizer.importState(_:)`).
    /// - Throws: `OptimizerStateError`.
    public func importState(_ state: OptimizerState) throws {
        let checked = try state.validated(kind: "SGD", hyperparameters: fixedHyperparameters, parameters: parameters,
                                          bufferNames: ["momentum_buffer"], counterNames: [])
        learningRate = checked.learningRate
        velocities = checked.buffers.map { $0["momentum_buffer"] ?? [] }
    }
}
