import Foundation

// Elementwise functions with their derivatives.

extension Tensor {
    /// eˣ elementwise.
    public func exp() -> Tensor {
        let out = mapped { Foundation.exp($0) }
        return Tensor.record("exp", inputs: [self], output: out) { g, _ in [g.zipped(out, *)] }
    }

    /// Natural logarithm elementwise.
    public func log() -> Tensor {
        let x = self
        return Tensor.record("log", inputs: [self], output: mapped { Foundation.log($0) }) { g, _ in [g.zipped(x, /)] }
    }

    /// Square root elementwise.
    public func sqrt() -> Tensor {
        let out = mapped { $0.squareRoot() }
        return Tensor.record("sqrt", inputs: [self], output: out) { g, _ in [g.zipped(out) { $0 * 0.5 / $1 }] }
    }

    /// `xᵖ` elementwise for a constant exponent.
    public func pow(_ exponent: Float) -> Tensor {
        let x = self
        let out = mapped { Foundation.pow($0, exponent) }
        return Tensor.record("pow", inputs: [self], output: out) { g, _ in
            [g.zipped(x) { $0 * exponent * Foundation.pow($1, exponent - 1) }]
        }
    }

    /// Hyperbolic tangent elementwise.
    public func tanh() -> Tensor {
        let out = mapped { Foundation.tanh($0) }
        return Tensor.record("tanh", inputs: [self], output: out) { g, _ in [g.zipped(out) { $0 * (1 - $1 * $1) }] }
    }

    /// The logistic sigmoid `1 / (1 + e⁻ˣ)` elementwise.
    public func sigmoid() -> Tensor {
        let out = mapped(Activation.sigmoid)
        return Tensor.record("sigmoid", inputs: [self], output: out) { g, _ in [g.zipped(out) { $0 * $1 * (1 - $1) }] }
    }

    /// `max(x, 0)` elementwise (gradient 0 at 0, as in PyTorch).
    public func relu() -> Tensor {
        let x = self
        return Tensor.record("relu", inputs: [self], output: mapped { $0 > 0 ? $0 : 0 }) { g, _ in
            [g.zipped(x) { $1 > 0 ? $0 : 0 }]
        }
    }

    /// `|x|` elementwise (gradient 0 at 0).
    public func abs() -> Tensor {
        let x = self
        return Tensor.record("abs", inputs: [self], output: mapped { Swift.abs($0) }) { g, _ in
            [g.zipped(x) { $1 > 0 ? $0 : ($1 < 0 ? -$0 : 0) }]
        }
    }

    /// `x²` elementwise.
    public func squared() -> Tensor {
        let x = self
        return Tensor.record("square", inputs: [self], output: mapped { $0 * $0 }) { g, _ in [g.zipped(x) { 2 * $0 * $1 }] }
    }
}

/// Scalar activation functions shared by tensor ops and fused kernels.
public enum Activation {
    /// The logistic sigmoid, computed without overflow for large |x|.
    @inlinable
    public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 {
            return 1 / (1 + Foundation.exp(-x))
        }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }
}
