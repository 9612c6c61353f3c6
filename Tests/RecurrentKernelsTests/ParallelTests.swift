import Testing
@testable import RecurrentKernels

@Suite struct ParallelTests {
    @Test func threadCountIsPositive() {
        #expect(Parallel.threadCount >= 1)
    }

    @Test(arguments: [0, 1, 2, 3, 7, 100, 1000, 4099])
    func forChunksCoversTheRangeExactlyOnce(count: Int) {
        for grain in [1, 3, 64, 10_000] {
            let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(1, count))
            hits.initialize(repeating: 0)
            defer { hits.deallocate() }
            // Chunks never overlap, so each index is written by one thread only.
            Parallel.forChunks(count: count, grain: grain) { range in
                for index in range { hits[index] += 1 }
            }
            let wrong = (0..<count).filter { hits[$0] != 1 }
            #expect(wrong.isEmpty, "count \(count) grain \(grain): indices not covered once: \(wrong.prefix(5))")
        }
    }

    @Test func smallWorkRunsInOneChunkOnTheCallingThread() {
        var ranges: [Range<Int>] = []
        Parallel.forChunks(count: 10, grain: 100) { ranges.append($0) }
        #expect(ranges == [0..<10])
    }
}
