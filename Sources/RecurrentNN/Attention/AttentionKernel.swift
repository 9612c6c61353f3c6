import RecurrentCore
import RecurrentKernels

/// Where a mask is read for each slice, row and column of the attention weights `[batch..., Lq, Lk]`:
/// a boolean "may attend" mask (`MaskLayout`) or float values added to the scores (`BiasLayout`). The mask
/// broadcasts: repeated axes have stride 0.
struct BroadcastLayout<Element> {
    /// The mask values.
    let values: [Element]
    /// The offset of each slice (flattened batch index) in `values`.
    let sliceOffsets: [Int]
    /// The distance between rows (queries) and between columns (keys); 0 where the mask repeats.
    let rowStride: Int, columnStride: Int

    /// - Parameters:
    ///   - values: row-major values of a mask of `shape`, which must broadcast to `batchShape + [Lq, Lk]`.
    ///   - batchShape: the batch axes of the weights.
    init(values: [Element], shape: [Int], batchShape: [Int], queries: Int, keys: Int) {
        let target = batchShape + [queries, keys]
        let strides = BoolMask.broadcastStrides(of: shape, to: target)
        self.values = values
        rowStride = strides[target.count - 2]
        columnStride = strides[target.count - 1]
        let slices = Shape.count(batchShape)
        var offsets = [Int](repeating: 0, count: slices)
        var index = [Int](repeating: 0, count: batchShape.count)
        for b in 0..<slices {
            var offset = 0
            for axis in 0..<batchShape.count { offset += index[axis] * strides[axis] }
            offsets[b] = offset
            var axis = batchShape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < batchShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        sliceOffsets = offsets
    }

}

/// A boolean mask, true = may attend.
typealias MaskLayout = BroadcastLayout<Bool>
/// Float values added to the scaled scores before the softmax (−∞ masks a key).
typealias BiasLayout = BroadcastLayout<Float>

extension MaskLayout {
    /// - Parameter mask: true = may attend; must broadcast to `batchShape + [Lq, Lk]`.
    init(_ mask: BoolMask, batchShape: [Int], queries: Int, keys: Int) {
        self.init(values: mask.values, shape: mask.shape, batchShape: batchShape, queries: queries, keys: keys)
    }
}

extension BiasLayout {
    /// - Parameter bias: added to the scores; must broadcast to `batchShape + [Lq, Lk]`.
    init(_ bias: Tensor, batchShape: [Int], queries: Int, keys: Int) {
        self.init(values: bias.scalars, shape: bias.shape, batchShape: batchShape, queries: queries, keys: keys)
    }
}

/// Scaled dot-product attention over contiguous slices, as two nodes of the gradient tape: the weights
/// `α = softmax(scale · Q·Kᵀ, masked)` (inputs Q, K) and the output `α·V` (inputs α, V).
///
/// The forward pass runs slice by slice (one slice = one batch entry and head), each slice's scores
/// staying in cache from the first product through the softmax to the second product; slices are
/// split across threads.
enum AttentionKernel {
    /// The sizes of one call: `slices` independent problems `Q [Lq, d]`, `K [Lk, d]`, `V [Lk, dv]`.
    struct Geometry {
        let batchShape: [Int]
        let slices: Int, queries: Int, keys: Int, depth: Int, valueDepth: Int
        let scale: Float
        let causal: Bool
        let mask: MaskLayout?
        /// Float values added to the scaled scores (PyTorch's float `attn_mask`); a constant, without gradient.
        var bias: BiasLayout? = nil

        /// Multiply-adds of one slice's forward pass.
        var sliceWork: Int { queries * keys * (depth + valueDepth + 8) }
        /// Slices per thread worth splitting for: about 2¹⁷ multiply-adds.
        var grain: Int { Swift.max(1, (1 << 17) / Swift.max(1, sliceWork)) }
        /// Whether slices are spread over threads (each product then stays on its own thread).
        var splitsSlices: Bool { Parallel.availableThreads > 1 && slices >= 2 * grain }
    }

    /// One matrix product of a slice, `C = alpha · op(A)·op(B)` (row-major), through `GEMM.sgemm`: a BLAS
    /// library limited to one thread while slices run in parallel (see `forSlices`), else all of it.
    @inline(__always)
    static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
    }

    /// Storage that stands in for an empty buffer's missing base address (never read or written).
    nonisolated(unsafe) static let placeholder: UnsafeMutablePointer<Float> = {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    @inline(__always)
    static func address(_ buffer: UnsafeMutableBufferPointer<Float>) -> UnsafeMutablePointer<Float> {
        buffer.baseAddress ?? placeholder
    }

    @inline(__always)
    static func address(_ buffer: UnsafeBufferPointer<Float>) -> UnsafePointer<Float> {
        buffer.baseAddress.map { $0 } ?? UnsafePointer(placeholder)
    }

    /// Runs `body` over ranges of slices: split across threads when `geometry.splitsSlices` (many small
    /// products, each on one thread: a product inside a parallel loop stays on that loop's thread); otherwise
    /// all slices on the calling thread, each product split across every core by `GEMM.sgemm`.
    @inline(__always)
    static func forSlices(_ geometry: Geometry, _ body: (Range<Int>) -> Void) {
        if geometry.splitsSlices {
            Parallel.forChunks(count: geometry.slices, grain: geometry.grain, body)
        } else {
            body(0..<geometry.slices)
        }
    }

    /// Computes the weights and the output; records both on the tape when an input needs a gradient.
    ///
    /// - Parameters:
    ///   - q: `batchShape + [Lq, d]`; `k`: `batchShape + [Lk, d]`; `v`: `batchShape + [Lk, dv]` (equal batch axes).
    ///   - keepWeights: whether to return the weights (always kept when recording).
    /// - Returns: output `batchShape + [Lq, dv]`, weights `batchShape + [Lq, Lk]` (nil when not kept).
    static func attend(_ q: Tensor, _ k: Tensor, _ v: Tensor, geometry g: Geometry, keepWeights: Bool) -> (output: Tensor, weights: Tensor?) {
        let recording = GradientMode.isRecording && (q.requiresGrad || k.requiresGrad || v.requiresGrad)
        let keep = keepWeights || recording
        let (lq, lk, d, dv) = (g.queries, g.keys, g.depth, g.valueDepth)
        let weightCount = keep ? g.slices * lq * lk : 0
        let outputCount = g.slices * lq * dv
        var weightValues: [Float] = []
        let outputValues = [Float](unsafeUninitializedCapacity: outputCount) { outBuffer, initialized in
            weightValues = [Float](unsafeUninitializedCapacity: weightCount) { weightBuffer, weightsInitialized in
                withValuePointers([q, k, v]) { p in
                    forSlices(g) { range in
                        let scratch = keep ? nil : UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, lq * lk))
                        defer { scratch?.deallocate() }
                        for b in range {
                            let scores = scratch ?? address(weightBuffer) + b * lq * lk
                            sliceForward(g, b, q: p[0] + b * lq * d, k: p[1] + b * lk * d, v: p[2] + b * lk * dv,
                                         weights: scores, normalizeWeights: keep, output: address(outBuffer) + b * lq * dv)
                        }
                    }
                }
                weightsInitialized = weightCount
            }
            initialized = outputCount
        }
        var output = Tensor(shape: g.batchShape + [lq, dv], scalars: outputValues)
        guard keep else { return (output, nil) }
        var weights = Tensor(shape: g.batchShape + [lq, lk], scalars: weightValues)
        if recording {
            let probabilities = weightValues
            weights = Tensor.record("attention_weights", inputs: [q, k], output: weights) { upstream, needs in
                weightsBackward(g, probabilities: probabilities, q: q, k: k, upstream: upstream, needs: needs)
            }
            output = Tensor.record("attention_output", inputs: [weights, v], output: output) { upstream, needs in
                outputBackward(g, probabilities: probabilities, v: v, upstream: upstream, needs: needs)
            }
        }
        return (output, weights)
    }

    /// One slice: `S = scale · Q·Kᵀ` into `weights`, the masked softmax of each row in place, `O = α·V`.
    ///
    /// With `normalizeWeights` false (inference without weights) the rows keep `exp(s − max)` and the output
    /// rows are divided by the sums instead (`dv` values per row rather than `Lk`).
    @inline(__always)
    static func sliceForward(_ g: Geometry, _ b: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                             v: UnsafePointer<Float>, weights: UnsafeMutablePointer<Float>, normalizeWeights: Bool,
                             output: UnsafeMutablePointer<Float>) {
        let (lq, lk, d, dv) = (g.queries, g.keys, g.depth, g.valueDepth)
        if lq == 0 { return }
        gemm(transB: true, m: lq, n: lk, k: d, alpha: g.scale, a: q, lda: d, b: k, ldb: d, c: weights, ldc: lk)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: normalizeWeights ? 0 : lq) { inverses in
            softmaxRows(g, slice: b, weights, inverses: normalizeWeights ? nil : inverses.baseAddress)
            gemm(m: lq, n: dv, k: lk, a: weights, lda: lk, b: v, ldb: dv, c: output, ldc: dv)
            if !normalizeWeights {
                for i in 0..<lq {
                    let row = output + i * dv, inverse = inverses[i]
                    for j in 0..<dv { row[j] *= inverse }
                }
            }
        }
    }

    /// The masked softmax of every row of one slice's scores `[Lq, Lk]`, in place.
    ///
    /// - Parameter inverses: nil to normalize the rows; otherwise `[Lq]` receives `1 / Σ exp(s − max)` of
    ///   each row (0 for a fully masked row) and the rows keep `exp(s − max)`.
    @inline(__always)
    static func softmaxRows(_ g: Geometry, slice b: Int, _ scores: UnsafeMutablePointer<Float>,
                            inverses: UnsafeMutablePointer<Float>? = nil) {
        let mask = g.mask
        let maskBase = mask?.sliceOffsets[b] ?? 0
        let rowStride = mask?.rowStride ?? 0, columnStride = mask?.columnStride ?? 0
        withMaskPointer(mask) { allowed in
            for i in 0..<g.queries {
                if let bias = g.bias {
                    let row = scores + i * g.keys, start = bias.sliceOffsets[b] + i * bias.rowStride
                    for j in 0..<g.keys { row[j] += bias.values[start + j * bias.columnStride] }
                }
                let inverse = RowSoftmax.forward(scores + i * g.keys, count: g.keys, limit: g.causal ? i + 1 : g.keys,
                                                 allowed: allowed.map { $0 + maskBase + i * rowStride },
                                                 allowedStride: columnStride, normalize: inverses == nil)
                inverses?[i] = inverse
            }
        }
    }

    /// Calls `body` with a pointer to the mask values, or nil without a mask.
    @inline(__always)
    static func withMaskPointer<R>(_ mask: MaskLayout?, _ body: (UnsafePointer<Bool>?) -> R) -> R {
        guard let mask else { return body(nil) }
        return mask.values.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// Gradients of Q and K from the gradient of the weights:
    /// `dS = α ⊙ (dα − Σ dα ⊙ α)`, `dQ = scale · dS·K`, `dK = scale · dSᵀ·Q`.
    static func weightsBackward(_ g: Geometry, probabilities: [Float], q: Tensor, k: Tensor, upstream: Tensor,
                                needs: [Bool]) -> [Tensor?] {
        let (lq, lk, d) = (g.queries, g.keys, g.depth)
        var dq = needs[0] ? [Float](repeating: 0, count: q.count) : []
        var dk = needs[1] ? [Float](repeating: 0, count: k.count) : []
        var ds = upstream.scalars
        ds.withUnsafeMutableBufferPointer { dsBuffer in
            dq.withUnsafeMutableBufferPointer { dqBuffer in
                dk.withUnsafeMutableBufferPointer { dkBuffer in
                    withValuePointers([q, k]) { p in
                        probabilities.withUnsafeBufferPointer { probabilityBuffer in
                            forSlices(g) { range in
                                for b in range where lq > 0 && lk > 0 {
                                    let s = address(dsBuffer) + b * lq * lk
                                    let prob = address(probabilityBuffer) + b * lq * lk
                                    for i in 0..<lq { RowSoftmax.backward(prob + i * lk, s + i * lk, count: lk) }
                                    if needs[0] {
                                        gemm(m: lq, n: d, k: lk, alpha: g.scale, a: s, lda: lk, b: p[1] + b * lk * d, ldb: d,
                                             c: address(dqBuffer) + b * lq * d, ldc: d)
                                    }
                                    if needs[1] {
                                        gemm(transA: true, m: lk, n: d, k: lq, alpha: g.scale, a: s, lda: lk,
                                             b: p[0] + b * lq * d, ldb: d, c: address(dkBuffer) + b * lk * d, ldc: d)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return [needs[0] ? Tensor(shape: q.shape, scalars: dq) : nil, needs[1] ? Tensor(shape: k.shape, scalars: dk) : nil]
    }

    /// Gradients of the weights and V from the gradient of the output: `dα = dO·Vᵀ`, `dV = αᵀ·dO`.
    static func outputBackward(_ g: Geometry, probabilities: [Float], v: Tensor, upstream: Tensor, needs: [Bool]) -> [Tensor?] {
        let (lq, lk, dv) = (g.queries, g.keys, g.valueDepth)
        var dp = needs[0] ? [Float](repeating: 0, count: g.slices * lq * lk) : []
        var dvValues = needs[1] ? [Float](repeating: 0, count: v.count) : []
        dp.withUnsafeMutableBufferPointer { dpBuffer in
            dvValues.withUnsafeMutableBufferPointer { dvBuffer in
                withValuePointers([upstream, v]) { p in
                    probabilities.withUnsafeBufferPointer { probabilityBuffer in
                        forSlices(g) { range in
                            for b in range where lq > 0 && lk > 0 {
                                let dO = p[0] + b * lq * dv
                                if needs[0] {
                                    gemm(transB: true, m: lq, n: lk, k: dv, a: dO, lda: dv, b: p[1] + b * lk * dv, ldb: dv,
                                         c: address(dpBuffer) + b * lq * lk, ldc: lk)
                                }
                                if needs[1] {
                                    gemm(transA: true, m: lk, n: dv, k: lq, a: address(probabilityBuffer) + b * lq * lk,
                                         lda: lk, b: dO, ldb: dv, c: address(dvBuffer) + b * lk * dv, ldc: dv)
                                }
                            }
                        }
                    }
                }
            }
        }
        return [needs[0] ? Tensor(shape: g.batchShape + [lq, lk], scalars: dp) : nil,
                needs[1] ? Tensor(shape: v.shape, scalars: dvValues) : nil]
    }
}
