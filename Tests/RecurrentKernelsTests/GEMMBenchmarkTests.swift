import Testing
@testable import RecurrentKernels

@Suite struct GEMMBenchmarkTests {
    @Test(arguments: GEMMBenchmark.Backend.allCases)
    func runReportsARate(backend: GEMMBenchmark.Backend) {
        let result = GEMMBenchmark.run(n: 24, backend: backend, minTime: 0)
        if !backend.isAvailable {
            #expect(result == nil)
            return
        }
        guard let result else {
            Issue.record("no result for \(backend)")
            return
        }
        #expect(result.samples >= 3)
        #expect(result.medianSeconds > 0)
        #expect(abs(result.gflops - 2 * 24 * 24 * 24 / result.medianSeconds / 1e9) <= 1e-9 * result.gflops)
    }
}

extension GEMMBenchmarkTests {
    @Test func compareTimesEachAvailableBackendOnce() {
        let results = GEMMBenchmark.compare(n: 16, backends: [.fallback, .fallback, .blas, .default], minTime: 0, rounds: 2)
        #expect(results[.fallback]?.samples == 6)
        #expect(results[.default] != nil)
        #expect((results[.blas] != nil) == GEMM.blasAvailable)
        #expect(results[.blasDirect] == nil)
    }

    @Test func availabilityFollowsTheLoadedLibrary() {
        #expect(GEMMBenchmark.Backend.fallback.isAvailable && GEMMBenchmark.Backend.default.isAvailable)
        #expect(GEMMBenchmark.Backend.blas.isAvailable == GEMM.blasAvailable)
        #expect(GEMMBenchmark.Backend.blasDirect.isAvailable == GEMM.blasAvailable)
        if GEMMBenchmark.Backend.blasThreaded.isAvailable { #expect(GEMM.backendDescription.hasPrefix("openblas")) }
    }
}
