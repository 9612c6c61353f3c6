/// The portable GEMM: cache-blocked on packed panels (the Goto/BLIS scheme) around a register-blocked
/// SIMD micro-kernel from `MicroKernels`.
///
/// Loop nest for one thread's block of C: columns in steps of `nc` (a `kc×nc` packed B block meant for
/// L3) → depth in steps of `kc` → rows in steps of `mc` (a `mc×kc` packed A block meant for L2) →
/// NR-wide B micro-panels (`kc×NR`, meant for L1) → MR-tall A micro-panels → the micro-kernel.
enum FallbackGEMM {
    /// Cache-blocking sizes, in elements.
    struct Blocking: Sendable {
        /// Depth of a packed block.
        var kc: Int
        /// Rows of A packed at once (rounded down to a multiple of MR, at least MR).
        var mc: Int
        /// Columns of B packed at once (rounded down to a multiple of NR, at least NR).
        var nc: Int
    }

    /// The blocking used by `GEMM.fallbackSgemm`.
    static let defaultBlocking = Blocking(kc: 256, mc: 120, nc: 4096)

    /// Products with fewer multiply-adds than this run on one thread.
    static let parallelThreshold = 1 << 18

    /// Products with fewer multiply-adds than this skip packing (see `smallSgemm`).
    static let smallThreshold = 0

    /// `C = alpha · op(A) · op(B) + beta · C` (row-major) with `kernel`, on up to `threads` threads.
    /// Shapes as in `GEMM.sgemm`.
    static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        threads: Int, kernel: MicroKernel = MicroKernels.selected, blocking: Blocking = defaultBlocking
    ) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 || alpha == 0 {
            GEMM.scaleC(m: m, n: n, beta: beta, c: c, ldc: ldc)
            return
        }
        let work = m * n * k
        if work < smallThreshold {
            smallSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                       a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        // Split the larger dimension of C into tile-aligned parts, one per thread. Each part packs
        // its own panels, so the threads never wait for one another.
        let splitColumns = n >= m
        let unit = splitColumns ? kernel.nr : kernel.mr
        let extent = splitColumns ? n : m
        let tiles = (extent + unit - 1) / unit
        let parts = work >= parallelThreshold ? min(max(1, threads), tiles) : 1
        let part: (Int) -> Void = { index in
            let start = min(extent, tiles * index / parts * unit)
            let end = min(extent, tiles * (index + 1) / parts * unit)
            guard start < end else { return }
            blocked(transA: transA, transB: transB,
                    rows: splitColumns ? 0..<m : start..<end, cols: splitColumns ? start..<end : 0..<n,
                    k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
                    kernel: kernel, blocking: blocking)
        }
        if parts == 1 {
            part(0)
        } else {
            Parallel.forChunks(count: parts, grain: 1) { range in
                for index in range { part(index) }
            }
        }
    }

    /// One thread's share: the block `rows × cols` of C, with its own packing buffers (allocated once
    /// per call).
    static func blocked(
        transA: Bool, transB: Bool, rows: Range<Int>, cols: Range<Int>, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, kernel: MicroKernel, blocking: Blocking
    ) {
        let mr = kernel.mr, nr = kernel.nr, copies = kernel.aCopies
        let kcMax = max(1, min(blocking.kc, k))
        let mcMax = min(max(mr, blocking.mc / mr * mr), roundUp(rows.count, mr))
        let ncMax = min(max(nr, blocking.nc / nr * nr), roundUp(cols.count, nr))
        let aBuffer = allocateFloats(mcMax * kcMax * copies)
        let bBuffer = allocateFloats(ncMax * kcMax)
        let edge = allocateFloats(mr * nr)
        defer {
            aBuffer.deallocate()
            bBuffer.deallocate()
            edge.deallocate()
        }

        var jc = cols.lowerBound
        while jc < cols.upperBound {
            let ncCur = min(ncMax, cols.upperBound - jc)
            var pc = 0
            while pc < k {
                let kcCur = min(kcMax, k - pc)
                let betaCur: Float = pc == 0 ? beta : 1
                packB(transB: transB, b: b, ldb: ldb, p0: pc, kc: kcCur, j0: jc, nc: ncCur, nr: nr, into: bBuffer)
                var ic = rows.lowerBound
                while ic < rows.upperBound {
                    let mcCur = min(mcMax, rows.upperBound - ic)
                    packA(transA: transA, a: a, lda: lda, i0: ic, mc: mcCur, p0: pc, kc: kcCur, mr: mr,
                          copies: copies, into: aBuffer)
                    var jr = 0
                    while jr < ncCur {
                        let nCols = min(nr, ncCur - jr)
                        let bPanel = UnsafePointer(bBuffer + jr * kcCur)
                        var ir = 0
                        while ir < mcCur {
                            let nRows = min(mr, mcCur - ir)
                            let aPanel = UnsafePointer(aBuffer + ir * kcCur * copies)
                            let cTile = c + (ic + ir) * ldc + jc + jr
                            if nRows == mr && nCols == nr {
                                kernel.run(kcCur, aPanel, bPanel, cTile, ldc, alpha, betaCur)
                            } else {
                                kernel.run(kcCur, aPanel, bPanel, edge, nr, alpha, 0)
                                mergeEdge(edge, nr: nr, rows: nRows, cols: nCols, into: cTile, ldc: ldc, beta: betaCur)
                            }
                            ir += mr
                        }
                        jr += nr
                    }
                    ic += mcCur
                }
                pc += kcCur
            }
            jc += ncCur
        }
    }

    /// `c = tile + beta · c` over the top-left `rows × cols` of an edge tile (beta == 0 never reads c).
    static func mergeEdge(
        _ tile: UnsafeMutablePointer<Float>, nr: Int, rows: Int, cols: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float
    ) {
        for i in 0..<rows {
            let src = tile + i * nr
            let dst = c + i * ldc
            if beta == 0 {
                for j in 0..<cols { dst[j] = src[j] }
            } else if beta == 1 {
                for j in 0..<cols { dst[j] += src[j] }
            } else {
                for j in 0..<cols { dst[j] = src[j] + beta * dst[j] }
            }
        }
    }

    @inline(__always)
    static func roundUp(_ x: Int, _ unit: Int) -> Int { (x + unit - 1) / unit * unit }

    /// A 64-byte aligned buffer of `count` floats.
    static func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, count))
    }

    /// Packs op(A)[i0..<i0+mc, p0..<p0+kc] into MR-row panels of `kc×MR×copies` floats, one after the
    /// other; rows past `mc` in the last panel are zero. Element (r, p) of a panel fills
    /// `panel[(p*MR + r)*copies + 0..<copies]`.
    static func packA(
        transA: Bool, a: UnsafePointer<Float>, lda: Int, i0: Int, mc: Int, p0: Int, kc: Int, mr: Int,
        copies: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        // op(A)(i, p) = a[i*rowStride + p*colStride]: A is stored [m×k], or [k×m] when transposed.
        let rowStride = transA ? 1 : lda, colStride = transA ? lda : 1
        let step = mr * copies
        var ir = 0
        while ir < mc {
            let rowsHere = min(mr, mc - ir)
            let panel = dst + ir * kc * copies
            let base = a + (i0 + ir) * rowStride + p0 * colStride
            if transA {
                // A panel's rows are contiguous in memory for each p.
                for p in 0..<kc {
                    let src = base + p * colStride
                    let out = panel + p * step
                    if copies == 1 {
                        for r in 0..<rowsHere { out[r] = src[r] }
                    } else {
                        for r in 0..<rowsHere { for q in 0..<copies { out[r * copies + q] = src[r] } }
                    }
                }
            } else {
                for r in 0..<rowsHere {
                    let src = base + r * rowStride
                    let out = panel + r * copies
                    if copies == 1 {
                        for p in 0..<kc { out[p * step] = src[p] }
                    } else {
                        for p in 0..<kc {
                            let value = src[p]
                            for q in 0..<copies { out[p * step + q] = value }
                        }
                    }
                }
            }
            if rowsHere < mr {
                for p in 0..<kc {
                    (panel + p * step + rowsHere * copies).update(repeating: 0, count: (mr - rowsHere) * copies)
                }
            }
            ir += mr
        }
    }

    /// Packs op(B)[p0..<p0+kc, j0..<j0+nc] into NR-column panels of `kc×NR` floats, one after the other;
    /// columns past `nc` in the last panel are zero. Element (p, j) of a panel is `panel[p*NR + j]`.
    static func packB(
        transB: Bool, b: UnsafePointer<Float>, ldb: Int, p0: Int, kc: Int, j0: Int, nc: Int, nr: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        var jr = 0
        while jr < nc {
            let colsHere = min(nr, nc - jr)
            let panel = dst + jr * kc
            if transB {
                // B is stored [n×k]: op(B)(p, j) = b[j*ldb + p].
                for j in 0..<colsHere {
                    let src = b + (j0 + jr + j) * ldb + p0
                    for p in 0..<kc { panel[p * nr + j] = src[p] }
                }
                if colsHere < nr {
                    for p in 0..<kc { (panel + p * nr + colsHere).update(repeating: 0, count: nr - colsHere) }
                }
            } else {
                for p in 0..<kc {
                    let src = b + (p0 + p) * ldb + j0 + jr
                    let out = panel + p * nr
                    out.update(from: src, count: colsHere)
                    if colsHere < nr { (out + colsHere).update(repeating: 0, count: nr - colsHere) }
                }
            }
            jr += nr
        }
    }

    /// Unpacked product for tiny sizes: for each row of C, accumulate rows of op(B) scaled by op(A).
    static func smallSgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let aRow = transA ? 1 : lda, aCol = transA ? lda : 1
        for i in 0..<m {
            let row = c + i * ldc
            if transB {
                // op(B)(p, j) = b[j*ldb + p]: a dot product per element.
                for j in 0..<n {
                    let bj = b + j * ldb
                    var acc: Float = 0
                    for p in 0..<k { acc += a[i * aRow + p * aCol] * bj[p] }
                    row[j] = alpha * acc + (beta == 0 ? 0 : beta * row[j])
                }
            } else {
                GEMM.scaleC(m: 1, n: n, beta: beta, c: row, ldc: ldc)
                for p in 0..<k {
                    let scale = alpha * a[i * aRow + p * aCol]
                    let bp = b + p * ldb
                    for j in 0..<n { row[j] += scale * bp[j] }
                }
            }
        }
    }
}
