import Dispatch
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

    @Test func nestedCallsRunInlineAndStillCoverEverything() {
        let outer = 4, inner = 100
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: outer * inner)
        hits.initialize(repeating: 0)
        defer { hits.deallocate() }
        Parallel.forChunks(count: outer, grain: 1) { range in
            for i in range {
                Parallel.forChunks(count: inner, grain: 1) { innerRange in
                    for j in innerRange { hits[i * inner + j] += 1 }
                }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }

    @Test func concurrentCallersEachGetTheirWholeRange() {
        let callers = 4, count = 1000, repeats = 50
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: callers * count)
        hits.initialize(repeating: 0)
        defer { hits.deallocate() }
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for _ in 0..<repeats {
                Parallel.forChunks(count: count, grain: 1) { range in
                    for index in range { hits[caller * count + index] += 1 }
                }
            }
        }
        #expect(hits.allSatisfy { $0 == repeats })
    }

    @Test func workerPoolRunsEveryChunkOnceAcrossManyCalls() {
        let pool = WorkerPool(workers: 3)
        defer { pool.shutdown() }
        for chunks in [2, 3, 4, 9] {
            for _ in 0..<20 {
                let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks)
                hits.initialize(repeating: 0)
                pool.run(chunks: chunks) { hits[$0] += 1 }
                #expect(hits.allSatisfy { $0 == 1 }, "chunks \(chunks)")
                hits.deallocate()
            }
        }
    }

    @Test func aShutDownPoolStillRunsEveryChunk() {
        let pool = WorkerPool(workers: 2)
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: 6)
        hits.initialize(repeating: 0)
        defer { hits.deallocate() }
        pool.run(chunks: 3) { hits[$0] += 1 }
        pool.shutdown()
        pool.run(chunks: 3) { hits[3 + $0] += 1 }
        #expect(Array(hits) == [1, 1, 1, 1, 1, 1])
    }
}
