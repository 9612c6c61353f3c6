/// Single-precision general matrix multiply on row-major matrices.
///
/// Every entry point computes `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, where `op(X)` is
/// `X` or its transpose. `sgemm` uses a CBLAS library found at run time (see `backendDescription`) and
/// otherwise the portable cache-blocked SIMD fallback, `fallbackSgemm`.
public enum GEMM {
    /// `C = alpha · op(A) · op(B) + beta · C` on row-major matrices, with the fastest backend available.
    ///
    /// With a BLAS loaded, products of at least `splitThreshold` multiply-adds are split into row or
    /// column blocks of C over `Parallel`'s threads, each a single-threaded BLAS call; smaller ones are
    /// one BLAS call. Without one, `fallbackSgemm` runs (it splits large products itself).
    ///
    /// - Parameters:
    ///   - transA: use Aᵀ; A is stored [k×m] with leading dimension `lda` (≥ m) when true,
    ///     [m×k] with `lda` ≥ k otherwise.
    ///   - transB: use Bᵀ; B is stored [n×k] with leading dimension `ldb` (≥ k) when true,
    ///     [k×n] with `ldb` ≥ n otherwise.
    ///   - m: rows of op(A) and of C (≥ 0).
    ///   - n: columns of op(B) and of C (≥ 0).
    ///   - k: columns of op(A) and rows of op(B) (≥ 0); k == 0 gives `C = beta · C`.
    ///   - alpha: scale of the product.
    ///   - a: the elements of A, as described under `transA`.
    ///   - lda: distance in elements between consecutive stored rows of A.
    ///   - b: the elements of B, as described under `transB`.
    ///   - ldb: distance in elements between consecutive stored rows of B.
    ///   - beta: scale of the old C; when 0, C is not read (NaN garbage is overwritten).
    ///   - c: [m×n] with leading dimension `ldc` (≥ n); must not overlap A or B.
    ///   - ldc: distance in elements between consecutive rows of C.
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if blasAvailable {
            if splitAcrossThreads(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                  a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) {
                return
            }
            if blasSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                         a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) {
                return
            }
        }
        fallbackSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// `C = alpha · op(A) · op(B) + beta · C` with the portable fallback, never a BLAS.
    ///
    /// Cache-blocked with packed panels and a register-blocked SIMD micro-kernel; large products are
    /// split over `Parallel.threadCount` threads. The arguments and shapes are those of
    /// `sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`:
    /// - `a`: [m×k] with leading dimension `lda` (≥ k), or [k×m] (`lda` ≥ m) when `transA`.
    /// - `b`: [k×n] with leading dimension `ldb` (≥ n), or [n×k] (`ldb` ≥ k) when `transB`.
    /// - `c`: [m×n] with leading dimension `ldc` (≥ n); read only when `beta != 0`.
    public static func fallbackSgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        FallbackGEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                           a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// The micro-kernel the fallback uses on this CPU, e.g. `avx2+fma 6x16` or `swift-simd 6x8`.
    public static var fallbackDescription: String { MicroKernels.selected.name }
}
