import Testing
@testable import RecurrentKernels

@Suite struct PackedMatrixTests {
    func values(_ count: Int, seed: UInt32) -> [Float] {
        var s = seed
        return (0..<count).map { _ in s = s &* 1_664_525 &+ 1_013_904_223; return Float(s >> 8) / Float(1 << 24) - 0.5 }
    }

    /// Packed products equal the plain fallback product for both layouts of B, several depths (one block and
    /// several), edge rows and columns, β ≠ 0, and column ranges.
    @Test(arguments: [(1, 7, 5), (2, 40, 600), (6, 16, 3), (13, 37, 70), (32, 200, 600), (5, 1030, 257)], [false, true])
    func agreesWithTheFallback(shape: (Int, Int, Int), transposed: Bool) {
        let (m, n, k) = shape
        let ldb = (transposed ? k : n) + 2
        let b = values((transposed ? n : k) * ldb, seed: 7)
        let lda = k + 3, ldc = n + 1
        let a = values(m * lda, seed: 9)
        let c0 = values(m * ldc, seed: 11)
        let packed = PackedMatrix(transposed: transposed, b: b, ldb: ldb, depth: k, columns: n)
        var ours = c0, reference = c0
        packed.multiply(a: a, lda: lda, m: m, alpha: 1.25, beta: 0.5, c: &ours, ldc: ldc)
        GEMM.fallbackSgemm(transA: false, transB: transposed, m: m, n: n, k: k, alpha: 1.25, a: a, lda: lda,
                           b: b, ldb: ldb, beta: 0.5, c: &reference, ldc: ldc)
        var worst: Float = 0
        for i in 0..<m { for j in 0..<n { worst = max(worst, abs(ours[i * ldc + j] - reference[i * ldc + j])) } }
        #expect(worst <= 1e-4)
        for i in 0..<m { #expect(ours[i * ldc + n] == c0[i * ldc + n]) }  // padding untouched

        // A column range computes exactly those columns.
        let align = packed.columnAlignment
        let start = (n / 2) / align * align
        var part = c0
        packed.multiply(a: a, lda: lda, m: m, alpha: 1.25, beta: 0.5, c: &part, ldc: ldc, columnRange: start..<n)
        for i in 0..<m {
            for j in 0..<start { #expect(part[i * ldc + j] == c0[i * ldc + j]) }
            for j in start..<n { #expect(part[i * ldc + j] == ours[i * ldc + j]) }
        }
    }

    @Test func zeroDepthScalesC() {
        let packed = PackedMatrix(transposed: false, b: [0], ldb: 1, depth: 0, columns: 3)
        var c: [Float] = [1, 2, 3, 4, 5, 6]
        packed.multiply(a: [0], lda: 1, m: 2, beta: 2, c: &c, ldc: 3)
        #expect(c == [2, 4, 6, 8, 10, 12])
    }
}
