// Reshaping, reordering, slicing and joining tensors.

extension Tensor {
    /// The same values with a new shape of the same element count; one entry may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshaped: cannot reshape \(shape) to \(newShape)")
            resolved[hole] = count / known
        }
        precondition(resolved.allSatisfy { $0 >= 0 } && Shape.count(resolved) == count,
                     "reshaped: cannot reshape \(shape) (\(count) values) to \(newShape)")
        let original = shape
        return Tensor.record("reshape", inputs: [self], output: rawReshaped(resolved)) { g, _ in [g.rawReshaped(original)] }
    }

    /// The matrix transpose of a 2-D tensor `[m, n]` → `[n, m]`; for higher ranks, swaps the last two axes.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed: needs rank ≥ 2, got shape \(shape)")
        var axes = Array(0..<rank)
        axes.swapAt(rank - 1, rank - 2)
        return permuted(axes)
    }

    /// The axes reordered: result axis `i` is this tensor's axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.count == rank && Set(axes) == Set(0..<rank), "permuted: \(axes) is not a permutation of the \(rank) axes")
        let out = rawPermuted(axes)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.record("permute", inputs: [self], output: out) { g, _ in [g.rawPermuted(inverse)] }
    }

    func rawPermuted(_ axes: [Int]) -> Tensor {
        if axes == Array(0..<rank) { return self }
        let newShape = axes.map { shape[$0] }
        let sourceStrides = Shape.strides(shape)
        let readStrides = axes.map { sourceStrides[$0] }
        let inner = newShape.last ?? 1
        let innerStride = readStrides.last ?? 1
        let rows = inner == 0 ? 0 : count / inner
        return scalars.withUnsafeBufferPointer { src in
            Tensor.build(newShape) { out in
                var index = [Int](repeating: 0, count: Swift.max(rank - 1, 0))
                for row in 0..<rows {
                    var offset = 0
                    for axis in 0..<(rank - 1) { offset += index[axis] * readStrides[axis] }
                    let o = row * inner
                    for j in 0..<inner { out[o + j] = src[offset + j * innerStride] }
                    var axis = rank - 2
                    while axis >= 0 {
                        index[axis] += 1
                        if index[axis] < newShape[axis] { break }
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
    }

    /// Inserts an axis of extent 1 at `axis` (which may be `rank`, or negative counting from the end).
    public func unsqueezed(at axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueezed: axis \(axis) out of range for rank \(rank)")
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes the axis `axis`, which must have extent 1; with nil, removes every axis of extent 1.
    public func squeezed(at axis: Int? = nil) -> Tensor {
        guard let axis else { return reshaped(shape.filter { $0 != 1 }) }
        let a = Shape.axis(axis, rank: rank, "squeezed")
        precondition(shape[a] == 1, "squeezed: axis \(axis) has extent \(shape[a]), not 1")
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }

    /// This tensor broadcast to a larger shape (a copy), as `expand` in PyTorch.
    public func broadcast(to target: [Int]) -> Tensor {
        precondition(Shape.broadcast(shape, target) == target, "broadcast: \(shape) cannot broadcast to \(target)")
        let zero = Tensor(unchecked: target, [Float](repeating: 0, count: Shape.count(target)))
        return self + zero.detached()
    }

    /// `length` consecutive entries of `axis` starting at `start`: shape with `shape[axis] = length`.
    public func narrowed(axis: Int, start: Int, length: Int) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "narrowed")
        precondition(start >= 0 && length >= 0 && start + length <= shape[a],
                     "narrowed: range \(start)..<\(start + length) out of bounds for axis \(a) of extent \(shape[a])")
        let (outer, extent, inner) = split3(a)
        var newShape = shape
        newShape[a] = length
        let out = scalars.withUnsafeBufferPointer { src in
            Tensor.build(newShape) { dst in
                let block = length * inner
                for o in 0..<outer {
                    let from = (o * extent + start) * inner
                    for j in 0..<block { dst[o * block + j] = src[from + j] }
                }
            }
        }
        let original = shape
        return Tensor.record("narrow", inputs: [self], output: out) { g, _ in
            [Tensor.scatterNarrow(g, into: original, axis: a, start: start)]
        }
    }

    /// The sub-tensor at `index` along `axis`, with that axis removed.
    public func selecting(axis: Int, index: Int) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "selecting")
        return narrowed(axis: a, start: index, length: 1).squeezed(at: a)
    }

    /// Splits along `axis` into pieces of the given extents (which must sum to `shape[axis]`).
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let a = Shape.axis(axis, rank: rank, "split")
        precondition(sizes.reduce(0, +) == shape[a] && sizes.allSatisfy { $0 >= 0 },
                     "split: sizes \(sizes) do not add up to \(shape[a]) along axis \(a)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return narrowed(axis: a, start: start, length: size)
        }
    }

    /// Splits along `axis` into `count` pieces of equal extent (as `torch.chunk` with an exact division).
    public func chunked(into count: Int, axis: Int) -> [Tensor] {
        let a = Shape.axis(axis, rank: rank, "chunked")
        precondition(count > 0 && shape[a] % count == 0, "chunked: extent \(shape[a]) of axis \(a) does not divide into \(count)")
        return split(sizes: [Int](repeating: shape[a] / count, count: count), axis: a)
    }

    /// Joins tensors along an existing axis; all other extents must match.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate: no tensors")
        let first = tensors[0]
        let a = Shape.axis(axis, rank: first.rank, "concatenate")
        for t in tensors {
            precondition(t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                         "concatenate: shape \(t.shape) does not match \(first.shape) outside axis \(a)")
        }
        let extents = tensors.map { $0.shape[a] }
        var newShape = first.shape
        newShape[a] = extents.reduce(0, +)
        let (outer, _, inner) = first.split3(a)
        let total = newShape[a] * inner
        let out = Tensor.build(newShape) { dst in
            var offset = 0
            for t in tensors {
                let block = t.shape[a] * inner
                t.scalars.withUnsafeBufferPointer { src in
                    for o in 0..<outer {
                        for j in 0..<block { dst[o * total + offset + j] = src[o * block + j] }
                    }
                }
                offset += block
            }
        }
        return record("concatenate", inputs: tensors, output: out) { g, needs in
            var start = 0
            return zip(extents, needs).map { extent, need in
                defer { start += extent }
                return need ? g.rawNarrowed(axis: a, start: start, length: extent) : nil
            }
        }
    }

    /// Joins same-shaped tensors along a new axis inserted at `axis`.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack: no tensors")
        let a = axis < 0 ? axis + tensors[0].rank + 1 : axis
        for t in tensors { precondition(t.shape == tensors[0].shape, "stack: shapes \(t.shape) and \(tensors[0].shape) differ") }
        return concatenate(tensors.map { $0.unsqueezed(at: a) }, axis: a)
    }

    /// (product of axes before `axis`, extent of `axis`, product of axes after it).
    func split3(_ axis: Int) -> (Int, Int, Int) {
        (Shape.count(Array(shape[..<axis])), shape[axis], Shape.count(Array(shape[(axis + 1)...])))
    }

    func rawNarrowed(axis: Int, start: Int, length: Int) -> Tensor {
        withoutGradients { narrowed(axis: axis, start: start, length: length) }
    }

    /// Zeros of `shape` with `g` written at `start` along `axis` (the gradient of `narrowed`).
    static func scatterNarrow(_ g: Tensor, into shape: [Int], axis: Int, start: Int) -> Tensor {
        let zeros = Tensor(unchecked: shape, [Float](repeating: 0, count: Shape.count(shape)))
        let (outer, extent, inner) = zeros.split3(axis)
        let length = g.shape[axis]
        var result = zeros
        result.scalars.withUnsafeMutableBufferPointer { dst in
            g.scalars.withUnsafeBufferPointer { src in
                let block = length * inner
                for o in 0..<outer {
                    let to = (o * extent + start) * inner
                    for j in 0..<block { dst[to + j] = src[o * block + j] }
                }
            }
        }
        return result
    }
}
