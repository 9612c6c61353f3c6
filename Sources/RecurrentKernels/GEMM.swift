/// Single-precision general matrix multiply on row-major matrices.
///
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, where `op(X)` is `X` or its transpose.
/// TEMPORARY naive implementation: to be replaced by run-time BLAS plus a blocked SIMD fallback.
public enum GEMM {
    /// A short description of the matrix-multiply backend in use.
    public static var backendDescription: String { "fallback" }

    /// - Parameters:
    ///   - transA: use Aᵀ; A is stored [k×m] with leading dimension `lda` when true, [m×k] otherwise.
    ///   - transB: use Bᵀ; B is stored [n×k] when true, [k×n] otherwise.
    ///   - c: [m×n] with leading dimension `ldc`; read only when `beta != 0`.
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = 0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    acc += av * bv
                }
                c[i * ldc + j] = alpha * acc + (beta == 0 ? 0 : beta * c[i * ldc + j])
            }
        }
    }
}
