import Testing
@testable import RecurrentKernels

@Suite struct BLASThreadingTests {
    /// Products large enough to be split across threads (by rows when m ≥ n, by columns otherwise) agree with
    /// the fallback in every transpose combination, with padded leading dimensions and β ≠ 0.
    @Test(arguments: [(300, 120, 90), (70, 310, 100)], [(false, false), (true, false), (false, true), (true, true)])
    func splitProductsAgreeWithTheFallback(shape: (Int, Int, Int), transposes: (Bool, Bool)) throws {
        guard GEMM.blasAvailable else {
            print("skipped: no BLAS loaded (\(GEMM.backendDescription))")
            return
        }
        let (m, n, k) = shape
        let (transA, transB) = transposes
        #expect(m * n * k >= GEMM.splitThreshold)
        let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 5, ldc = n + 2
        var seed: UInt32 = 12345
        func next() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
        let a = (0..<((transA ? k : m) * lda)).map { _ in next() }
        let b = (0..<((transB ? n : k) * ldb)).map { _ in next() }
        let c0 = (0..<(m * ldc)).map { _ in next() }
        var ours = c0, reference = c0
        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1.5, a: a, lda: lda, b: b, ldb: ldb,
                   beta: 0.5, c: &ours, ldc: ldc)
        GEMM.fallbackSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1.5, a: a, lda: lda, b: b, ldb: ldb,
                           beta: 0.5, c: &reference, ldc: ldc)
        var worst: Float = 0
        for i in 0..<m { for j in 0..<n { worst = max(worst, abs(ours[i * ldc + j] - reference[i * ldc + j])) } }
        #expect(worst < 1e-4)
        // Padding columns of C are untouched.
        for i in 0..<m { for j in n..<ldc { #expect(ours[i * ldc + j] == c0[i * ldc + j]) } }
    }
}
