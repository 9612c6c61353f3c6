import CRecurrentKernels

/// A right-hand matrix packed once for many products: `op(B)` `[k×n]` laid out in the fallback GEMM's
/// micro-panels, so each later `C = alpha · A · op(B) + beta · C` packs only the (small) A.
///
/// This is for the recurrent layers' per-step products, `h_{t-1} · W_hhᵀ`: the weights are the same at
/// every step, and with a batch of a few dozen rows re-packing them per step costs about as much as the
/// arithmetic. Packing once per layer call removes that cost, and a thread that multiplies only its own
/// range of columns keeps its part of the packed weights in its own cache from step to step.
public final class PackedMatrix {
    /// Rows of op(B) (the depth of the products).
    public let depth: Int
    /// Columns of op(B) (the columns of C).
    public let columns: Int
    let kernel: MicroKernel
    /// Depth of each packed block.
    let blockDepth: Int
    /// Floats in one depth block: `blockDepth × roundUp(columns, NR)` (the last block may be shallower).
    private let panels: UnsafeMutablePointer<Float>
    private let paddedColumns: Int

    /// Packs `op(B)`.
    ///
    /// - Parameters:
    ///   - transposed: B is stored `[n×k]` (use Bᵀ) when true, `[k×n]` otherwise.
    ///   - b: the elements of B; `ldb` the distance between its stored rows.
    ///   - depth: k; `columns`: n.
    public init(transposed: Bool, b: UnsafePointer<Float>, ldb: Int, depth: Int, columns: Int) {
        precondition(depth >= 0 && columns >= 0, "PackedMatrix: negative size")
        self.depth = depth
        self.columns = columns
        kernel = MicroKernels.selected
        blockDepth = Swift.max(1, Swift.min(kernel.blocking.kc, depth))
        paddedColumns = FallbackGEMM.roundUp(Swift.max(columns, 1), kernel.nr)
        panels = FallbackGEMM.allocateFloats(Swift.max(1, depth * paddedColumns))
        var p0 = 0
        while p0 < depth {
            let kc = Swift.min(blockDepth, depth - p0)
            FallbackGEMM.packB(transB: transposed, b: b, ldb: ldb, p0: p0, kc: kc, j0: 0, nc: columns,
                               nr: kernel.nr, into: panels + p0 * paddedColumns)
            p0 += kc
        }
    }

    deinit { panels.deallocate() }

    /// `C[:, columnRange] = alpha · A · op(B)[:, columnRange] + beta · C[:, columnRange]`, on the calling thread.
    ///
    /// - Parameters:
    ///   - a: `[m×depth]` row-major with leading dimension `lda`.
    ///   - m: rows of A and C.
    ///   - c: `[m×columns]` with leading dimension `ldc`; only `columnRange` is touched (read when β ≠ 0).
    ///   - columnRange: the columns to compute; must start on a multiple of `columnAlignment` (default: all).
    ///   - workspace: scratch space reused across calls on this thread (a temporary one when nil).
    public func multiply(a: UnsafePointer<Float>, lda: Int, m: Int, alpha: Float = 1, beta: Float = 0,
                         c: UnsafeMutablePointer<Float>, ldc: Int, columnRange: Range<Int>? = nil,
                         workspace: GEMMWorkspace? = nil) {
        let range = columnRange ?? 0..<columns
        precondition(range.lowerBound % kernel.nr == 0 && range.upperBound <= columns,
                     "PackedMatrix.multiply: column range \(range) not aligned to \(kernel.nr) or beyond \(columns)")
        guard m > 0, !range.isEmpty else { return }
        guard depth > 0 else {
            for i in 0..<m {
                let row = c + i * ldc
                for j in range { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        let mr = kernel.mr, nr = kernel.nr, copies = kernel.aCopies
        if m < PackedMatrix.fewRows, let fewRows = kernel.runFewRows {
            // A batch of one or two: row-times-panel loops beat a mostly empty tile.
            var p0 = 0
            while p0 < depth {
                let kc = Swift.min(blockDepth, depth - p0)
                let block = panels + p0 * paddedColumns
                var jr = range.lowerBound
                while jr < range.upperBound {
                    fewRows(m, kc, a + p0, lda, block + jr * kc, Swift.min(nr, range.upperBound - jr), c + jr, ldc,
                            alpha, p0 == 0 ? beta : 1)
                    jr += nr
                }
                p0 += kc
            }
            return
        }
        let scratch = workspace ?? GEMMWorkspace()
        defer { withExtendedLifetime(scratch) {} }
        if let onRows = kernel.runOnRows {
            multiplyInPlace(onRows, a: a, lda: lda, m: m, alpha: alpha, beta: beta, c: c, ldc: ldc, range: range,
                            scratch: scratch)
            return
        }
        let rowsPadded = FallbackGEMM.roundUp(m, mr)
        let buffer = scratch.floats(rowsPadded * blockDepth * copies + mr * nr)
        let aBuffer = buffer, edge = buffer + rowsPadded * blockDepth * copies
        var p0 = 0
        while p0 < depth {
            let kc = Swift.min(blockDepth, depth - p0)
            let betaHere: Float = p0 == 0 ? beta : 1
            FallbackGEMM.packA(transA: false, a: a, lda: lda, i0: 0, mc: m, p0: p0, kc: kc, mr: mr,
                               copies: copies, into: aBuffer)
            let block = panels + p0 * paddedColumns
            var jr = range.lowerBound
            while jr < range.upperBound {
                let nCols = Swift.min(nr, range.upperBound - jr)
                let bPanel = UnsafePointer(block + jr * kc)
                var ir = 0
                while ir < m {
                    let nRows = Swift.min(mr, m - ir)
                    let aPanel = UnsafePointer(aBuffer + ir * kc * copies)
                    let cTile = c + ir * ldc + jr
                    if nRows == mr && nCols == nr {
                        kernel.run(kc, aPanel, bPanel, cTile, ldc, alpha, betaHere)
                    } else {
                        kernel.run(kc, aPanel, bPanel, edge, nr, alpha, 0)
                        FallbackGEMM.mergeEdge(edge, nr: nr, rows: nRows, cols: nCols, into: cTile, ldc: ldc, beta: betaHere)
                    }
                    ir += mr
                }
                jr += nr
            }
            p0 += kc
        }
    }

    /// The product with a kernel that reads A's rows in place: only a last partial tile of rows is copied
    /// (zero-padded to MR rows).
    private func multiplyInPlace(
        _ onRows: RowsKernelFunction, a: UnsafePointer<Float>, lda: Int, m: Int, alpha: Float, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int, range: Range<Int>, scratch: GEMMWorkspace
    ) {
        let mr = kernel.mr, nr = kernel.nr
        let fullRows = m / mr * mr, tailRows = m - fullRows
        let buffer = scratch.floats(mr * blockDepth + mr * nr)
        let tail = buffer, edge = buffer + mr * blockDepth
        var p0 = 0
        while p0 < depth {
            let kc = Swift.min(blockDepth, depth - p0)
            let betaHere: Float = p0 == 0 ? beta : 1
            if tailRows > 0 {
                for r in 0..<mr {
                    let row = tail + r * kc
                    if r < tailRows { row.update(from: a + (fullRows + r) * lda + p0, count: kc) } else { row.update(repeating: 0, count: kc) }
                }
            }
            let block = panels + p0 * paddedColumns
            var jr = range.lowerBound
            while jr < range.upperBound {
                let nCols = Swift.min(nr, range.upperBound - jr)
                let bPanel = UnsafePointer(block + jr * kc)
                var ir = 0
                while ir < fullRows {
                    if nCols == nr {
                        onRows(mr, kc, a + ir * lda + p0, lda, bPanel, nr, c + ir * ldc + jr, ldc, alpha, betaHere)
                    } else {
                        onRows(mr, kc, a + ir * lda + p0, lda, bPanel, nr, edge, nr, alpha, 0)
                        FallbackGEMM.mergeEdge(edge, nr: nr, rows: mr, cols: nCols, into: c + ir * ldc + jr, ldc: ldc, beta: betaHere)
                    }
                    ir += mr
                }
                if tailRows > 0 {
                    onRows(mr, kc, tail, kc, bPanel, nr, edge, nr, alpha, 0)
                    FallbackGEMM.mergeEdge(edge, nr: nr, rows: tailRows, cols: nCols, into: c + fullRows * ldc + jr, ldc: ldc, beta: betaHere)
                }
                jr += nr
            }
            p0 += kc
        }
    }

    /// Below this many rows, products use the row-times-panel loop instead of the micro-kernel.
    static let fewRows = 3

    /// Column ranges must start on a multiple of this (the micro-kernel's panel width).
    public var columnAlignment: Int { kernel.nr }
}
