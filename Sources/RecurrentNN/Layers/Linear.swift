import RecurrentCore
import RecurrentData

/// PyTorch's `nn.Linear`: `y = x · Wᵀ + b`, keys `weight` `[out, in]` and `bias` `[out]`, initialized as
/// PyTorch does (every value uniform in `±1/√in`).
public final class Linear: TensorLayer {
    /// `[outputSize, inputSize]`.
    public let weight: Parameter
    /// `[outputSize]`, or nil without bias.
    public let bias: Parameter?
    /// Input features.
    public let inputSize: Int
    /// Output features.
    public let outputSize: Int

    /// Makes a layer.
    /// - Parameters:
    ///   - inputSize: features in, 1…`Limits.maximumWidth`.
    ///   - outputSize: features out, 1…`Limits.maximumWidth`.
    ///   - bias: whether to add a bias.
    ///   - seed: seeds the initialization.
    /// - Throws: `LayerError.configuration` for sizes out of range.
    public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, seed: UInt64 = 0) throws {
        do {
            try Check.widths(["inputSize": inputSize, "outputSize": outputSize])
        } catch {
            throw LayerError.configuration(layer: "Linear", reason: error.description)
        }
        self.inputSize = inputSize
        self.outputSize = outputSize
        var generator = Xoshiro256StarStar(seed: seed)
        let bound = 1 / Float(inputSize).squareRoot()
        weight = Parameter(Tensor.uniform([outputSize, inputSize], low: -bound, high: bound, using: &generator))
        self.bias = bias ? Parameter(Tensor.uniform([outputSize], low: -bound, high: bound, using: &generator)) : nil
    }

    public var namedParameters: [(key: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// - Parameter input: `[..., inputSize]`.
    /// - Returns: `[..., outputSize]`.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        guard input.rank >= 1, input.shape.last == inputSize else {
            throw LayerError.input(layer: "Linear", reason: "expected [..., \(inputSize)], got \(input.shape)")
        }
        return input.linear(weight: weight.value, bias: bias?.value)
    }
}
