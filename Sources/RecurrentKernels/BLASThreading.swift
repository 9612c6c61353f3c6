import Foundation

/// How BLAS and our own threads share the cores.
///
/// The loaded BLAS runs single-threaded (an OpenBLAS is told so when it is loaded). Large products are split
/// by `GEMM.sgemm` into row or column blocks that run on `Parallel`'s threads, each a single-threaded
/// BLAS call. So only our threads ever run: a recurrent layer that gives each thread its own batch rows
/// never competes with a BLAS thread pool spinning on the same cores, and a product called from inside a
/// parallel loop simply runs on that loop's thread.
extension GEMM {
    /// Multiply-adds (m·n·k) from which `sgemm` splits a BLAS product across threads.
    static let splitThreshold = 1 << 21

    /// Splits a large product into `Parallel.availableThreads` blocks of rows (or of columns, when there are more
    /// columns than rows) of C, each computed by a single-threaded BLAS call on a thread of its own.
    ///
    /// - Returns: false when the product is too small to split or no BLAS is loaded (nothing was done).
    static func splitAcrossThreads(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> Bool {
        let threads = Parallel.availableThreads
        guard threads > 1, m > 0, n > 0, k > 0, m * n * k >= splitThreshold, Swift.max(m, n) >= 2 * threads else {
            return false
        }
        var computed = true
        let lock = NSLock()
        if m >= n {
            // Rows of C and of op(A).
            Parallel.forChunks(count: m, grain: (m + threads - 1) / threads) { rows in
                let aStart = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
                let done = blasSgemm(transA: transA, transB: transB, m: rows.count, n: n, k: k, alpha: alpha,
                                     a: aStart, lda: lda, b: b, ldb: ldb, beta: beta,
                                     c: c + rows.lowerBound * ldc, ldc: ldc)
                if !done { lock.lock(); computed = false; lock.unlock() }
            }
        } else {
            // Columns of C and of op(B).
            Parallel.forChunks(count: n, grain: (n + threads - 1) / threads) { columns in
                let bStart = transB ? b + columns.lowerBound * ldb : b + columns.lowerBound
                let done = blasSgemm(transA: transA, transB: transB, m: m, n: columns.count, k: k, alpha: alpha,
                                     a: a, lda: lda, b: bStart, ldb: ldb, beta: beta,
                                     c: c + columns.lowerBound, ldc: ldc)
                if !done { lock.lock(); computed = false; lock.unlock() }
            }
        }
        precondition(computed, "GEMM: the BLAS refused a block of a product it accepted whole")
        return true
    }
}

extension GEMM {
    /// `sgemm` on the calling thread only: never split across threads (for products inside a thread team,
    /// whose other threads are busy with their own work). Arguments and shapes as `sgemm`.
    public static func serialSgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if blasSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                     a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) {
            return
        }
        fallbackSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

