import Foundation
import RecurrentCore

/// Gradient clipping, as `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`: call it after
/// `backward()` and before `Optimizer.step()`. Parameters without a gradient are ignored.
public enum GradientClipping {
    /// The norm of all gradients taken together, as if they were one vector:
    /// `(Σ |g|ᵖ)^(1/p)`, or `max |g|` when `normType` is infinity (accumulated in Double).
    ///
    /// - Parameters:
    ///   - parameters: whose gradients to measure.
    ///   - normType: p > 0, or `.infinity`.
    /// - Returns: the norm; 0 when no parameter has a gradient; NaN or infinity when a gradient holds one.
    public static func totalNorm(of parameters: [Parameter], normType: Float = 2) -> Float {
        precondition(normType > 0, "GradientClipping: norm type \(normType) must be > 0 or infinity")
        let p = Double(normType)
        var total = 0.0
        var sawNaN = false
        for parameter in parameters {
            guard let grad = parameter.grad else { continue }
            grad.scalars.withUnsafeBufferPointer { g in
                if p.isInfinite {
                    for x in g {
                        let a = Double(Swift.abs(x))
                        if a.isNaN { sawNaN = true } else if a > total { total = a }
                    }
                } else if p == 2 {
                    var sum = 0.0
                    for x in g { sum += Double(x) * Double(x) }
                    total += sum
                } else if p == 1 {
                    var sum = 0.0
                    for x in g { sum += Double(Swift.abs(x)) }
                    total += sum
                } else {
                    var sum = 0.0
                    for x in g { sum += Foundation.pow(Double(Swift.abs(x)), p) }
                    total += sum
                }
            }
        }
        if sawNaN { return .nan }
        if p.isInfinite || p == 1 { return Float(total) }
        return Float(p == 2 ? total.squareRoot() : Foundation.pow(total, 1 / p))
    }

    /// Scales every gradient by `min(1, maxNorm / (norm + 1e-6))`, where `norm` is `totalNorm(of:normType:)`.
    ///
    /// As in PyTorch, a NaN or infinite norm is not an error: the gradients are scaled by the resulting
    /// coefficient (NaN, or 0) — check the returned norm and skip the step if you prefer.
    ///
    /// - Parameters:
    ///   - parameters: whose gradients to clip, in place.
    ///   - maxNorm: the largest allowed norm (≥ 0).
    ///   - normType: p > 0, or `.infinity`.
    /// - Returns: the total norm before clipping.
    @discardableResult
    public static func clipNorm(of parameters: [Parameter], maxNorm: Float, normType: Float = 2) -> Float {
        precondition(maxNorm >= 0, "GradientClipping: max norm \(maxNorm) must be ≥ 0")
        let norm = totalNorm(of: parameters, normType: normType)
        let coefficient = maxNorm / (norm + 1e-6)
        guard !(coefficient >= 1) else { return norm }  // multiplying by 1 changes nothing
        let scale = coefficient  // < 1, or NaN (propagated as PyTorch does)
        for parameter in parameters {
            parameter.value.updateGradient { values in
                values.withUnsafeMutableBufferPointer { g in
                    for i in 0..<g.count { g[i] *= scale }
                }
            }
        }
        return norm
    }

    /// Clamps every gradient value into `[-limit, limit]` (NaNs stay NaN).
    ///
    /// - Parameters:
    ///   - parameters: whose gradients to clip, in place.
    ///   - limit: ≥ 0.
    public static func clipValues(of parameters: [Parameter], limit: Float) {
        precondition(limit >= 0, "GradientClipping: clip value \(limit) must be ≥ 0")
        for parameter in parameters {
            parameter.value.updateGradient { values in
                values.withUnsafeMutableBufferPointer { g in
                    for i in 0..<g.count {
                        let x = g[i]
                        g[i] = x > limit ? limit : (x < -limit ? -limit : x)
                    }
                }
            }
        }
    }
}
