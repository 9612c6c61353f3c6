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

    /// How a call runs: kernel, blocking, threads and size cut-offs.
    struct Configuration: @unchecked Sendable {
        /// The micro-kernel.
        var kernel: MicroKernel = MicroKernels.selected
        /// Cache-blocking sizes; nil means the kernel's own (`MicroKernel.blocking`).
        var blocking: Blocking? = nil
        /// The most threads to use.
        var threads: Int = Parallel.threadCount
        /// Products with fewer multiply-adds (m·n·k) than this run on one thread.
        var parallelThreshold = 24_000_000
        /// Products with at most this many rows skip packing (see `smallSgemm`); measured crossover on
        /// AMD Zen 4 with the AVX2 kernel: packing wins from about 6 rows.
        var smallRows = 4
        /// With transB, products with at most this many columns skip packing too (each element is then
        /// one contiguous dot product; packing pads them to NR columns).
        var smallColumnsTransB = 4
    }

    /// What `GEMM.fallbackSgemm` uses.
    static let defaultConfiguration = Configuration()

    /// `C = alpha · op(A) · op(B) + beta · C` (row-major) as `configuration` says. Shapes as in `GEMM.sgemm`.
    static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        configuration: Configuration = defaultConfiguration
    ) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 || alpha == 0 {
            GEMM.scaleC(m: m, n: n, beta: beta, c: c, ldc: ldc)
            return
        }
        let work = m * n * k
        let small = m <= configuration.smallRows || (transB && n <= configuration.smallColumnsTransB)
        let kernel = configuration.kernel
        // Split the larger dimension of C into tile-aligned parts, one per thread. Each part packs its
        // own panels, so the threads never wait for one another.
        let splitColumns = n >= m
        let unit = splitColumns ? kernel.nr : kernel.mr
        let extent = splitColumns ? n : m
        let tiles = (extent + unit - 1) / unit
        let parts = work >= configuration.parallelThreshold ? min(max(1, configuration.threads), Parallel.availableThreads, tiles) : 1
        let part: (Int) -> Void = { index in
            let start = min(extent, tiles * index / parts * unit)
            let end = min(extent, tiles * (index + 1) / parts * unit)
            guard start < end else { return }
            let (i0, j0) = splitColumns ? (0, start) : (start, 0)
            let (rows, cols) = splitColumns ? (m, end - start) : (end - start, n)
            let aPart = transA ? a + i0 : a + i0 * lda
            let bPart = transB ? b + j0 * ldb : b + j0
            let cPart = c + i0 * ldc + j0
            if small {
                smallSgemm(transA: transA, transB: transB, m: rows, n: cols, k: k, alpha: alpha,
                           a: aPart, lda: lda, b: bPart, ldb: ldb, beta: beta, c: cPart, ldc: ldc)
            } else {
                blocked(transA: transA, transB: transB, m: rows, n: cols, k: k, alpha: alpha,
                        a: aPart, lda: lda, b: bPart, ldb: ldb, beta: beta, c: cPart, ldc: ldc,
                        kernel: kernel, blocking: configuration.blocking ?? kernel.blocking)
            }
        }
        if parts == 1 {
            part(0)
        } else {
            Parallel.forChunks(count: parts, grain: 1) { range in
                for index in range { part(index) }
            }
        }
    }

    /// The packed path on one thread, with packing buffers allocated once for the call.
    static func blocked(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, kernel: MicroKernel, blocking: Blocking
    ) {
        let mr = kernel.mr, nr = kernel.nr, copies = kernel.aCopies
        let kcMax = max(1, min(blocking.kc, k))
        let mcMax = min(max(mr, blocking.mc / mr * mr), roundUp(m, mr))
        let ncMax = min(max(nr, blocking.nc / nr * nr), roundUp(n, nr))
        // One allocation holds the packed A block, the packed B block and an edge tile, each starting
        // on a 64-byte boundary.
        let aCount = roundUp(mcMax * kcMax * copies, 16), bCount = roundUp(ncMax * kcMax, 16)
        let buffer = allocateFloats(aCount + bCount + mr * nr)
        defer { buffer.deallocate() }
        let aBuffer = buffer, bBuffer = buffer + aCount, edge = buffer + aCount + bCount

        var jc = 0
        while jc < n {
            let ncCur = min(ncMax, n - jc)
            var pc = 0
            while pc < k {
                let kcCur = min(kcMax, k - pc)
                let betaCur: Float = pc == 0 ? beta : 1
                packB(transB: transB, b: b, ldb: ldb, p0: pc, kc: kcCur, j0: jc, nc: ncCur, nr: nr, into: bBuffer)
                var ic = 0
                while ic < m {
                    let mcCur = min(mcMax, m - ic)
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
    /// `panel[(p*MR + r)*copies + 0..<copies]`. The output is written sequentially.
    static func packA(
        transA: Bool, a: UnsafePointer<Float>, lda: Int, i0: Int, mc: Int, p0: Int, kc: Int, mr: Int,
        copies: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        // op(A)(i, p) = a[i*rowStride + p*colStride]: A is stored [m×k], or [k×m] when transposed.
        let rowStride = transA ? 1 : lda, colStride = transA ? lda : 1
        var out = dst
        var ir = 0
        while ir < mc {
            let rowsHere = min(mr, mc - ir)
            let base = a + (i0 + ir) * rowStride + p0 * colStride
            if rowStride == 1 && copies == 1 && rowsHere == mr && (mr == 8 || mr == 16) {
                // Transposed A: the panel's rows are contiguous in each column — one vector per depth.
                packContiguousPanel(base: base, colStride: colStride, kc: kc, mr: mr, into: out)
                out += kc * mr
                ir += mr
                continue
            }
            if mr == 6 && rowsHere == 6 {
                packFullPanel6(base: base, rowStride: rowStride, colStride: colStride, kc: kc, copies: copies, into: out)
                out += kc * 6 * copies
                ir += mr
                continue
            }
            for p in 0..<kc {
                let column = base + p * colStride
                if copies == 1 {
                    for r in 0..<rowsHere { out[r] = column[r * rowStride] }
                    for r in rowsHere..<mr { out[r] = 0 }
                } else {
                    for r in 0..<rowsHere {
                        let value = column[r * rowStride]
                        for q in 0..<copies { out[r * copies + q] = value }
                    }
                    if rowsHere < mr { (out + rowsHere * copies).update(repeating: 0, count: (mr - rowsHere) * copies) }
                }
                out += mr * copies
            }
            ir += mr
        }
    }

    /// `packA` for one full panel of 8 or 16 rows that are contiguous in memory (transposed A, no copies):
    /// depth p's rows are `base[p*colStride ..< p*colStride + mr]`, copied as one vector.
    @inline(__always)
    static func packContiguousPanel(base: UnsafePointer<Float>, colStride: Int, kc: Int, mr: Int, into out: UnsafeMutablePointer<Float>) {
        let source = UnsafeRawPointer(base), destination = UnsafeMutableRawPointer(out)
        let stride = colStride * MemoryLayout<Float>.stride
        if mr == 8 {
            for p in 0..<kc {
                destination.storeBytes(of: source.loadUnaligned(fromByteOffset: p * stride, as: SIMD8<Float>.self), toByteOffset: p * 32, as: SIMD8<Float>.self)
            }
        } else {
            for p in 0..<kc {
                destination.storeBytes(of: source.loadUnaligned(fromByteOffset: p * stride, as: SIMD16<Float>.self), toByteOffset: p * 64, as: SIMD16<Float>.self)
            }
        }
    }

    /// `packA` for one full 6-row panel, unrolled (the hot case: both kernels have MR = 6).
    @inline(__always)
    static func packFullPanel6(
        base: UnsafePointer<Float>, rowStride: Int, colStride: Int, kc: Int, copies: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let r0 = base, r1 = base + rowStride, r2 = base + 2 * rowStride
        let r3 = base + 3 * rowStride, r4 = base + 4 * rowStride, r5 = base + 5 * rowStride
        if copies == 4 {
            let raw = UnsafeMutableRawPointer(out)
            for p in 0..<kc {
                let q = p * colStride, o = p * 96
                raw.storeBytes(of: SIMD4(repeating: r0[q]), toByteOffset: o, as: SIMD4<Float>.self)
                raw.storeBytes(of: SIMD4(repeating: r1[q]), toByteOffset: o + 16, as: SIMD4<Float>.self)
                raw.storeBytes(of: SIMD4(repeating: r2[q]), toByteOffset: o + 32, as: SIMD4<Float>.self)
                raw.storeBytes(of: SIMD4(repeating: r3[q]), toByteOffset: o + 48, as: SIMD4<Float>.self)
                raw.storeBytes(of: SIMD4(repeating: r4[q]), toByteOffset: o + 64, as: SIMD4<Float>.self)
                raw.storeBytes(of: SIMD4(repeating: r5[q]), toByteOffset: o + 80, as: SIMD4<Float>.self)
            }
        } else if copies == 1 {
            for p in 0..<kc {
                let q = p * colStride, o = out + p * 6
                o[0] = r0[q]; o[1] = r1[q]; o[2] = r2[q]; o[3] = r3[q]; o[4] = r4[q]; o[5] = r5[q]
            }
        } else {
            for p in 0..<kc {
                let q = p * colStride, o = out + p * 6 * copies
                let values = (r0[q], r1[q], r2[q], r3[q], r4[q], r5[q])
                for c in 0..<copies {
                    o[c] = values.0; o[copies + c] = values.1; o[2 * copies + c] = values.2
                    o[3 * copies + c] = values.3; o[4 * copies + c] = values.4; o[5 * copies + c] = values.5
                }
            }
        }
    }

    /// Packs op(B)[p0..<p0+kc, j0..<j0+nc] into NR-column panels of `kc×NR` floats, one after the other;
    /// columns past `nc` in the last panel are zero. Element (p, j) of a panel is `panel[p*NR + j]`.
    /// The output is written sequentially.
    static func packB(
        transB: Bool, b: UnsafePointer<Float>, ldb: Int, p0: Int, kc: Int, j0: Int, nc: Int, nr: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        var out = dst
        var jr = 0
        while jr < nc {
            let colsHere = min(nr, nc - jr)
            if transB {
                // B is stored [n×k]: op(B)(p, j) = b[j*ldb + p].
                let base = b + (j0 + jr) * ldb + p0
                for p in 0..<kc {
                    for j in 0..<colsHere { out[j] = base[j * ldb + p] }
                    if colsHere < nr { (out + colsHere).update(repeating: 0, count: nr - colsHere) }
                    out += nr
                }
            } else {
                let base = b + p0 * ldb + j0 + jr
                if colsHere == nr && (nr == 16 || nr == 32) {
                    // A full panel: each depth's NR columns as one or two vectors (no memcpy call per row).
                    let source = UnsafeRawPointer(base), destination = UnsafeMutableRawPointer(out)
                    let stride = ldb * MemoryLayout<Float>.stride
                    for p in 0..<kc {
                        let row = p * stride, o = p * nr * MemoryLayout<Float>.stride
                        destination.storeBytes(of: source.loadUnaligned(fromByteOffset: row, as: SIMD16<Float>.self), toByteOffset: o, as: SIMD16<Float>.self)
                        if nr == 32 {
                            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: row + 64, as: SIMD16<Float>.self), toByteOffset: o + 64,
                                                   as: SIMD16<Float>.self)
                        }
                    }
                    out += kc * nr
                } else {
                    for p in 0..<kc {
                        out.update(from: base + p * ldb, count: colsHere)
                        if colsHere < nr { (out + colsHere).update(repeating: 0, count: nr - colsHere) }
                        out += nr
                    }
                }
            }
            jr += nr
        }
    }

    /// The unpacked path for few rows or tiny products: one row of C at a time, reading op(B) in place.
    ///
    /// Without transB each row of C accumulates rows of B scaled by A (SIMD over columns, four depths
    /// at a time); with transB each element is a SIMD dot product of an A row and a B row. A transposed
    /// A row is first copied into a contiguous buffer of k floats.
    static func smallSgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let rowBuffer: UnsafeMutablePointer<Float>? = transA ? allocateFloats(k) : nil
        defer { rowBuffer?.deallocate() }
        for i in 0..<m {
            let aRow: UnsafePointer<Float>
            if let rowBuffer {
                for p in 0..<k { rowBuffer[p] = a[p * lda + i] }
                aRow = UnsafePointer(rowBuffer)
            } else {
                aRow = a + i * lda
            }
            let cRow = c + i * ldc
            if transB {
                for j in 0..<n {
                    let dot = alpha * dotProduct(aRow, b + j * ldb, count: k)
                    cRow[j] = beta == 0 ? dot : dot + beta * cRow[j]
                }
            } else {
                GEMM.scaleC(m: 1, n: n, beta: beta, c: cRow, ldc: ldc)
                var p = 0
                while p + 4 <= k {
                    axpy4(alpha * aRow[p], b + p * ldb, alpha * aRow[p + 1], b + (p + 1) * ldb,
                          alpha * aRow[p + 2], b + (p + 2) * ldb, alpha * aRow[p + 3], b + (p + 3) * ldb,
                          into: cRow, count: n)
                    p += 4
                }
                while p < k {
                    let s = alpha * aRow[p], bRow = b + p * ldb
                    for j in 0..<n { cRow[j] += s * bRow[j] }
                    p += 1
                }
            }
        }
    }

    /// `y[0..<count] += s0·x0 + s1·x1 + s2·x2 + s3·x3`.
    @inline(__always)
    static func axpy4(
        _ s0: Float, _ x0: UnsafePointer<Float>, _ s1: Float, _ x1: UnsafePointer<Float>,
        _ s2: Float, _ x2: UnsafePointer<Float>, _ s3: Float, _ x3: UnsafePointer<Float>,
        into y: UnsafeMutablePointer<Float>, count: Int
    ) {
        typealias V = SIMD8<Float>
        let v0 = V(repeating: s0), v1 = V(repeating: s1), v2 = V(repeating: s2), v3 = V(repeating: s3)
        var j = 0
        while j + 8 <= count {
            let out = UnsafeMutableRawPointer(y + j)
            var acc = out.loadUnaligned(as: V.self)
            acc += v0 * UnsafeRawPointer(x0 + j).loadUnaligned(as: V.self)
            acc += v1 * UnsafeRawPointer(x1 + j).loadUnaligned(as: V.self)
            acc += v2 * UnsafeRawPointer(x2 + j).loadUnaligned(as: V.self)
            acc += v3 * UnsafeRawPointer(x3 + j).loadUnaligned(as: V.self)
            out.storeBytes(of: acc, as: V.self)
            j += 8
        }
        while j < count {
            y[j] += s0 * x0[j] + s1 * x1[j] + s2 * x2[j] + s3 * x3[j]
            j += 1
        }
    }

    /// `Σ x[p]·y[p]` over `0..<count`, with two SIMD8 accumulators.
    @inline(__always)
    static func dotProduct(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        typealias V = SIMD8<Float>
        var acc0 = V(), acc1 = V()
        var p = 0
        while p + 16 <= count {
            acc0 += UnsafeRawPointer(x + p).loadUnaligned(as: V.self) * UnsafeRawPointer(y + p).loadUnaligned(as: V.self)
            acc1 += UnsafeRawPointer(x + p + 8).loadUnaligned(as: V.self) * UnsafeRawPointer(y + p + 8).loadUnaligned(as: V.self)
            p += 16
        }
        if p + 8 <= count {
            acc0 += UnsafeRawPointer(x + p).loadUnaligned(as: V.self) * UnsafeRawPointer(y + p).loadUnaligned(as: V.self)
            p += 8
        }
        var sum = (acc0 + acc1).sum()
        while p < count {
            sum += x[p] * y[p]
            p += 1
        }
        return sum
    }
}
