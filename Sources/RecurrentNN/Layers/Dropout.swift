import RecurrentCore
import RecurrentData

/// PyTorch's `nn.Dropout`: in training, zeroes each value with probability `p` and scales the rest by
/// `1/(1 − p)`; the identity in inference (`eval()`). No parameters.
public final class Dropout: TensorLayer {
    /// The probability of zeroing a value.
    public let probability: Float
    /// Whether dropout is applied.
    public var isTraining = true
    /// The source of the masks (seeded: the same seed gives the same masks).
    public var generator: Xoshiro256StarStar

    /// Makes a layer.
    /// - Parameters:
    ///   - probability: in `0..<1`.
    ///   - seed: seeds the masks.
    /// - Throws: `LayerError.configuration` for a probability out of range.
    public init(_ probability: Float, seed: UInt64 = 0) throws {
        do { try Check.fraction(probability, "probability") } catch {
            throw LayerError.configuration(layer: "Dropout", reason: error.description)
        }
        self.probability = probability
        generator = Xoshiro256StarStar(seed: seed)
    }

    public var namedParameters: [(key: String, parameter: Parameter)] { [] }

    /// - Parameter input: any shape; returned in the same shape.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.dropout(probability: probability, training: isTraining, using: &generator)
    }
}
