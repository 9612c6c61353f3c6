import Testing
@testable import RecurrentKernels

// Shared helpers for the GEMM tests (used by FallbackGEMMTests, BLASTests and MicroKernelsTests too),
// then the tests of GEMM.swift itself.

/// A small deterministic generator (SplitMix64).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}

/// The signature shared by `GEMM.sgemm`, `GEMM.fallbackSgemm` and `GEMM.blasSgemm`.
typealias SgemmFunction = (
    Bool, Bool, Int, Int, Int, Float, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
    Float, UnsafeMutablePointer<Float>, Int
) -> Void

/// One GEMM call to check: sizes, transposes, extra elements per stored row, alpha and beta.
struct GEMMCase: CustomStringConvertible, Sendable {
    var m: Int, n: Int, k: Int
    var transA = false, transB = false
    /// Added to the minimal leading dimension of A, B and C.
    var pad = 0
    var alpha: Float = 1, beta: Float = 0

    var description: String {
        "m=\(m) n=\(n) k=\(k) transA=\(transA) transB=\(transB) pad=\(pad) alpha=\(alpha) beta=\(beta)"
    }

    /// Shapes that hit the edge cases: unit sizes, primes, single rows and columns, k = 0, empty C,
    /// exact tiles, and sizes that cross the register tiles and the cache blocks (k = 520 > kc).
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (7, 13, 29), (1, 37, 50), (41, 1, 33), (5, 6, 0), (0, 5, 3), (4, 0, 3),
        (6, 16, 64), (13, 17, 1), (100, 3, 20), (3, 100, 20), (9, 40, 70), (12, 32, 520), (67, 130, 300),
    ]

    /// Every shape with all four transpose combinations; padding, alpha and beta ∈ {0, 1, 0.5} rotate
    /// so that each transpose combination meets every beta.
    static let all: [GEMMCase] = {
        let alphas: [Float] = [1, -0.75, 2.5]
        let betas: [Float] = [0, 1, 0.5]
        var cases: [GEMMCase] = []
        var index = 0
        for (m, n, k) in shapes {
            for transA in [false, true] {
                for transB in [false, true] {
                    cases.append(GEMMCase(m: m, n: n, k: k, transA: transA, transB: transB,
                                          pad: index % 2 == 0 ? 0 : 3,
                                          alpha: alphas[index % 3], beta: betas[(index / 4 + index) % 3]))
                    index += 1
                }
            }
        }
        return cases
    }()
}

/// The inputs of one `GEMMCase` and its reference result, accumulated in Double.
struct GEMMProblem {
    let spec: GEMMCase
    let lda: Int, ldb: Int, ldc: Int
    let a: [Float], b: [Float], c0: [Float]
    /// The reference C, [m×n] packed.
    let expected: [Double]
    /// Per element: |alpha|·Σ|a·b| + |beta·c|, the scale of its rounding error.
    let magnitude: [Double]
    /// Written into C's padding (columns n..<ldc), which must survive.
    static let sentinel: Float = 12345.5

    init(_ spec: GEMMCase, seed: UInt64 = 1) {
        self.spec = spec
        let m = spec.m, n = spec.n, k = spec.k
        var random = TestRandom(seed: seed &+ UInt64(m * 1_000_003 + n * 1009 + k))
        let (aRows, aCols) = spec.transA ? (k, m) : (m, k)
        let (bRows, bCols) = spec.transB ? (n, k) : (k, n)
        let lda = aCols + spec.pad, ldb = bCols + spec.pad, ldc = n + spec.pad
        let a = (0..<max(1, aRows * lda)).map { _ in random.float() }
        let b = (0..<max(1, bRows * ldb)).map { _ in random.float() }
        var c = [Float](repeating: 0, count: max(1, m * ldc))
        for i in 0..<m {
            for j in 0..<ldc {
                // beta == 0 must ignore whatever C holds, even NaN.
                c[i * ldc + j] = j >= n ? Self.sentinel : (spec.beta == 0 ? .nan : random.float())
            }
        }
        var expected = [Double](repeating: 0, count: m * n)
        var magnitude = [Double](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0, total = 0.0
                        for p in 0..<k {
                            let product = Double(spec.transA ? a[p * lda + i] : a[i * lda + p])
                                * Double(spec.transB ? b[j * ldb + p] : b[p * ldb + j])
                            sum += product
                            total += abs(product)
                        }
                        let old = spec.beta == 0 ? 0 : Double(c[i * ldc + j])
                        expected[i * n + j] = Double(spec.alpha) * sum + Double(spec.beta) * old
                        magnitude[i * n + j] = abs(Double(spec.alpha)) * total + abs(Double(spec.beta) * old)
                    }
                }
            }
        }
        (self.lda, self.ldb, self.ldc, self.a, self.b, self.c0) = (lda, ldb, ldc, a, b, c)
        self.expected = expected
        self.magnitude = magnitude
    }

    /// Allowed error of element `index`: a few float roundings per term of its k-term sum.
    func tolerance(_ index: Int) -> Double {
        5e-7 * Double(spec.k + 2) * magnitude[index] + 1e-6
    }

    /// Calls `sgemm` with this problem's arguments on a fresh copy of C and returns the new C.
    func run(_ sgemm: SgemmFunction) -> [Float] {
        var c = c0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    sgemm(spec.transA, spec.transB, spec.m, spec.n, spec.k, spec.alpha,
                          a.baseAddress!, lda, b.baseAddress!, ldb, spec.beta, c.baseAddress!, ldc)
                }
            }
        }
        return c
    }

    /// The first problem with `result`, described; nil when every element is within tolerance and
    /// C's padding is untouched.
    func mismatch(_ result: [Float], label: String = "") -> String? {
        for i in 0..<spec.m {
            for j in 0..<ldc {
                let got = result[i * ldc + j]
                if j >= spec.n {
                    if got.bitPattern != Self.sentinel.bitPattern {
                        return "\(label) \(spec): padding C[\(i)][\(j)] overwritten with \(got)"
                    }
                    continue
                }
                let index = i * spec.n + j
                let error = abs(Double(got) - expected[index])
                if !(error <= tolerance(index)) {
                    return "\(label) \(spec): C[\(i)][\(j)] = \(got), expected \(expected[index]) (error \(error), tolerance \(tolerance(index)))"
                }
            }
        }
        return nil
    }
}

extension GEMMProblem {
    /// The problems of `GEMMCase.all`, built (and their references computed) once for all tests.
    static let all: [GEMMProblem] = GEMMCase.all.map { GEMMProblem($0) }
}

/// Checks `sgemm` on each of `problems` against the reference; returns the failures, described.
func gemmFailures(_ label: String, problems: [GEMMProblem] = GEMMProblem.all, _ sgemm: SgemmFunction) -> [String] {
    problems.compactMap { problem in problem.mismatch(problem.run(sgemm), label: label) }
}

@Suite struct GEMMTests {
    @Test func sgemmMatchesReferenceOnAllCases() {
        let failures = gemmFailures("sgemm") {
            GEMM.sgemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8, ldb: $9,
                       beta: $10, c: $11, ldc: $12)
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test func fallbackSgemmMatchesReferenceOnAllCases() {
        let failures = gemmFailures("fallbackSgemm") {
            GEMM.fallbackSgemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8,
                               ldb: $9, beta: $10, c: $11, ldc: $12)
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test(arguments: [Float(0), 1, 0.5])
    func zeroDepthScalesC(beta: Float) {
        for sgemm in [GEMM.sgemm, GEMM.fallbackSgemm] {
            var c: [Float] = [1, 2, 3, 4, 5, 6]
            if beta == 0 { c[4] = .nan }
            let a: [Float] = [9], b: [Float] = [9]
            sgemm(false, false, 2, 3, 0, 1, a, 1, b, 3, beta, &c, 3)
            let expected: [Float] = beta == 0 ? [0, 0, 0, 0, 0, 0] : [1, 2, 3, 4, 5, 6].map { $0 * beta }
            #expect(c == expected)
        }
    }

    @Test func zeroAlphaDoesNotReadAOrB() {
        for sgemm in [GEMM.sgemm, GEMM.fallbackSgemm] {
            var c: [Float] = [1, 2, 3, 4]
            let a: [Float] = [.nan, .nan], b: [Float] = [.nan, .nan]
            sgemm(false, false, 2, 2, 1, 0, a, 1, b, 2, 0.5, &c, 2)
            #expect(c == [0.5, 1, 1.5, 2])
        }
    }

    @Test func emptyOutputIsUntouched() {
        for sgemm in [GEMM.sgemm, GEMM.fallbackSgemm] {
            var c: [Float] = [7, 7]
            let a: [Float] = [1, 2], b: [Float] = [3, 4]
            sgemm(false, false, 0, 2, 1, 1, a, 1, b, 2, 0, &c, 2)
            sgemm(false, false, 2, 0, 1, 1, a, 1, b, 1, 0, &c, 1)
            #expect(c == [7, 7])
        }
    }

    @Test func descriptionsAgreeWithAvailability() {
        #expect(!GEMM.backendDescription.isEmpty)
        #expect(!GEMM.fallbackDescription.isEmpty)
        #expect(GEMM.blasAvailable == !GEMM.backendDescription.hasPrefix("fallback"))
    }
}
