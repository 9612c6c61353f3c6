// Sums, means and maxima over all values or along one axis.

extension Tensor {
    /// The sum of all values, as a scalar tensor `[]`.
    public func sum() -> Tensor {
        var total: Double = 0
        scalars.withUnsafeBufferPointer { for v in $0 { total += Double(v) } }
        let original = shape
        return Tensor.record("sum", inputs: [self], output: Tensor(scalar: Float(total))) { g, _ in
            [Tensor(unchecked: original, [Float](repeating: g.scalars[0], count: Shape.count(original)))]
        }
    }

    /// The mean of all values, as a scalar tensor `[]`.
    public func mean() -> Tensor {
        sum() / Float(Swift.max(count, 1))
    }

    /// Sums along `axis`.
    ///
    /// - Returns: the shape without `axis`, or with extent 1 there when `keepingDimension` is true.
    public func sum(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "sum")
        let out = rawSum(alongAxis: a, keepingDimension: keepingDimension)
        var kept = shape
        kept[a] = 1
        let original = shape
        return Tensor.record("sum_axis", inputs: [self], output: out) { g, _ in
            [g.rawReshaped(kept).broadcastZipped(Tensor(unchecked: original, [Float](repeating: 0, count: Shape.count(original))), "sum", +)]
        }
    }

    /// The mean along `axis` (see `sum(alongAxis:keepingDimension:)` for the shape).
    public func mean(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "mean")
        return sum(alongAxis: a, keepingDimension: keepingDimension) / Float(Swift.max(shape[a], 1))
    }

    /// The maximum along `axis`; the gradient flows to the first maximal entry, as in PyTorch's `max(dim)`.
    public func max(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "max")
        let (values, indices) = rawMax(alongAxis: a)
        var kept = shape
        kept[a] = 1
        var reduced = shape
        reduced.remove(at: a)
        let out = values.rawReshaped(keepingDimension ? kept : reduced)
        let original = shape
        return Tensor.record("max_axis", inputs: [self], output: out) { g, _ in
            let (outer, extent, inner) = Tensor(unchecked: original, []).split3Shape(a)
            var grad = [Float](repeating: 0, count: Shape.count(original))
            for o in 0..<outer {
                for i in 0..<inner {
                    let k = indices[o * inner + i]
                    grad[(o * extent + k) * inner + i] = g.scalars[o * inner + i]
                }
            }
            return [Tensor(unchecked: original, grad)]
        }
    }

    /// The index of the maximum along `axis` (the first one on ties); shape without `axis`.
    public func argmax(alongAxis axis: Int) -> IntTensor {
        let a = Shape.axis(axis, rank: rank, "argmax")
        var reduced = shape
        reduced.remove(at: a)
        return IntTensor(shape: reduced, scalars: rawMax(alongAxis: a).1)
    }

    /// Sum along one axis without recording; accumulates in Double for accuracy.
    func rawSum(alongAxis axis: Int, keepingDimension: Bool) -> Tensor {
        let (outer, extent, inner) = split3(axis)
        var newShape = shape
        if keepingDimension { newShape[axis] = 1 } else { newShape.remove(at: axis) }
        return scalars.withUnsafeBufferPointer { src in
            Tensor.build(newShape) { dst in
                var acc = [Double](repeating: 0, count: inner)
                for o in 0..<outer {
                    for i in 0..<inner { acc[i] = 0 }
                    for k in 0..<extent {
                        let base = (o * extent + k) * inner
                        for i in 0..<inner { acc[i] += Double(src[base + i]) }
                    }
                    for i in 0..<inner { dst[o * inner + i] = Float(acc[i]) }
                }
            }
        }
    }

    /// Maximum values and their indices along one axis (axis removed), not recorded.
    func rawMax(alongAxis axis: Int) -> (Tensor, [Int]) {
        let (outer, extent, inner) = split3(axis)
        precondition(extent > 0, "max: axis \(axis) is empty")
        var reduced = shape
        reduced.remove(at: axis)
        var indices = [Int](repeating: 0, count: outer * inner)
        let values = scalars.withUnsafeBufferPointer { src in
            Tensor.build(reduced) { dst in
                for o in 0..<outer {
                    for i in 0..<inner {
                        var best = src[o * extent * inner + i], bestIndex = 0
                        for k in 1..<Swift.max(extent, 1) {
                            let v = src[(o * extent + k) * inner + i]
                            if v > best || (v.isNaN && !best.isNaN) { best = v; bestIndex = k }
                        }
                        dst[o * inner + i] = best
                        indices[o * inner + i] = bestIndex
                    }
                }
            }
        }
        return (values, indices)
    }

    func split3Shape(_ axis: Int) -> (Int, Int, Int) { split3(axis) }
}
