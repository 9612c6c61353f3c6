import CRecurrentKernels
import Foundation
import RecurrentCore

/// Adam (Kingma & Ba), exactly as `torch.optim.Adam` (and, with decoupled weight decay, `AdamW`):
///
/// ```
/// t ← t + 1
/// AdamW: p ← p · (1 − lr·λ)          Adam: g ← g + λ·p          (only when λ ≠ 0)
/// m ← lerp(m, g, 1 − β₁)             v ← β₂·v + (1 − β₂)·g²
/// v̂ ← amsgrad ? (vmax ← max(vmax, v)) : v
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
/// ```
///
/// Scalars (bias corrections, step size) are computed in Double and rounded to Float, and the element
/// operations are ordered as PyTorch's CPU kernels order them, so results agree with PyTorch to the last
/// bit or two. Each parameter keeps its own step count, which advances only when it has a gradient.
public class Adam: Optimizer {
    /// The parameters updated by `step()`.
    public let parameters: [Parameter]
    /// The learning rate.
    public var learningRate: Float
    /// β₁, the decay of the first-moment average.
    public let beta1: Float
    /// β₂, the decay of the second-moment average.
    public let beta2: Float
    /// ε, added to the denominator.
    public let epsilon: Float
    /// λ: an L2 penalty added to the gradient (Adam) or a decoupled decay of the weights (AdamW).
    public let weightDecay: Float
    /// Whether to use the maximum of past second moments (AMSGrad).
    public let amsgrad: Bool
    /// Whether weight decay is decoupled from the gradient (AdamW).
    public let decouplesWeightDecay: Bool

    /// Steps taken per parameter (0 until its first gradient).
    public private(set) var stepCounts: [Int]
    /// `exp_avg` per parameter, shaped like it (empty before its first step).
    public private(set) var firstMoments: [[Float]]
    /// `exp_avg_sq` per parameter, shaped like it (empty before its first step).
    public private(set) var secondMoments: [[Float]]
    /// `max_exp_avg_sq` per parameter (AMSGrad only; empty otherwise).
    public private(set) var maxSecondMoments: [[Float]]

    /// Adam with an L2 penalty (`torch.optim.Adam`).
    ///
    /// - Parameters:
    ///   - parameters: what to optimize.
    ///   - learningRate: lr ≥ 0.
    ///   - beta1: β₁ in [0, 1).
    ///   - beta2: β₂ in [0, 1).
    ///   - epsilon: ε ≥ 0.
    ///   - weightDecay: λ ≥ 0, added to the gradient as `λ·p`.
    ///   - amsgrad: use AMSGrad.
    public convenience init(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                            epsilon: Float = 1e-8, weightDecay: Float = 0, amsgrad: Bool = false) {
        self.init(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                  weightDecay: weightDecay, amsgrad: amsgrad, decoupled: false)
    }

    init(parameters: [Parameter], learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float,
         amsgrad: Bool, decoupled: Bool) {
        let name = decoupled ? "AdamW" : "Adam"
        precondition(learningRate >= 0 && learningRate.isFinite, "\(name): learning rate \(learningRate) must be a finite number ≥ 0")
        precondition(beta1 >= 0 && beta1 < 1, "\(name): beta1 \(beta1) must be in [0, 1)")
        precondition(beta2 >= 0 && beta2 < 1, "\(name): beta2 \(beta2) must be in [0, 1)")
        precondition(epsilon >= 0 && epsilon.isFinite, "\(name): epsilon \(epsilon) must be a finite number ≥ 0")
        precondition(weightDecay >= 0 && weightDecay.isFinite, "\(name): weight decay \(weightDecay) must be a finite number ≥ 0")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.decouplesWeightDecay = decoupled
        self.stepCounts = parameters.map { _ in 0 }
        self.firstMoments = parameters.map { _ in [] }
        self.secondMoments = parameters.map { _ in [] }
        self.maxSecondMoments = parameters.map { _ in [] }
    }

    /// The name stored in exported state: `"Adam"` or `"AdamW"`.
    public var kind: String { decouplesWeightDecay ? "AdamW" : "Adam" }

    /// Updates every parameter that has a gradient, in place.
    public func step() {
        let lr = learningRate
        // PyTorch's scalars are Python floats (doubles), converted to Float by the kernels.
        let lerpWeight = Float(1 - Double(beta1))
        let lerpSmall = Swift.abs(lerpWeight) < 0.5
        let lerpComplement = 1 - lerpWeight
        let b2 = beta2
        let oneMinusB2 = Float(1 - Double(beta2))
        let eps = epsilon
        let decay = weightDecay
        let l2 = !decouplesWeightDecay && decay != 0
        let shrink = Float(1 - Double(lr) * Double(decay))
        let shrinks = decouplesWeightDecay && decay != 0
        let ams = amsgrad
        for (index, parameter) in parameters.enumerated() {
            guard let grad = parameter.grad else { continue }
            let count = grad.count
            if stepCounts[index] == 0 {
                firstMoments[index] = [Float](repeating: 0, count: count)
                secondMoments[index] = [Float](repeating: 0, count: count)
                if ams { maxSecondMoments[index] = [Float](repeating: 0, count: count) }
            }
            stepCounts[index] += 1
            let t = Double(stepCounts[index])
            let correction1 = 1 - Foundation.pow(Double(beta1), t)
            let correction2 = 1 - Foundation.pow(Double(beta2), t)
            let negativeStepSize = Float(-(Double(lr) / correction1))
            let correction2Root = Float(correction2.squareRoot())
            let constants = AdamConstants(lerpWeight: lerpWeight, lerpSmall: lerpSmall, lerpComplement: lerpComplement,
                                          beta2: b2, oneMinusBeta2: oneMinusB2, epsilon: eps, decay: decay, l2: l2,
                                          shrink: shrink, shrinks: shrinks, negativeStepSize: negativeStepSize,
                                          correction2Root: correction2Root)
            grad.scalars.withUnsafeBufferPointer { g in
                firstMoments[index].withUnsafeMutableBufferPointer { m in
                    secondMoments[index].withUnsafeMutableBufferPointer { v in
                        parameter.value.updateScalars { values in
                            values.withUnsafeMutableBufferPointer { p in
                                if ams {
                                    maxSecondMoments[index].withUnsafeMutableBufferPointer { vMax in
                                        Adam.update(p, g, m, v, vMax, constants)
                                    }
                                } else {
                                    Adam.update(p, g, m, v, nil, constants)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The element loop of one parameter's update (see the type's documentation); all buffers have the
    /// parameter's count. The loop is specialized for each combination of its switches, so the compiler
    /// sees a branch-free body it can vectorize.
    private static func update(_ p: UnsafeMutableBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>,
                               _ m: UnsafeMutableBufferPointer<Float>, _ v: UnsafeMutableBufferPointer<Float>,
                               _ vMax: UnsafeMutableBufferPointer<Float>?, _ c: AdamConstants) {
        let n = p.count
        precondition(g.count == n && m.count == n && v.count == n && (vMax?.count ?? n) == n,
                     "Adam: a gradient or state buffer does not match its parameter's size")
        guard n > 0, let p = p.baseAddress, let g = g.baseAddress, let m = m.baseAddress, let v = v.baseAddress else { return }
        if c.shrinks {
            for i in 0..<n { p[i] *= c.shrink }  // AdamW's decay, applied first as in PyTorch
        }
        let vMax = vMax?.baseAddress
        if vMax == nil {
            // The same loop in C, vectorized for AVX2 where available (identical numbers).
            rk_adam_step(n, p, g, m, v, c.lerpWeight, c.lerpSmall ? 1 : 0, c.lerpComplement, c.beta2, c.oneMinusBeta2,
                         c.epsilon, c.decay, c.l2 ? 1 : 0, c.negativeStepSize, c.correction2Root)
            return
        }
        switch (c.l2, c.lerpSmall) {  // AMSGrad
        case (false, true): kernel(n, p, g, m, v, vMax, c, l2: false, small: true)
        case (false, false): kernel(n, p, g, m, v, vMax, c, l2: false, small: false)
        case (true, true): kernel(n, p, g, m, v, vMax, c, l2: true, small: true)
        case (true, false): kernel(n, p, g, m, v, vMax, c, l2: true, small: false)
        }
    }

    @inline(__always)
    private static func kernel(_ n: Int, _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                               _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                               _ vMax: UnsafeMutablePointer<Float>?, _ c: AdamConstants, l2: Bool, small: Bool) {
        let (decay, weight, complement, beta2, oneMinusBeta2) = (c.decay, c.lerpWeight, c.lerpComplement, c.beta2, c.oneMinusBeta2)
        let (root, epsilon, stepSize) = (c.correction2Root, c.epsilon, c.negativeStepSize)
        for i in 0..<n {
            let gi = l2 ? g[i] + decay * p[i] : g[i]
            let mi = small ? m[i] + weight * (gi - m[i]) : gi - (gi - m[i]) * complement
            m[i] = mi
            var vi = v[i] * beta2
            vi = vi + oneMinusBeta2 * gi * gi
            v[i] = vi
            if let vMax {
                vi = Swift.max(vMax[i], vi)
                vMax[i] = vi
            }
            p[i] = p[i] + stepSize * mi / (vi.squareRoot() / root + epsilon)
        }
    }

    /// Forgets every parameter's gradient.
    public func zeroGrad() {
        for parameter in parameters { parameter.zeroGrad() }
    }

    private var fixedHyperparameters: [String: Double] {
        ["beta1": Double(beta1), "beta2": Double(beta2), "eps": Double(epsilon), "weight_decay": Double(weightDecay),
         "amsgrad": amsgrad ? 1 : 0]
    }

    /// The learning rate, the other hyper-parameters, and for every parameter that has taken a step
    /// `state.<i>.step`, `state.<i>.exp_avg`, `state.<i>.exp_avg_sq` (and `state.<i>.max_exp_avg_sq`).
    public func exportState() -> OptimizerState {
        var tensors: [String: Tensor] = [:], counters: [String: Int] = [:]
        for index in parameters.indices where stepCounts[index] > 0 {
            let shape = parameters[index].shape
            counters["state.\(index).step"] = stepCounts[index]
            tensors["state.\(index).exp_avg"] = Tensor(shape: shape, scalars: firstMoments[index])
            tensors["state.\(index).exp_avg_sq"] = Tensor(shape: shape, scalars: secondMoments[index])
            if amsgrad { tensors["state.\(index).max_exp_avg_sq"] = Tensor(shape: shape, scalars: maxSecondMoments[index]) }
        }
        var hyperparameters = fixedHyperparameters
        hyperparameters["lr"] = Double(learningRate)
        return OptimizerState(kind: kind, hyperparameters: hyperparameters, tensors: tensors, counters: counters)
    }

    /// Adopts the saved learning rate, step counts and moment buffers (see `Optimizer.importState(_:)`).
    /// - Throws: `OptimizerStateError`.
    public func importState(_ state: OptimizerState) throws {
        let buffers: Set<String> = amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"]
        let checked = try state.validated(kind: kind, hyperparameters: fixedHyperparameters, parameters: parameters,
                                          bufferNames: buffers, counterNames: ["step"])
        for index in parameters.indices {
            let steps = checked.counters[index]["step"] ?? 0
            let present = checked.buffers[index]
            if steps > 0 {
                for name in buffers.sorted() where present[name] == nil {
                    throw OptimizerStateError.incompleteState(parameter: index, missing: name)
                }
            } else if let name = present.keys.sorted().first {
                throw OptimizerStateError.incompleteState(parameter: index, missing: "step (it has \(name))")
            }
        }
        learningRate = checked.learningRate
        for index in parameters.indices {
            let present = checked.buffers[index]
            stepCounts[index] = checked.counters[index]["step"] ?? 0
            firstMoments[index] = present["exp_avg"] ?? []
            secondMoments[index] = present["exp_avg_sq"] ?? []
            maxSecondMoments[index] = present["max_exp_avg_sq"] ?? []
        }
    }
}

/// The per-step scalars of an Adam update, as Floats.
private struct AdamConstants {
    var lerpWeight: Float
    var lerpSmall: Bool
    var lerpComplement: Float
    var beta2: Float
    var oneMinusBeta2: Float
    var epsilon: Float
    var decay: Float
    var l2: Bool
    var shrink: Float
    var shrinks: Bool
    var negativeStepSize: Float
    var correction2Root: Float
}
