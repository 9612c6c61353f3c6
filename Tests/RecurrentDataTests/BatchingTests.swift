import Foundation
import Testing
import TestSupport
import RecurrentCore
import RecurrentData

private func lengths(count: Int, seed: UInt64) -> [Int] {
    var rng = Xoshiro256StarStar(seed: seed)
    return (0..<count).map { _ in 1 + SeededShuffle.uniform(below: 40, using: &rng) }
}

@Suite("Batching")
struct BatchingTests {
    @Test("every sequence is in exactly one batch, every epoch", arguments: [BucketBatcher.Size.sentences(16), .sentences(1), .tokens(200), .tokens(7)])
    func coverage(size: BucketBatcher.Size) throws {
        let lengths = lengths(count: 301, seed: 3)
        for (width, shuffle) in [(1, true), (5, true), (nil, true), (1, false), (nil, false)] as [(Int?, Bool)] {
            let batcher = try BucketBatcher(lengths: lengths, size: size, bucketWidth: width, shuffle: shuffle, seed: 11)
            for epoch in 0..<3 {
                let batches = batcher.batches(epoch: epoch)
                #expect(batches.flatMap { $0 }.sorted() == Array(lengths.indices))
                #expect(batches.allSatisfy { !$0.isEmpty })
                switch size {
                case .sentences(let n): #expect(batches.allSatisfy { $0.count <= n })
                case .tokens(let n):
                    // Within budget, except a single sequence longer than the budget.
                    #expect(batches.allSatisfy { $0.count * $0.map { lengths[$0] }.max()! <= n || $0.count == 1 })
                }
            }
        }
    }

    @Test("deterministic for a seed; different across epochs and seeds")
    func determinism() throws {
        let lengths = lengths(count: 200, seed: 4)
        let a = try BucketBatcher(lengths: lengths, size: .sentences(8), seed: 42)
        let b = try BucketBatcher(lengths: lengths, size: .sentences(8), seed: 42)
        let c = try BucketBatcher(lengths: lengths, size: .sentences(8), seed: 43)
        #expect(a.batches(epoch: 0) == b.batches(epoch: 0))
        #expect(a.batches(epoch: 5) == b.batches(epoch: 5))
        #expect(a.batches(epoch: 0) != a.batches(epoch: 1))
        #expect(a.batches(epoch: 0) != c.batches(epoch: 0))
        #expect(a.batchCount() == 25)
    }

    @Test("the order is pinned: a seed gives these batches on every platform and Swift version")
    func pinnedOrder() throws {
        let batcher = try BucketBatcher(lengths: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3], size: .sentences(3), seed: 7)
        #expect(batcher.batches(epoch: 0) == Self.pinned)
        var rng = Xoshiro256StarStar(seed: 1)
        #expect(SeededShuffle.shuffled(Array(0..<10), using: &rng) == Self.pinnedShuffle)
    }
    static let pinned: [[Int]] = [[5], [8, 4, 7], [0, 9, 2], [1, 3, 6]]
    static let pinnedShuffle: [Int] = [3, 6, 1, 5, 0, 9, 2, 8, 4, 7]

    @Test("buckets keep lengths together: with width 1, batches are of one length where possible")
    func bucketing() throws {
        let lengths = lengths(count: 400, seed: 5)
        let batcher = try BucketBatcher(lengths: lengths, size: .sentences(10), bucketWidth: 1, seed: 1)
        let batches = batcher.batches(epoch: 0)
        let padded = batches.reduce(0) { $0 + $1.count * $1.map { lengths[$0] }.max()! }
        let real = lengths.reduce(0, +)
        let random = try BucketBatcher(lengths: lengths, size: .sentences(10), bucketWidth: nil, seed: 1).batches(epoch: 0)
        let randomPadded = random.reduce(0) { $0 + $1.count * $1.map { lengths[$0] }.max()! }
        #expect(Double(padded) < 1.05 * Double(real))
        #expect(randomPadded > padded)
        // Without shuffling, batches go from short to long and keep the data order within a length.
        let sorted = try BucketBatcher(lengths: lengths, size: .sentences(10), shuffle: false).batches(epoch: 3).flatMap { $0 }
        #expect(sorted.map { lengths[$0] } == lengths.sorted())
        let inOrder = try BucketBatcher(lengths: lengths, size: .sentences(10), bucketWidth: nil, shuffle: false).batches(epoch: 0)
        #expect(inOrder.flatMap { $0 } == Array(lengths.indices))
    }

    @Test("invalid settings are errors, not traps")
    func invalid() {
        #expect(throws: BatchingError.invalidSize("batch size 0 must be > 0")) { try BucketBatcher(lengths: [1], size: .sentences(0)) }
        #expect(throws: BatchingError.invalidSize("token budget -5 must be > 0")) { try BucketBatcher(lengths: [1], size: .tokens(-5)) }
        #expect(throws: BatchingError.invalidSize("bucket width 0 must be > 0")) { try BucketBatcher(lengths: [1], size: .tokens(5), bucketWidth: 0) }
        #expect(throws: BatchingError.negativeLength(index: 1, length: -2)) { try BucketBatcher(lengths: [1, -2], size: .sentences(2)) }
        #expect((try? BucketBatcher(lengths: [], size: .sentences(2)))?.batches(epoch: 0) == [])
    }

    @Test("padding: batch-major ids, lengths and mask; sequence-major on request")
    func padding() throws {
        let batch = PaddedBatch(sequences: [[5, 6, 7], [8], []], indices: [10, 11, 12])
        #expect(batch.ids == IntTensor([[5, 6, 7], [8, 0, 0], [0, 0, 0]]))
        #expect(batch.lengths == [3, 1, 0] && batch.indices == [10, 11, 12])
        #expect(batch.mask.shape == [3, 3] && batch.mask.scalars == [1, 1, 1, 1, 0, 0, 0, 0, 0])
        #expect(batch.tokenCount == 4 && batch.maximumLength == 3 && batch.batchSize == 3)
        #expect(try batch.padParallel([[1, 2, 3], [4], []], with: -1) == IntTensor([[1, 2, 3], [4, -1, -1], [-1, -1, -1]]))
        #expect(throws: BatchingError.lengthMismatch(index: 1, expected: 1, found: 2)) { try batch.padParallel([[1, 2, 3], [4, 5], []]) }

        let major = PaddedBatch(sequences: [[5, 6, 7], [8]], paddingID: 9, layout: .sequenceMajor)
        #expect(major.ids == IntTensor([[5, 8], [6, 9], [7, 9]]))
        #expect(major.mask.shape == [3, 2] && major.mask.scalars == [1, 1, 1, 0, 1, 0])
        #expect(try major.padParallel([[1, 2, 3], [4]]) == IntTensor([[1, 4], [2, 0], [3, 0]]))

        let empty = PaddedBatch(sequences: [])
        #expect(empty.ids.shape == [0, 0] && empty.mask.shape == [0, 0])
    }

    @Test("character padding: [batch, seq, chars] ids and [batch, seq] word lengths")
    func characterPadding() {
        let (ids, lengths) = PaddedBatch.padCharacters([[[3, 4], [5]], [[6, 7, 8]]])
        #expect(ids.shape == [2, 2, 3])
        #expect(ids.scalars == [3, 4, 0, 5, 0, 0, 6, 7, 8, 0, 0, 0])
        #expect(lengths == IntTensor([[2, 1], [3, 0]]))
    }

    @Test("EWT dev: 2,001 sentences in batches of 32 (and by a token budget), each exactly once")
    func realData() throws {
        guard let url = SharedData.require("data/ud_en_ewt/en_ewt-ud-dev.conllu") else { return }
        let sentences = try CoNLLU.read(contentsOf: url)
        let words = Vocabulary(counting: sentences.map(\.forms))
        for size in [BucketBatcher.Size.sentences(32), .tokens(1_000)] {
            let batcher = try BucketBatcher(lengths: sentences.map(\.words.count), size: size, bucketWidth: 2, seed: 1)
            let batches = batcher.batches(epoch: 0)
            #expect(batches.flatMap { $0 }.sorted() == Array(sentences.indices))
            var tokens = 0
            for indices in batches {
                let batch = PaddedBatch(sequences: indices.map { words.encode(sentences[$0].forms) }, indices: indices)
                tokens += batch.tokenCount
                #expect(batch.ids.shape == [indices.count, batch.maximumLength])
            }
            #expect(tokens == 25_147)
        }
    }

    @Test("uniform integers are in range and roughly uniform")
    func uniform() {
        var rng = Xoshiro256StarStar(seed: 9)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[SeededShuffle.uniform(below: 7, using: &rng)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
        #expect(SeededShuffle.uniform(below: 1, using: &rng) == 0)
    }
}

@Suite("BucketBatcher at the extremes")
struct BucketBatcherExtremeTests {
    @Test("a batch size or token budget of Int.max does not overflow")
    func hugeSizes() throws {
        let batcher = try BucketBatcher(lengths: [3, 1, 2], size: .sentences(.max), bucketWidth: nil, shuffle: false)
        #expect(batcher.batchCount() == 1)
        #expect(batcher.batches(epoch: 0) == [[0, 1, 2]])
        let tokens = try BucketBatcher(lengths: [.max / 2 + 1, 1, 1], size: .tokens(.max), bucketWidth: nil, shuffle: false)
        #expect(tokens.batches(epoch: 0) == [[0], [1, 2]])
        #expect(try BucketBatcher(lengths: [], size: .sentences(.max)).batchCount() == 0)
    }
}
