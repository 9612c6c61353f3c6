// Gathering rows (embedding lookup, index select) and masked fills.

extension Tensor {
    /// Looks up rows of an embedding table.
    ///
    /// - Parameters:
    ///   - table: `[vocabulary, dimension]`.
    ///   - ids: any shape `[...]`, each id in `0..<vocabulary`.
    /// - Returns: `[..., dimension]`. The gradient scatters back into the looked-up rows (summing repeats).
    public static func embedding(_ table: Tensor, ids: IntTensor) -> Tensor {
        precondition(table.rank == 2, "embedding: table must be [vocabulary, dimension], got \(table.shape)")
        let gathered = table.indexSelected(axis: 0, indices: ids.scalars)
        return gathered.reshaped(ids.shape + [table.shape[1]])
    }

    /// The entries at `indices` along `axis`, in that order (repeats allowed):
    /// shape with `shape[axis] = indices.count`.
    public func indexSelected(axis: Int, indices: [Int]) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "indexSelected")
        let (outer, extent, inner) = split3(a)
        for index in indices {
            precondition(index >= 0 && index < extent, "indexSelected: index \(index) out of range 0..<\(extent) on axis \(a)")
        }
        var newShape = shape
        newShape[a] = indices.count
        let out = scalars.withUnsafeBufferPointer { src in
            Tensor.build(newShape) { dst in
                var o = 0
                for block in 0..<outer {
                    for index in indices {
                        let from = (block * extent + index) * inner
                        for j in 0..<inner { dst[o + j] = src[from + j] }
                        o += inner
                    }
                }
            }
        }
        let original = shape
        return Tensor.record("index_select", inputs: [self], output: out) { g, _ in
            var grad = [Float](repeating: 0, count: Shape.count(original))
            g.scalars.withUnsafeBufferPointer { src in
                var o = 0
                for block in 0..<outer {
                    for index in indices {
                        let to = (block * extent + index) * inner
                        for j in 0..<inner { grad[to + j] += src[o + j] }
                        o += inner
                    }
                }
            }
            return [Tensor(unchecked: original, grad)]
        }
    }

    /// A copy with `value` wherever `mask` is non-zero; `mask` broadcasts to this tensor's shape.
    /// No gradient flows to filled positions.
    ///
    /// - Parameter mask: a tensor of 0 and 1 (any non-zero counts as 1), broadcastable to `shape`.
    public func maskedFill(where mask: Tensor, with value: Float) -> Tensor {
        precondition(Shape.broadcast(shape, mask.shape) == shape, "maskedFill: mask \(mask.shape) does not broadcast to \(shape)")
        let out = broadcastZipped(mask.detached(), "maskedFill") { $1 != 0 ? value : $0 }
        return Tensor.record("masked_fill", inputs: [self], output: out) { g, _ in
            [g.broadcastZipped(mask, "maskedFill") { $1 != 0 ? 0 : $0 }]
        }
    }
}
