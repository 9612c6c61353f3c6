import RecurrentKernels

// Matrix products through `GEMM` (BLAS at run time, or the portable SIMD fallback).

extension Tensor {
    /// The matrix product.
    ///
    /// - `[m, k] · [k, n] → [m, n]`
    /// - batched: `[..., m, k] · [..., k, n] → [..., m, n]` with equal batch axes, or either side 2-D
    ///   (shared by every batch entry).
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2, "matmul: needs rank ≥ 2, got \(shape) and \(other.shape)")
        let (m, k) = (shape[rank - 2], shape[rank - 1])
        let (k2, n) = (other.shape[other.rank - 2], other.shape[other.rank - 1])
        precondition(k == k2, "matmul: inner dimensions differ: \(shape) · \(other.shape)")
        let batchA = Array(shape.dropLast(2)), batchB = Array(other.shape.dropLast(2))
        precondition(batchA.isEmpty || batchB.isEmpty || batchA == batchB,
                     "matmul: batch axes \(batchA) and \(batchB) differ")
        let batchShape = batchA.isEmpty ? batchB : batchA
        let batches = Shape.count(batchShape)
        let out = Tensor.batchedProduct(self, false, other, false, m: m, n: n, k: k,
                                        batches: batches, strideA: batchA.isEmpty ? 0 : m * k,
                                        strideB: batchB.isEmpty ? 0 : k * n, shape: batchShape + [m, n])
        let a = self, b = other
        return Tensor.record("matmul", inputs: [self, other], output: out) { g, needs in
            // dA = g · Bᵀ, dB = Aᵀ · g, summed over batches where a side was shared.
            var ga: Tensor? = nil, gb: Tensor? = nil
            if needs[0] {
                let full = Tensor.batchedProduct(g, false, b, true, m: m, n: k, k: n, batches: batches,
                                                 strideA: m * n, strideB: batchB.isEmpty ? 0 : k * n,
                                                 shape: batchShape + [m, k])
                ga = batchA.isEmpty && !batchShape.isEmpty ? full.rawReshaped([batches * m, k]).rowBlocksSummed(rows: m) : full
            }
            if needs[1] {
                if batchB.isEmpty {
                    // Aᵀ·g summed over batches = (A as [batches·m, k])ᵀ · (g as [batches·m, n]).
                    let aFlat = batchA.isEmpty ? a : a.rawReshaped([batches * m, k])
                    let gFlat = g.rawReshaped([batches * m, n])
                    gb = Tensor.batchedProduct(aFlat, true, gFlat, false, m: k, n: n, k: batchA.isEmpty ? m : batches * m,
                                               batches: 1, strideA: 0, strideB: 0, shape: [k, n])
                } else {
                    gb = Tensor.batchedProduct(a, true, g, false, m: k, n: n, k: m, batches: batches,
                                               strideA: batchA.isEmpty ? 0 : m * k, strideB: m * n,
                                               shape: batchShape + [k, n])
                }
            }
            return [ga, gb]
        }
    }

    /// `x · Wᵀ + b`, PyTorch's `linear`.
    ///
    /// - Parameters:
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]`, optional.
    /// - Returns: `[..., out]` for `self` of shape `[..., in]`.
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 2 && rank >= 1 && shape[rank - 1] == weight.shape[1],
                     "linear: input \(shape) does not match weight \(weight.shape) ([out, in])")
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        if let bias { precondition(bias.shape == [outFeatures], "linear: bias \(bias.shape) should be [\(outFeatures)]") }
        let rows = count / Swift.max(inFeatures, 1)
        let outputShape = Array(shape.dropLast()) + [outFeatures]
        // One node: y = x·Wᵀ (GEMM reading W transposed in place) + b, and its three gradients.
        var out = Tensor.batchedProduct(self, false, weight, true, m: rows, n: outFeatures, k: inFeatures, batches: 1,
                                        strideA: 0, strideB: 0, shape: outputShape)
        if let bias, rows > 0 {
            out.updateScalars { y in
                bias.scalars.withUnsafeBufferPointer { b in
                    y.withUnsafeMutableBufferPointer { y in
                        for r in 0..<rows {
                            let row = y.baseAddress! + r * outFeatures
                            for j in 0..<outFeatures { row[j] += b[j] }
                        }
                    }
                }
            }
        }
        let x = self, w = weight, inputShape = shape
        return Tensor.record("linear", inputs: [self, weight] + (bias.map { [$0] } ?? []), output: out) { g, needs in
            // dx = g · W, dW = gᵀ · x, db = Σ_rows g.
            let dx = needs[0] ? Tensor.batchedProduct(g, false, w, false, m: rows, n: inFeatures, k: outFeatures, batches: 1,
                                                      strideA: 0, strideB: 0, shape: inputShape) : nil
            let dw = needs[1] ? Tensor.batchedProduct(g, true, x, false, m: outFeatures, n: inFeatures, k: rows, batches: 1,
                                                      strideA: 0, strideB: 0, shape: [outFeatures, inFeatures]) : nil
            guard needs.count == 3 else { return [dx, dw] }
            let db = needs[2] ? g.rawReshaped([rows, outFeatures]).rawSum(alongAxis: 0, keepingDimension: false) : nil
            return [dx, dw, db]
        }
    }

    /// Sums consecutive blocks of `rows` rows of a matrix `[blocks·rows, n]` into `[rows, n]` (no tape).
    func rowBlocksSummed(rows: Int) -> Tensor {
        let n = shape[1], blocks = shape[0] / Swift.max(rows, 1)
        return rawReshaped([blocks, rows * n]).rawSum(alongAxis: 0, keepingDimension: false).rawReshaped([rows, n])
    }

    /// `batches` products `op(A_i) · op(B_i)` through GEMM, without recording.
    static func batchedProduct(_ a: Tensor, _ transA: Bool, _ b: Tensor, _ transB: Bool,
                               m: Int, n: Int, k: Int, batches: Int, strideA: Int, strideB: Int,
                               shape: [Int]) -> Tensor {
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                Tensor.build(shape) { out in
                    guard m > 0 && n > 0 else { return }
                    guard k > 0 else {
                        out.initialize(repeating: 0)
                        return
                    }
                    for batch in 0..<batches {
                        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                                   a: pa.baseAddress! + batch * strideA, lda: transA ? m : k,
                                   b: pb.baseAddress! + batch * strideB, ldb: transB ? k : n,
                                   beta: 0, c: out.baseAddress! + batch * m * n, ldc: n)
                    }
                }
            }
        }
    }
}
