import CRecurrentKernels
import Foundation

/// A micro-kernel body: one MR×NR tile of `C = alpha · A·B + beta · C` from packed panels.
///
/// - `kc`: the depth (≥ 0).
/// - `a`: the packed A panel, [kc×MR×aCopies]: element (r, p) at `a[(p*MR + r)*aCopies + 0..<aCopies]`.
/// - `b`: the packed B panel, [kc×NR]: element (p, j) at `b[p*NR + j]`.
/// - `c`: the MR×NR tile of C, row-major with leading dimension `ldc`; `beta == 0` never reads it.
typealias MicroKernelFunction = (
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) -> Void

/// A kernel that reads A's rows in place instead of a packed panel: rows `a + r·lda` (an MR-row tile for
/// `runOnRows`, `m` rows for `runFewRows`); B and C as for `MicroKernelFunction`.
typealias RowsKernelFunction = (
    _ m: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ columns: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) -> Void

/// A register-blocked micro-kernel and the panel layout it expects.
struct MicroKernel: @unchecked Sendable {
    /// A short name for descriptions, e.g. `avx2+fma 6x16`.
    let name: String
    /// Rows of the register tile (and of a packed A panel).
    let mr: Int
    /// Columns of the register tile (and of a packed B panel).
    let nr: Int
    /// How many copies of each A element a packed A panel holds (4: ready-made SIMD4 splats).
    let aCopies: Int
    /// Cache blocking that suits it (measured on AMD Zen 4 at n = 512 and 1024; flat within noise
    /// nearby). The packed A block `mc×kc×aCopies` floats is kept well under a 512 KiB L2.
    let blocking: FallbackGEMM.Blocking
    /// The kernel body.
    let run: MicroKernelFunction
    /// The same full MR×NR tile reading A's rows in place (`m` = MR, `columns` = NR), for kernels that have
    /// that form.
    var runOnRows: RowsKernelFunction? = nil
    /// One or two rows of A times a B panel (`columns` ≤ NR of them stored), for products whose rows are
    /// too few to fill a tile (a batch of one), when the kernel has such a loop.
    var runFewRows: RowsKernelFunction? = nil
}

enum MicroKernels {
    /// The portable kernel: 6×8 in Swift `SIMD4<Float>` (12 accumulators, fits the 16 SSE registers
    /// of baseline x86-64). A is packed as SIMD4 splats so the inner loop is loads, multiplies and adds
    /// with no shuffles.
    static let portable = MicroKernel(
        name: "swift-simd 6x8", mr: 6, nr: 8, aCopies: 4,
        blocking: FallbackGEMM.Blocking(kc: 384, mc: 48, nc: 2048), run: swift6x8)

    /// The AVX2+FMA kernel (C, compiled with a per-function target attribute): 6×16, 12 YMM accumulators.
    static let avx2 = MicroKernel(
        name: "avx2+fma 6x16", mr: 6, nr: 16, aCopies: 1, blocking: FallbackGEMM.Blocking(kc: 512, mc: 120, nc: 2048),
        run: { kc, a, b, c, ldc, alpha, beta in rk_sgemm_kernel_6x16_avx2(kc, a, b, c, ldc, alpha, beta) },
        runFewRows: { m, kc, a, lda, b, columns, c, ldc, alpha, beta in
            rk_panel_rows(m, kc, a, lda, b, columns, c, ldc, alpha, beta)
        })

    /// The AVX-512 kernel (C, per-function target attribute): 8×32, 16 ZMM accumulators, half the
    /// instructions and fewer loads per multiply-add than the AVX2 kernel.
    static let avx512 = MicroKernel(
        name: "avx512 8x32", mr: 8, nr: 32, aCopies: 1, blocking: FallbackGEMM.Blocking(kc: 512, mc: 128, nc: 2048),
        run: { kc, a, b, c, ldc, alpha, beta in rk_sgemm_kernel_8x32_avx512(kc, a, b, c, ldc, alpha, beta) },
        runOnRows: { _, kc, a, lda, b, _, c, ldc, alpha, beta in
            rk_sgemm_kernel_8x32_avx512_rows(kc, a, lda, b, c, ldc, alpha, beta)
        },
        runFewRows: { m, kc, a, lda, b, columns, c, ldc, alpha, beta in
            rk_panel_rows32_avx512(m, kc, a, lda, b, columns, c, ldc, alpha, beta)
        })

    /// The kernels this CPU can run, fastest first.
    static let available: [MicroKernel] = {
        var kernels: [MicroKernel] = []
        if rk_cpu_has_avx512() != 0 { kernels.append(avx512) }
        if rk_cpu_has_avx2_fma() != 0 { kernels.append(avx2) }
        kernels.append(portable)
        return kernels
    }()

    /// The kernel the fallback uses: the fastest available, or the one `RECURRENT_GEMM_KERNEL` names
    /// (`portable`, or `avx2` on a CPU that also has AVX-512).
    static let selected: MicroKernel = {
        let request = ProcessInfo.processInfo.environment["RECURRENT_GEMM_KERNEL"]?.lowercased()
        return select(request: request, available: available)
    }()

    /// Picks `portable` when `request` is "portable" (or "swift"), the AVX2 kernel for "avx2" when available,
    /// otherwise the first of `available`.
    static func select(request: String?, available: [MicroKernel]) -> MicroKernel {
        if request == "portable" || request == "swift" { return portable }
        if request == "avx2", let kernel = available.first(where: { $0.name == avx2.name }) { return kernel }
        return available.first ?? portable
    }

    static func swift6x8(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
    ) {
        typealias V = SIMD4<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var pa = UnsafeRawPointer(a), pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let b0 = pb.loadUnaligned(as: V.self)
            let b1 = pb.loadUnaligned(fromByteOffset: 16, as: V.self)
            var av = pa.loadUnaligned(as: V.self)
            c00 += av * b0; c01 += av * b1
            av = pa.loadUnaligned(fromByteOffset: 16, as: V.self)
            c10 += av * b0; c11 += av * b1
            av = pa.loadUnaligned(fromByteOffset: 32, as: V.self)
            c20 += av * b0; c21 += av * b1
            av = pa.loadUnaligned(fromByteOffset: 48, as: V.self)
            c30 += av * b0; c31 += av * b1
            av = pa.loadUnaligned(fromByteOffset: 64, as: V.self)
            c40 += av * b0; c41 += av * b1
            av = pa.loadUnaligned(fromByteOffset: 80, as: V.self)
            c50 += av * b0; c51 += av * b1
            pa += 96
            pb += 32
        }
        store(c00, c01, to: c, alpha: alpha, beta: beta)
        store(c10, c11, to: c + ldc, alpha: alpha, beta: beta)
        store(c20, c21, to: c + 2 * ldc, alpha: alpha, beta: beta)
        store(c30, c31, to: c + 3 * ldc, alpha: alpha, beta: beta)
        store(c40, c41, to: c + 4 * ldc, alpha: alpha, beta: beta)
        store(c50, c51, to: c + 5 * ldc, alpha: alpha, beta: beta)
    }

    /// Writes one 8-wide row `alpha · [lo, hi] + beta · row` (beta == 0 never reads `row`).
    @inline(__always)
    static func store(_ lo: SIMD4<Float>, _ hi: SIMD4<Float>, to row: UnsafeMutablePointer<Float>,
                      alpha: Float, beta: Float) {
        let raw = UnsafeMutableRawPointer(row)
        var x = lo * alpha, y = hi * alpha
        if beta == 1 {
            x += raw.loadUnaligned(as: SIMD4<Float>.self)
            y += raw.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
        } else if beta != 0 {
            x += raw.loadUnaligned(as: SIMD4<Float>.self) * beta
            y += raw.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self) * beta
        }
        raw.storeBytes(of: x, as: SIMD4<Float>.self)
        raw.storeBytes(of: y, toByteOffset: 16, as: SIMD4<Float>.self)
    }
}
