/// One node of the gradient tape: either a leaf (a tensor the user asked gradients for) or the result
/// of one operation, with the hand-written function that maps the gradient of its output to the
/// gradients of its inputs.
///
/// An operation may be as small as `exp` or as large as a whole multi-step recurrent layer: the tape
/// neither knows nor cares, which is what lets fused layers be a single node.
public final class GradNode {
    /// The function from the upstream gradient (shaped like the output) to one gradient per input
    /// (shaped like that input; nil where `needsGradient[i]` is false or the input has no gradient).
    public typealias Backward = (_ upstream: Tensor, _ needsGradient: [Bool]) -> [Tensor?]

    /// The operation's name, for debugging and error messages.
    public let name: String
    /// The shape of the tensor this node produced.
    public let shape: [Int]
    /// The nodes of the operation's inputs, nil for inputs that need no gradient.
    let inputs: [GradNode?]
    let backwardFunction: Backward?
    /// The accumulated gradient of a leaf; nil until a backward pass reaches it, or after zeroing.
    public internal(set) var grad: Tensor?

    /// Whether this node is a leaf (made by `requiringGradient()`), as opposed to an operation result.
    public var isLeaf: Bool { backwardFunction == nil }

    init(leafOfShape shape: [Int]) {
        self.name = "leaf"
        self.shape = shape
        self.inputs = []
        self.backwardFunction = nil
    }

    init(name: String, shape: [Int], inputs: [GradNode?], backward: @escaping Backward) {
        self.name = name
        self.shape = shape
        self.inputs = inputs
        self.backwardFunction = backward
    }
}
