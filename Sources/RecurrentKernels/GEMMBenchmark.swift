import Foundation

/// Times square single-precision matrix multiplies.
public enum GEMMBenchmark {
    /// Which implementation to time.
    public enum Backend: String, Sendable, CaseIterable {
        /// `GEMM.blasSgemm`: the loaded BLAS through this module's wrapper.
        case blas
        /// `GEMM.fallbackSgemm`: the portable fallback.
        case fallback
        /// `GEMM.sgemm`: whatever it dispatches to.
        case `default`
        /// The loaded library's `cblas_sgemm` function pointer called directly, bypassing the wrapper.
        case blasDirect
    }

    /// The outcome of `run`.
    public struct Result: Sendable {
        /// Achieved rate, `2·n³ / medianSeconds / 1e9`.
        public var gflops: Double
        /// The median time of one multiply.
        public var medianSeconds: Double
        /// How many timed multiplies were taken.
        public var samples: Int
    }

    /// Times `C[n×n] = A[n×n] · B[n×n]` (no transposes, alpha 1, beta 0) on random inputs.
    ///
    /// One warm-up multiply, then timed multiplies until `minTime` seconds have passed (at least 3),
    /// reporting the median.
    ///
    /// - Parameters:
    ///   - n: the matrix order (≥ 1).
    ///   - backend: what to time.
    ///   - minTime: the least total seconds spent in timed runs.
    /// - Returns: nil when `backend` needs a BLAS and none is loaded.
    public static func run(n: Int, backend: Backend, minTime: Double) -> Result? {
        precondition(n >= 1, "n must be positive")
        let multiply: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
        switch backend {
        case .fallback:
            multiply = { a, b, c in
                GEMM.fallbackSgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1,
                                   a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
            }
        case .default:
            multiply = { a, b, c in
                GEMM.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1,
                           a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
            }
        case .blas:
            guard GEMM.blasAvailable else { return nil }
            multiply = { a, b, c in
                GEMM.blasSgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1,
                               a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
            }
        case .blasDirect:
            guard let sgemm = BLASLoader.shared.library?.sgemm else { return nil }
            let n32 = Int32(n)
            multiply = { a, b, c in
                sgemm(CBLAS.rowMajor, CBLAS.noTrans, CBLAS.noTrans, n32, n32, n32, 1, a, n32, b, n32, 0, c, n32)
            }
        }

        let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer {
            a.deallocate()
            b.deallocate()
            c.deallocate()
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<(n * n) {
            a[i] = nextUniform(&state)
            b[i] = nextUniform(&state)
            c[i] = 0
        }

        multiply(a, b, c)  // warm-up: page faults, thread pools, caches
        var times: [Double] = []
        var total = 0.0
        while times.count < 3 || total < minTime {
            let start = DispatchTime.now().uptimeNanoseconds
            multiply(a, b, c)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            times.append(seconds)
            total += seconds
        }
        times.sort()
        let median = times.count % 2 == 1
            ? times[times.count / 2]
            : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        let flops = 2.0 * Double(n) * Double(n) * Double(n)
        return Result(gflops: flops / median / 1e9, medianSeconds: median, samples: times.count)
    }

    /// A uniform value in [-1, 1) from a SplitMix64 state.
    private static func nextUniform(_ state: inout UInt64) -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 23) - 1
    }
}
