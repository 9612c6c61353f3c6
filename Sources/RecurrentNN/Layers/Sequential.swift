import RecurrentCore

/// PyTorch's `nn.Sequential`: layers applied in order, keyed by position (`0.weight`, `2.bias`), so the
/// `state_dict` of a PyTorch `Sequential` of the same layers loads unchanged.
///
/// ```swift
/// let mlp = try Sequential(Linear(4, 16), Activation.relu, Dropout(0.1), Linear(16, 3))
/// let logits = try mlp(Tensor.zeros([8, 4]))   // [8, 3]
/// mlp.eval()                                   // dropout off, everywhere inside
/// ```
public final class Sequential: TensorLayer {
    /// The layers, in order.
    public let layers: [any TensorLayer]

    /// Chains layers.
    public init(_ layers: [any TensorLayer]) {
        self.layers = layers
    }

    /// Chains layers.
    public convenience init(_ layers: any TensorLayer...) {
        self.init(layers)
    }

    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (name: String($0.offset), module: $0.element as any Module) }
    }

    public var namedParameters: [(key: String, parameter: Parameter)] {
        children.flatMap { prefixed($0.name, $0.module) }
    }

    /// Applies every layer in turn.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try layers.reduce(input) { try $1($0) }
    }
}
