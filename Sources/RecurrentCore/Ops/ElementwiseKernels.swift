import RecurrentKernels

/// Elements per thread below which elementwise loops stay on the calling thread.
@usableFromInline let elementwiseGrain = 1 << 15

extension Tensor {
    /// A new tensor of `shape` whose values are written by `fill` over a raw output buffer (no tape).
    @inlinable
    static func build(_ shape: [Int], _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) -> Tensor {
        let n = Shape.count(shape)
        // Capacity ≥ 1 (`fill` still sees exactly n values): with capacity 0 the standard library stores the count into its shared empty-array singleton, a data race (ThreadSanitizer) when threads do it at once.
        let values = [Float](unsafeUninitializedCapacity: Swift.max(n, 1)) { buffer, initialized in
            fill(UnsafeMutableBufferPointer(rebasing: buffer[..<n]))
            initialized = n
        }
        return Tensor(unchecked: shape, values)
    }

    /// `f` applied to every value, split across threads when large (no tape).
    @inlinable
    func mapped(_ f: (Float) -> Float) -> Tensor {
        scalars.withUnsafeBufferPointer { source in
            Tensor.build(shape) { out in
                let src = source.baseAddress!, dst = out.baseAddress!
                Parallel.forChunks(count: out.count, grain: elementwiseGrain) { range in
                    for i in range { dst[i] = f(src[i]) }
                }
            }
        }
    }

    /// `f` applied pairwise to two same-shaped tensors (no tape).
    @inlinable
    func zipped(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "zipped: shapes \(shape) and \(other.shape) differ")
        return scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                Tensor.build(shape) { out in
                    let pa = a.baseAddress!, pb = b.baseAddress!, dst = out.baseAddress!
                    Parallel.forChunks(count: out.count, grain: elementwiseGrain) { range in
                        for i in range { dst[i] = f(pa[i], pb[i]) }
                    }
                }
            }
        }
    }

    /// `f` applied pairwise after broadcasting both tensors to a common shape (no tape).
    @inlinable
    func broadcastZipped(_ other: Tensor, _ op: String, _ f: (Float, Float) -> Float) -> Tensor {
        if shape == other.shape { return zipped(other, f) }
        guard let target = Shape.broadcast(shape, other.shape) else {
            preconditionFailure("\(op): shapes \(shape) and \(other.shape) cannot be broadcast together")
        }
        // Fast paths: one side a single value.
        if other.count == 1 && target == shape {
            let b = other.scalars[0]
            return mapped { f($0, b) }
        }
        if count == 1 && target == other.shape {
            let a = scalars[0]
            return other.mapped { f(a, $0) }
        }
        return Tensor.broadcastLoop(self, other, target, f)
    }

    /// The general broadcasting loop: walks the output with a multi-index, reading both inputs through
    /// strides where broadcast axes have stride 0; the innermost axis is a tight loop.
    @usableFromInline
    static func broadcastLoop(_ a: Tensor, _ b: Tensor, _ target: [Int], _ f: (Float, Float) -> Float) -> Tensor {
        let rank = target.count
        let sa = Shape.broadcastStrides(a.shape, to: target)
        let sb = Shape.broadcastStrides(b.shape, to: target)
        let inner = target.last ?? 1
        let innerA = sa.last ?? 0, innerB = sb.last ?? 0
        let outer = inner == 0 ? 0 : Shape.count(target) / inner
        return a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                Tensor.build(target) { out in
                    let dst = out.baseAddress!
                    let srcA = pa.baseAddress!, srcB = pb.baseAddress!
                    Parallel.forChunks(count: outer, grain: Swift.max(1, elementwiseGrain / Swift.max(inner, 1))) { rows in
                        var index = [Int](repeating: 0, count: Swift.max(rank - 1, 0))
                        // Position the multi-index at the first row of this chunk.
                        var rest = rows.lowerBound
                        for axis in stride(from: rank - 2, through: 0, by: -1) {
                            index[axis] = rest % target[axis]
                            rest /= target[axis]
                        }
                        for row in rows {
                            var offA = 0, offB = 0
                            for axis in 0..<(rank - 1) {
                                offA += index[axis] * sa[axis]
                                offB += index[axis] * sb[axis]
                            }
                            let o = row * inner
                            for j in 0..<inner {
                                dst[o + j] = f(srcA[offA + j * innerA], srcB[offB + j * innerB])
                            }
                            var axis = rank - 2
                            while axis >= 0 {
                                index[axis] += 1
                                if index[axis] < target[axis] { break }
                                index[axis] = 0
                                axis -= 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Sums a gradient of a broadcast shape back down to `target` (the shape an input had before it
    /// was broadcast). No tape.
    func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        precondition(lead >= 0, "summed(toShape:): \(shape) cannot reduce to \(target)")
        var result = self
        // Sum away the leading axes, then every axis where the target has extent 1.
        for _ in 0..<lead { result = result.rawSum(alongAxis: 0, keepingDimension: false) }
        for axis in 0..<target.count where target[axis] == 1 && result.shape[axis] != 1 {
            result = result.rawSum(alongAxis: axis, keepingDimension: true)
        }
        return result.rawReshaped(target)
    }

    /// Pairwise sum of same-shaped tensors, not recorded (used to accumulate gradients).
    func adding(_ other: Tensor) -> Tensor { zipped(other, +) }

    /// Adds `other` into these values in place (copying first only when the storage is shared), for
    /// accumulating gradients without a new tensor per contribution.
    mutating func accumulate(_ other: Tensor) {
        precondition(shape == other.shape, "accumulate: shapes \(shape) and \(other.shape) differ")
        other.scalars.withUnsafeBufferPointer { b in
            scalars.withUnsafeMutableBufferPointer { a in
                guard let pa = a.baseAddress, let pb = b.baseAddress else { return }
                Parallel.forChunks(count: a.count, grain: elementwiseGrain) { range in
                    for i in range { pa[i] += pb[i] }
                }
            }
        }
    }

    /// The same values with a different shape of equal element count, not recorded.
    func rawReshaped(_ newShape: [Int]) -> Tensor {
        Tensor(unchecked: newShape, scalars)
    }
}
