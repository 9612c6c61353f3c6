import Testing
@testable import RecurrentKernels

@Suite struct FallbackGEMMTests {
    /// The fallback with `configuration`, as an `sgemm`-shaped function.
    static func fallback(_ configuration: FallbackGEMM.Configuration) -> SgemmFunction {
        return {
            FallbackGEMM.sgemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8,
                               ldb: $9, beta: $10, c: $11, ldc: $12, configuration: configuration)
        }
    }

    static var kernelNames: [String] { MicroKernels.available.map(\.name) }

    static func kernel(named name: String) -> MicroKernel {
        MicroKernels.available.first { $0.name == name }!
    }

    /// The packed path (no unpacked shortcut), one thread, the kernel's own blocking.
    @Test(arguments: kernelNames)
    func packedPathMatchesReference(kernelName: String) {
        var configuration = FallbackGEMM.Configuration()
        configuration.kernel = Self.kernel(named: kernelName)
        configuration.threads = 1
        configuration.smallRows = 0
        configuration.smallColumnsTransB = 0
        let failures = gemmFailures(kernelName, Self.fallback(configuration))
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    /// Tiny cache blocks, so every shape crosses kc, mc and nc boundaries many times.
    @Test(arguments: kernelNames)
    func tinyBlocksMatchReference(kernelName: String) {
        var configuration = FallbackGEMM.Configuration()
        configuration.kernel = Self.kernel(named: kernelName)
        configuration.blocking = FallbackGEMM.Blocking(kc: 7, mc: 13, nc: 35)
        configuration.threads = 1
        configuration.smallRows = 0
        configuration.smallColumnsTransB = 0
        let problems = GEMMProblem.all.filter { $0.spec.m * $0.spec.n * $0.spec.k <= 100_000 }
        let failures = gemmFailures(kernelName, problems: problems, Self.fallback(configuration))
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    /// Two threads on every size: wide products split by columns, tall ones by rows.
    @Test(arguments: kernelNames)
    func parallelSplitMatchesReference(kernelName: String) {
        var configuration = FallbackGEMM.Configuration()
        configuration.kernel = Self.kernel(named: kernelName)
        configuration.threads = 2
        configuration.parallelThreshold = 0
        configuration.smallRows = 0
        configuration.smallColumnsTransB = 0
        let failures = gemmFailures(kernelName, Self.fallback(configuration))
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    /// The unpacked path used for few rows, forced on every shape, on one and two threads.
    @Test(arguments: [1, 2])
    func unpackedPathMatchesReference(threads: Int) {
        var configuration = FallbackGEMM.Configuration()
        configuration.threads = threads
        configuration.parallelThreshold = 0
        configuration.smallRows = .max
        let failures = gemmFailures("unpacked", Self.fallback(configuration))
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test func packAPadsTheLastPanelWithZeros() {
        // op(A) is 4×3 with rows i, values 10·i + p; packed into one 6-row panel with 2 copies.
        let a: [Float] = (0..<4).flatMap { i in (0..<3).map { p in Float(10 * i + p) } }
        var packed = [Float](repeating: .nan, count: 3 * 6 * 2)
        a.withUnsafeBufferPointer { a in
            packed.withUnsafeMutableBufferPointer { out in
                FallbackGEMM.packA(transA: false, a: a.baseAddress!, lda: 3, i0: 0, mc: 4, p0: 0, kc: 3, mr: 6,
                                   copies: 2, into: out.baseAddress!)
            }
        }
        for p in 0..<3 {
            for r in 0..<6 {
                let value: Float = r < 4 ? Float(10 * r + p) : 0
                #expect(packed[(p * 6 + r) * 2] == value && packed[(p * 6 + r) * 2 + 1] == value, "p \(p) r \(r)")
            }
        }
    }

    @Test func packBPadsTheLastPanelWithZeros() {
        // op(B) is 2×3 stored transposed ([3×2]), values 10·p + j; packed into one 4-column panel.
        let b: [Float] = (0..<3).flatMap { j in (0..<2).map { p in Float(10 * p + j) } }
        var packed = [Float](repeating: .nan, count: 2 * 4)
        b.withUnsafeBufferPointer { b in
            packed.withUnsafeMutableBufferPointer { out in
                FallbackGEMM.packB(transB: true, b: b.baseAddress!, ldb: 2, p0: 0, kc: 2, j0: 0, nc: 3, nr: 4,
                                   into: out.baseAddress!)
            }
        }
        #expect(packed == [0, 1, 2, 0, 10, 11, 12, 0])
    }
}
