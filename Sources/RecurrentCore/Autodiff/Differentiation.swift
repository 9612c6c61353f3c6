extension Tensor {
    /// Whether gradients flow to this tensor (it is a leaf that requires them or was computed from one).
    public var requiresGrad: Bool {
        get { gradNode != nil }
        set {
            if newValue {
                if gradNode == nil { gradNode = GradNode(leafOfShape: shape) }
            } else {
                gradNode = nil
            }
        }
    }

    /// A copy that is a new leaf of the gradient tape: backward passes accumulate into its `grad`.
    public func requiringGradient() -> Tensor {
        var copy = self
        copy.gradNode = GradNode(leafOfShape: shape)
        return copy
    }

    /// The same values cut off from the tape: no gradient flows through the result.
    public func detached() -> Tensor {
        var copy = self
        copy.gradNode = nil
        return copy
    }

    /// The gradient accumulated in this leaf by backward passes (shaped like the tensor), or nil.
    public var grad: Tensor? { gradNode?.grad }

    /// Forgets the accumulated gradient of this leaf.
    public func zeroGrad() {
        gradNode?.grad = nil
    }

    /// Rewrites this leaf's accumulated gradient in place (for gradient clipping and scaling); does nothing
    /// when there is no gradient.
    ///
    /// - Parameter body: receives the gradient's row-major values (shaped like the tensor); their count must
    ///   not change.
    public func updateGradient(_ body: (inout [Float]) throws -> Void) rethrows {
        guard let node = gradNode, var gradient = node.grad else { return }
        node.grad = nil  // the node lets go, so the values are updated in place rather than copied
        defer { node.grad = gradient }
        try gradient.updateScalars(body)
    }

    /// Replaces the values in place, keeping this tensor's place on the tape (for optimizer updates).
    ///
    /// - Parameter body: receives the row-major values; their count must not change.
    public mutating func updateScalars(_ body: (inout [Float]) throws -> Void) rethrows {
        let count = scalars.count
        try body(&scalars)
        precondition(scalars.count == count, "updateScalars: the number of values changed")
    }

    /// Records the result of an operation on the tape.
    ///
    /// This is how every differentiable operation — from `exp` to a whole fused recurrent layer — joins the
    /// tape. When recording is off or no input needs a gradient, `output` is returned untouched.
    ///
    /// - Parameters:
    ///   - name: the operation's name, for messages.
    ///   - inputs: the tensors the output was computed from.
    ///   - output: the computed result.
    ///   - backward: maps the upstream gradient (shaped like `output`) to one gradient per input, each
    ///     shaped like its input; return nil for inputs whose `needsGradient` entry is false. It runs with
    ///     recording off.
    public static func record(_ name: String, inputs: [Tensor], output: Tensor, backward: @escaping GradNode.Backward) -> Tensor {
        guard GradientMode.isRecording, inputs.contains(where: { $0.gradNode != nil }) else { return output }
        var result = output
        result.gradNode = GradNode(name: name, shape: output.shape, inputs: inputs.map(\.gradNode), backward: backward)
        return result
    }

    /// Back-propagates from this tensor, accumulating `d(self · seed)/d(leaf)` into every leaf's `grad`.
    ///
    /// - Parameter seed: the gradient of the final objective with respect to this tensor, shaped like it.
    ///   May be omitted for a tensor with exactly one value (the seed is then 1).
    public func backward(seed: Tensor? = nil) {
        guard let root = gradNode else {
            preconditionFailure("backward: this tensor does not require gradients (no input called requiringGradient())")
        }
        let start: Tensor
        if let seed {
            precondition(seed.shape == shape, "backward: seed shape \(seed.shape) differs from tensor shape \(shape)")
            start = seed.detached()
        } else {
            precondition(count == 1, "backward: a seed gradient is needed for a tensor of shape \(shape)")
            start = Tensor(unchecked: shape, [1])
        }
        withoutGradients {
            Tape.propagate(from: root, seed: start)
        }
    }
}

/// The backward pass over the graph reachable from one node.
enum Tape {
    static func propagate(from root: GradNode, seed: Tensor) {
        let order = topologicalOrder(from: root)
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        for node in order.reversed() {
            guard let upstream = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            guard let backward = node.backwardFunction else {
                if var accumulated = node.grad {
                    node.grad = nil  // so the buffer is uniquely referenced and grows in place
                    accumulated.accumulate(upstream)
                    node.grad = accumulated
                } else {
                    node.grad = upstream
                }
                continue
            }
            let needs = node.inputs.map { $0 != nil }
            let grads = backward(upstream, needs)
            precondition(grads.count == node.inputs.count, "\(node.name): backward returned \(grads.count) gradients for \(node.inputs.count) inputs")
            for (input, grad) in zip(node.inputs, grads) {
                guard let input, let grad else { continue }
                precondition(grad.shape == input.shape, "\(node.name): gradient shape \(grad.shape) differs from input shape \(input.shape)")
                let key = ObjectIdentifier(input)
                if var existing = pending.removeValue(forKey: key) {
                    existing.accumulate(grad)  // in place: removed from the table, the buffer is usually unshared
                    pending[key] = existing
                } else {
                    pending[key] = grad
                }
            }
        }
    }

    /// Nodes in an order where every node comes after all of its inputs (iterative, so long tapes
    /// cannot overflow the stack).
    static func topologicalOrder(from root: GradNode) -> [GradNode] {
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                if let input = node.inputs[next], visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}
