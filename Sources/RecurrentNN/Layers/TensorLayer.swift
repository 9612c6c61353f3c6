import RecurrentCore

/// A module that maps one tensor to another: what `Sequential` chains. `Linear`, `LayerNorm`, `Dropout`,
/// activations, and your own layers conform.
public protocol TensorLayer: Module {
    /// Applies the layer.
    /// - Throws: `LayerError` for an input of the wrong shape (or ids out of range).
    func callAsFunction(_ input: Tensor) throws -> Tensor
}

/// Why a layer could not be applied or built.
public enum LayerError: Error, CustomStringConvertible, Equatable {
    /// An input of the wrong shape or contents.
    case input(layer: String, reason: String)
    /// Sizes or settings a layer cannot be built with.
    case configuration(layer: String, reason: String)

    public var description: String {
        switch self {
        case .input(let layer, let reason): return "\(layer) input: \(reason)"
        case .configuration(let layer, let reason): return "\(layer): \(reason)"
        }
    }
}

/// An element-wise activation as a layer (`Sequential(Linear(4, 8), Activation.relu, Linear(8, 2))`); it
/// has no parameters, like PyTorch's `nn.ReLU`, so its index holds no keys.
public final class Activation: TensorLayer {
    private let function: (Tensor) -> Tensor
    /// The name, for messages.
    public let name: String

    /// Wraps a differentiable element-wise function.
    public init(_ name: String, _ function: @escaping (Tensor) -> Tensor) {
        self.name = name
        self.function = function
    }

    public var namedParameters: [(key: String, parameter: Parameter)] { [] }
    public func callAsFunction(_ input: Tensor) -> Tensor { function(input) }

    /// `max(0, x)`.
    public static var relu: Activation { Activation("ReLU") { $0.relu() } }
    /// `tanh(x)`.
    public static var tanh: Activation { Activation("Tanh") { $0.tanh() } }
    /// `σ(x)`.
    public static var sigmoid: Activation { Activation("Sigmoid") { $0.sigmoid() } }
}
