import Testing
@testable import RecurrentKernels
import CRecurrentKernels

@Suite struct MicroKernelsTests {
    static var kernelNames: [String] { MicroKernels.available.map(\.name) }

    /// One full tile from hand-packed panels, for beta 0 (over NaN), 1 and 0.5, with ldc > NR.
    @Test(arguments: kernelNames)
    func tileMatchesReference(kernelName: String) {
        let kernel = MicroKernels.available.first { $0.name == kernelName }!
        let mr = kernel.mr, nr = kernel.nr, copies = kernel.aCopies, kc = 37, ldc = nr + 5
        var random = TestRandom(seed: 42)
        let a = (0..<(mr * kc)).map { _ in random.float() }  // a[r*kc + p]
        let b = (0..<(kc * nr)).map { _ in random.float() }  // b[p*nr + j], already the packed layout
        var packedA = [Float](repeating: 0, count: kc * mr * copies)
        for p in 0..<kc { for r in 0..<mr { for q in 0..<copies { packedA[(p * mr + r) * copies + q] = a[r * kc + p] } } }
        for beta: Float in [0, 1, 0.5] {
            let alpha: Float = -1.5
            var c = (0..<(mr * ldc)).map { _ in beta == 0 ? Float.nan : random.float() }
            let old = c
            packedA.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        kernel.run(kc, pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, ldc, alpha, beta)
                    }
                }
            }
            for i in 0..<mr {
                for j in 0..<ldc {
                    if j >= nr {
                        #expect(c[i * ldc + j].bitPattern == old[i * ldc + j].bitPattern, "column \(j) past the tile")
                        continue
                    }
                    var sum = 0.0
                    for p in 0..<kc { sum += Double(a[i * kc + p]) * Double(b[p * nr + j]) }
                    let expected = Double(alpha) * sum + (beta == 0 ? 0 : Double(beta) * Double(old[i * ldc + j]))
                    #expect(abs(Double(c[i * ldc + j]) - expected) <= 1e-4 * (1 + abs(expected)),
                            "\(kernelName) beta \(beta) C[\(i)][\(j)]")
                }
            }
        }
    }

    @Test func selectionHonoursThePortableRequest() {
        #expect(MicroKernels.select(request: "portable", available: MicroKernels.available).name == MicroKernels.portable.name)
        #expect(MicroKernels.select(request: nil, available: MicroKernels.available).name == MicroKernels.available[0].name)
        #expect(MicroKernels.select(request: nil, available: []).name == MicroKernels.portable.name)
        #expect(MicroKernels.available.last?.name == MicroKernels.portable.name)
    }

    @Test func avx2KernelIsOfferedExactlyWhenTheCPUHasIt() {
        let offered = MicroKernels.available.contains { $0.name == MicroKernels.avx2.name }
        #expect(offered == (rk_cpu_has_avx2_fma() != 0))
        if !offered { print("AVX2+FMA kernel not tested: this CPU lacks AVX2 or FMA") }
    }
}
