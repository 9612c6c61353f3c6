import RecurrentCore
import RecurrentData

/// PyTorch's `nn.LayerNorm` over the last dimensions: `y = (x − mean) / √(var + ε) · weight + bias`, with the
/// mean and the biased variance taken over `normalizedShape`; keys `weight` and `bias` (ones and zeros).
public final class LayerNorm: TensorLayer {
    /// The trailing dimensions normalized over.
    public let normalizedShape: [Int]
    /// ε.
    public let epsilon: Float
    /// `normalizedShape`, or nil without elementwise affine.
    public let weight: Parameter?
    /// `normalizedShape`, or nil without elementwise affine.
    public let bias: Parameter?

    /// Makes a layer.
    /// - Parameters:
    ///   - normalizedShape: the trailing dimensions, e.g. `[hidden]`.
    ///   - epsilon: added to the variance (> 0).
    ///   - elementwiseAffine: whether to learn `weight` and `bias`.
    /// - Throws: `LayerError.configuration` for an empty or out-of-range shape.
    public init(_ normalizedShape: [Int], epsilon: Float = 1e-5, elementwiseAffine: Bool = true) throws {
        do {
            try Check.that(!normalizedShape.isEmpty, "normalizedShape", "needs at least one dimension")
            for size in normalizedShape { try Check.count(size, "normalizedShape", in: 1...Limits.maximumWidth) }
            try Check.parameterCount(normalizedShape.reduce(1.0) { $0 * Double($1) }, "LayerNorm")
            try Check.number(epsilon, "epsilon", in: 1e-30...1)
        } catch {
            throw LayerError.configuration(layer: "LayerNorm", reason: error.description)
        }
        self.normalizedShape = normalizedShape
        self.epsilon = epsilon
        weight = elementwiseAffine ? Parameter(Tensor.ones(normalizedShape)) : nil
        bias = elementwiseAffine ? Parameter(Tensor.zeros(normalizedShape)) : nil
    }

    /// `LayerNorm([size])`.
    public convenience init(_ size: Int, epsilon: Float = 1e-5, elementwiseAffine: Bool = true) throws {
        try self.init([size], epsilon: epsilon, elementwiseAffine: elementwiseAffine)
    }

    public var namedParameters: [(key: String, parameter: Parameter)] {
        guard let weight, let bias else { return [] }
        return [("weight", weight), ("bias", bias)]
    }

    /// - Parameter input: `[..., normalizedShape...]`.
    /// - Returns: the same shape.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        let k = normalizedShape.count
        guard input.rank >= k, Array(input.shape.suffix(k)) == normalizedShape else {
            throw LayerError.input(layer: "LayerNorm", reason: "expected [..., \(normalizedShape.map(String.init).joined(separator: ", "))], got \(input.shape)")
        }
        let width = normalizedShape.reduce(1, *)
        let rows = input.reshaped([-1, width])
        let centered = rows - rows.mean(alongAxis: 1, keepingDimension: true)
        let variance = centered.squared().mean(alongAxis: 1, keepingDimension: true)
        var normalized = (centered / (variance + epsilon).sqrt()).reshaped(input.shape)
        if let weight, let bias { normalized = normalized * weight.value + bias.value }
        return normalized
    }
}
