// Splitting a tensor into its slices along the first axis, with a backward pass that costs the size of
// the slices that are used — not a full-size gradient per slice, as `selecting` in a loop would.

extension Tensor {
    /// The slices along axis 0: `shape[0]` tensors of shape `shape[1...]` (PyTorch's `unbind(0)`).
    ///
    /// Gradients of the slices are added into one buffer as they arrive and handed to `self` once, so
    /// stepping through a long sequence slice by slice costs O(size) in the backward pass, not O(size × steps).
    public func unstacked() -> [Tensor] {
        precondition(rank >= 1, "unstacked: a scalar has no axis to split")
        let count = shape[0], sliceShape = Array(shape.dropFirst()), width = Shape.count(sliceShape)
        let slices = (0..<count).map { i in
            Tensor(unchecked: sliceShape, Array(scalars[(i * width)..<((i + 1) * width)]))
        }
        guard GradientMode.isRecording, gradNode != nil else { return slices }
        // The hub's backward runs after every slice's (they depend on it): it hands the summed slice gradients on.
        let accumulator = GradientBuffer(count: scalars.count)
        let fullShape = shape
        let hub = Tensor.record("unstack", inputs: [self], output: Tensor(unchecked: [1], [0])) { _, _ in
            [Tensor(unchecked: fullShape, accumulator.take())]
        }
        return slices.enumerated().map { i, slice in
            Tensor.record("unstack_slice", inputs: [hub], output: slice) { upstream, _ in
                accumulator.add(upstream.scalars, at: i * width)
                return [Tensor(unchecked: [1], [0])]
            }
        }
    }
}

/// The buffer `unstacked()` sums slice gradients into (zeros again after each `take()`).
final class GradientBuffer: @unchecked Sendable {
    private var values: [Float]

    init(count: Int) { values = [Float](repeating: 0, count: count) }

    func add(_ gradient: [Float], at offset: Int) {
        values.withUnsafeMutableBufferPointer { v in
            gradient.withUnsafeBufferPointer { g in
                for j in 0..<g.count { v[offset + j] += g[j] }
            }
        }
    }

    func take() -> [Float] {
        defer { values = [Float](repeating: 0, count: values.count) }
        return values
    }
}
