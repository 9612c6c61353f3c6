import RecurrentCore

/// A trainable tensor owned by a module: a reference, so modules, optimizers and state dicts all see
/// the same values (PyTorch's `nn.Parameter`).
public final class Parameter {
    /// The current values; a leaf of the gradient tape.
    public var value: Tensor {
        didSet {
            if isTrainable != value.requiresGrad { value = isTrainable ? value.requiringGradient() : value.detached() }
            version &+= 1
        }
    }

    /// Whether training updates this parameter (PyTorch's `requires_grad`). A frozen parameter (false) is a
    /// constant of the tape: it gets no gradient, so optimizers leave it as it is.
    public var isTrainable = true {
        didSet { if isTrainable != oldValue { value = isTrainable ? value.requiringGradient() : value.detached() } }
    }

    /// Counts changes of `value` (assignments and in-place updates): caches derived from the values, such as
    /// packed weights for inference, compare it to know when to rebuild.
    public private(set) var version = 0

    /// Wraps `value` as a trainable leaf.
    public init(_ value: Tensor) {
        self.value = value.requiringGradient()
    }

    /// The shape of the values.
    public var shape: [Int] { value.shape }
    /// The gradient accumulated by backward passes, shaped like `value`, or nil.
    public var grad: Tensor? { value.grad }
    /// Forgets the accumulated gradient.
    public func zeroGrad() { value.zeroGrad() }
}
