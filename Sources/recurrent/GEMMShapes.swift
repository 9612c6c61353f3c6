import Foundation
import Recurrent

/// `sgemm_lm_shapes`: GFLOP/s of `GEMM.sgemm` (the default path) on the matrix products of one `charlm_train`
/// window — 32 streams × 128 steps = 4,096 rows, hidden 512, 4 gates — so the case's rate can be read against
/// the products it is made of and against the machine's peak. Names: `<what>_<transposes>_<m>x<n>x<k>`
/// (`T` marks a transposed operand): the input projection of layer 1, the input gradient, the weight
/// gradients (`dG^T · X` over all steps), one step's recurrent product, and a square 512 for reference.
enum GEMMShapes {
    static func run(minTime: Double) -> Benchmarks.Figures {
        var figures: Benchmarks.Figures = [:]
        let shapes: [(String, Bool, Bool, Int, Int, Int)] = [
            ("proj_NT_4096x2048x512", false, true, 4096, 2048, 512),
            ("proj_NN_4096x2048x512", false, false, 4096, 2048, 512),
            ("dx_NN_4096x512x2048", false, false, 4096, 512, 2048),
            ("dw_TN_2048x512x4096", true, false, 2048, 512, 4096),
            ("dw_TN_2048x1024x4096", true, false, 2048, 1024, 4096),
            ("step_NN_32x2048x512", false, false, 32, 2048, 512),
            ("sq_NN_512", false, false, 512, 512, 512),
        ]
        for (name, ta, tb, m, n, k) in shapes {
            var rng = Xoshiro256StarStar(seed: 1)
            let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) }
            var c = [Float](repeating: 0, count: m * n)
            let lda = ta ? m : k, ldb = tb ? k : n
            let s = MedianTimer.median(minTime: minTime) {
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                    GEMM.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1, a: ap.baseAddress!, lda: lda,
                               b: bp.baseAddress!, ldb: ldb, beta: 0, c: cp.baseAddress!, ldc: n)
                } } }
            }
            figures[name] = 2.0 * Double(m * n * k) / s / 1e9
        }
        return figures
    }
}
