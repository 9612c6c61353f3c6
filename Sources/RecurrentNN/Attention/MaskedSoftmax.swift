import RecurrentCore

extension Tensor {
    /// Softmax along the last axis over the allowed entries only: masked entries get exactly 0 and no
    /// gradient, and a row with nothing allowed becomes all zeros (never NaN) with zero gradient.
    ///
    /// One fused node of the tape (the same vectorized row kernel as `scaledDotProductAttention`).
    ///
    /// - Parameters:
    ///   - allowed: true = keep, broadcastable to this tensor's shape `[..., Lq, Lk]`; nil for none.
    ///   - isCausal: row `i` keeps only entries `j ≤ i` of the last axis.
    /// - Returns: the shape of `self` (rank ≥ 2; a vector `[n]` is treated as one row).
    /// - Throws: `AttentionError.maskShape` when `allowed` does not broadcast to the shape.
    public func maskedSoftmax(allowed: BoolMask?, isCausal: Bool = false) throws -> Tensor {
        let matrix = rank >= 2 ? self : reshaped([1, Swift.max(count, 0)])
        let lq = matrix.shape[matrix.rank - 2], lk = matrix.shape[matrix.rank - 1]
        let batchShape = Array(matrix.shape.dropLast(2))
        var layout: MaskLayout? = nil
        if let allowed {
            let maskShape = rank >= 2 ? allowed.shape : [1] + allowed.shape
            guard Shape.broadcast(maskShape, matrix.shape) == matrix.shape else {
                throw AttentionError.maskShape(name: "allowed", found: allowed.shape, target: shape)
            }
            layout = MaskLayout(allowed.reshaped(maskShape), batchShape: batchShape, queries: lq, keys: lk)
        }
        let geometry = AttentionKernel.Geometry(batchShape: batchShape, slices: Shape.count(batchShape), queries: lq, keys: lk,
                                                depth: 0, valueDepth: 0, scale: 1, causal: isCausal, mask: layout)
        var values = matrix.scalars
        values.withUnsafeMutableBufferPointer { buffer in
            let base = AttentionKernel.address(buffer)
            for b in 0..<geometry.slices {
                AttentionKernel.softmaxRows(geometry, slice: b, base + b * lq * lk)
            }
        }
        let probabilities = values
        let output = Tensor(shape: shape, scalars: values)
        return Tensor.record("masked_softmax", inputs: [self], output: output) { upstream, _ in
            var grad = upstream.scalars
            grad.withUnsafeMutableBufferPointer { g in
                probabilities.withUnsafeBufferPointer { p in
                    let (gp, pp) = (AttentionKernel.address(g), AttentionKernel.address(p))
                    for row in 0..<(lk == 0 ? 0 : p.count / lk) {
                        RowSoftmax.backward(pp + row * lk, gp + row * lk, count: lk)
                    }
                }
            }
            return [Tensor(shape: upstream.shape, scalars: grad)]
        }
    }
}
