import RecurrentCore

/// Finite-difference gradient checks.
///
/// For a function `f` of several tensors, the objective is `L = Σ w ⊙ f(inputs)` with fixed random
/// weights `w` (so every output value matters, with a different weight). The analytic gradients from
/// `backward()` are compared with central differences `(L(x + ε) − L(x − ε)) / 2ε`, computed in Double
/// from the Float outputs.
public enum GradientCheck {
    /// One input value whose analytic and numeric gradients disagree.
    public struct Mismatch: CustomStringConvertible {
        public let input: Int
        public let index: Int
        public let analytic: Double
        public let numeric: Double
        public var description: String { "input \(input)[\(index)]: analytic \(analytic), numeric \(numeric)" }
    }

    /// Compares analytic and numeric gradients of `f` with respect to every value of every input
    /// listed in `differentiating` (default: all).
    ///
    /// - Returns: the mismatches with `|analytic − numeric| > tolerance · (1 + |numeric|)`; empty when all agree.
    public static func mismatches(
        _ inputs: [Tensor], differentiating: [Int]? = nil, epsilon: Float = 1e-3, tolerance: Double = 2e-3,
        seed: UInt64 = 99, _ f: ([Tensor]) -> Tensor
    ) -> [Mismatch] {
        let which = differentiating ?? Array(inputs.indices)
        let leaves = inputs.enumerated().map { which.contains($0.offset) ? $0.element.requiringGradient() : $0.element }
        let probe = withoutGradients { f(inputs) }
        var rng = Xoshiro256StarStar(seed: seed)
        let weights = Tensor.uniform(probe.shape, low: -1, high: 1, using: &rng)

        let output = f(leaves)
        output.backward(seed: weights)

        func objective(_ values: [Tensor]) -> Double {
            let y = withoutGradients { f(values) }
            var total = 0.0
            for (a, b) in zip(y.scalars, weights.scalars) { total += Double(a) * Double(b) }
            return total
        }

        var found: [Mismatch] = []
        for i in which {
            let analytic = leaves[i].grad ?? Tensor.zeros(inputs[i].shape)
            for j in 0..<inputs[i].count {
                var plus = inputs, minus = inputs
                plus[i].updateScalars { $0[j] += epsilon }
                minus[i].updateScalars { $0[j] -= epsilon }
                let step = Double(plus[i].scalars[j]) - Double(minus[i].scalars[j])
                let numeric = (objective(plus) - objective(minus)) / step
                let a = Double(analytic.scalars[j])
                if Swift.abs(a - numeric) > tolerance * (1 + Swift.abs(numeric)) || a.isNaN {
                    found.append(Mismatch(input: i, index: j, analytic: a, numeric: numeric))
                }
            }
        }
        return found
    }
}

/// Random test tensors from a fixed seed.
public struct TestTensors {
    private var rng: Xoshiro256StarStar

    public init(seed: UInt64 = 1) { rng = Xoshiro256StarStar(seed: seed) }

    /// Uniform values in `[low, high)`.
    public mutating func uniform(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
        Tensor.uniform(shape, low: low, high: high, using: &rng)
    }

    /// Values in `[low, high)` with random signs (kept away from 0, for functions with a kink there).
    public mutating func awayFromZero(_ shape: [Int], _ low: Float = 0.1, _ high: Float = 1) -> Tensor {
        let magnitudes = Tensor.uniform(shape, low: low, high: high, using: &rng)
        return Tensor(shape: shape, scalars: magnitudes.scalars.map { rng.nextFloat() < 0.5 ? -$0 : $0 })
    }
}
