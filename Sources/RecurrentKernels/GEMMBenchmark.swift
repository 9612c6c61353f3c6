import Foundation

/// Times square single-precision matrix multiplies, `C[n×n] = A[n×n] · B[n×n]` (no transposes,
/// alpha 1, beta 0, random inputs in [-1, 1)).
public enum GEMMBenchmark {
    /// Which implementation to time.
    public enum Backend: String, Sendable, CaseIterable {
        /// `GEMM.blasSgemm`: the loaded BLAS through this module's wrapper.
        case blas
        /// `GEMM.fallbackSgemm`: the portable fallback.
        case fallback
        /// `GEMM.sgemm`: whatever it dispatches to.
        case `default`
        /// The loaded library's `cblas_sgemm` called directly through its function pointer, bypassing
        /// the wrapper, with the library threaded as `GEMM` uses it (the yardstick for the wrapper's
        /// overhead).
        case blasDirect
        /// `cblas_sgemm` called directly with the library's own thread pool set to
        /// `Parallel.threadCount` threads for the duration (OpenBLAS only, as it exposes
        /// `openblas_set_num_threads`): the library's multi-threaded rate, the yardstick for the
        /// fallback. Not for use while other threads call the BLAS.
        case blasThreaded

        /// Whether this backend needs a loaded BLAS.
        public var needsBLAS: Bool { self == .blas || self == .blasDirect || self == .blasThreaded }

        /// Whether this backend can run in this process.
        public var isAvailable: Bool {
            switch self {
            case .fallback, .default: return true
            case .blas, .blasDirect: return GEMM.blasAvailable
            case .blasThreaded: return BLASLoader.shared.library?.setThreads != nil
            }
        }
    }

    /// The timing of one backend.
    public struct Result: Sendable {
        /// Achieved rate: `2·n³ / medianSeconds / 1e9`.
        public var gflops: Double
        /// The median time of one multiply, in seconds.
        public var medianSeconds: Double
        /// How many timed multiplies were taken.
        public var samples: Int
    }

    /// Times one backend: a warm-up multiply, then timed multiplies until `minTime` seconds have passed
    /// (at least 3), reporting the median.
    ///
    /// - Parameters:
    ///   - n: the matrix order (≥ 1); A, B and C are [n×n].
    ///   - backend: what to time.
    ///   - minTime: the least total seconds spent in timed multiplies.
    /// - Returns: nil when `backend` cannot run here (`isAvailable` is false).
    public static func run(n: Int, backend: Backend, minTime: Double) -> Result? {
        compare(n: n, backends: [backend], minTime: minTime, rounds: 1)[backend]
    }

    /// Times several backends under the same conditions: `rounds` rounds, each giving every backend
    /// `minTime / rounds` seconds (at least 3 multiplies) in turn, so that a change in machine load hits
    /// all of them alike. Each result is the median over all of that backend's rounds.
    ///
    /// An OpenBLAS keeps its threads spinning for a moment after a call; before a backend that does not
    /// use the BLAS follows one that does, the run pauses 0.2 s so those threads go idle.
    ///
    /// - Parameters:
    ///   - n: the matrix order (≥ 1); A, B and C are [n×n].
    ///   - backends: what to time; duplicates are timed once.
    ///   - minTime: the least total seconds spent in timed multiplies per backend.
    ///   - rounds: how many times to cycle through the backends (≥ 1).
    /// - Returns: a result for each backend that could run (`isAvailable`).
    public static func compare(n: Int, backends: [Backend], minTime: Double, rounds: Int = 5) -> [Backend: Result] {
        precondition(n >= 1, "n must be positive")
        var unique: [Backend] = []
        for backend in backends where !unique.contains(backend) && backend.isAvailable {
            unique.append(backend)
        }
        guard !unique.isEmpty else { return [:] }

        let count = n * n
        let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer {
            a.deallocate()
            b.deallocate()
            c.deallocate()
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<count {
            a[i] = nextUniform(&state)
            b[i] = nextUniform(&state)
        }
        c.update(repeating: 0, count: count)

        let rounds = max(1, rounds)
        var times: [Backend: [Double]] = [:]
        var previousUsedBLAS = false
        for _ in 0..<rounds {
            for backend in unique {
                let usesBLAS = backend.needsBLAS || (backend == .default && GEMM.blasAvailable)
                if previousUsedBLAS && !usesBLAS { Thread.sleep(forTimeInterval: 0.2) }
                previousUsedBLAS = usesBLAS
                let setThreads = backend == .blasThreaded ? BLASLoader.shared.library?.setThreads : nil
                setThreads?(Int32(clamping: Parallel.threadCount))
                defer { setThreads?(BLASLoader.libraryThreads) }
                multiply(backend, n: n, a: a, b: b, c: c)  // warm-up: page faults, thread pools, caches
                var total = 0.0, taken = 0
                while taken < 3 || total < minTime / Double(rounds) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    multiply(backend, n: n, a: a, b: b, c: c)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    times[backend, default: []].append(seconds)
                    total += seconds
                    taken += 1
                }
            }
        }

        let flops = 2.0 * Double(n) * Double(n) * Double(n)
        return times.mapValues { samples in
            let sorted = samples.sorted()
            let middle = sorted.count / 2
            let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
            return Result(gflops: flops / median / 1e9, medianSeconds: median, samples: sorted.count)
        }
    }

    /// One multiply of the [n×n] matrices with `backend` (which must be able to run).
    private static func multiply(
        _ backend: Backend, n: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    ) {
        switch backend {
        case .fallback:
            GEMM.fallbackSgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1,
                               a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
        case .default:
            GEMM.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1,
                       a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
        case .blas:
            GEMM.blasSgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1,
                           a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
        case .blasDirect, .blasThreaded:
            guard let sgemm = BLASLoader.shared.library?.sgemm else { return }
            let n32 = Int32(n)
            sgemm(CBLAS.rowMajor, CBLAS.noTrans, CBLAS.noTrans, n32, n32, n32, 1, a, n32, b, n32, 0, c, n32)
        }
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
