import RecurrentCore

/// Splits a data set into batches of sequences of similar length, in an order that depends only on a seed
/// and the epoch number — so every epoch is reproducible, and a run resumed from a checkpoint sees exactly
/// the batches it would have seen (`batches(epoch:)` is a pure function; there is no hidden state).
///
/// For an epoch: (1) the sequence indices are shuffled (if `shuffle`), (2) stably grouped into buckets of
/// `length / bucketWidth` from short to long (if `bucketWidth` is set), (3) cut into consecutive batches of
/// `.sentences(n)` sequences or of at most `.tokens(n)` padded tokens (`batch size × longest length`; a
/// sequence longer than the budget gets a batch of its own), and (4) the batches are shuffled (if
/// `shuffle`). Every sequence is in exactly one batch per epoch.
///
/// ```swift
/// let batcher = try BucketBatcher(lengths: train.map(\.words.count), size: .sentences(32), seed: 7)
/// for indices in batcher.batches(epoch: epoch) {
///     let batch = PaddedBatch(sequences: indices.map { encoded[$0] }, indices: indices)
/// }
/// ```
public struct BucketBatcher: Sendable {
    /// How big a batch may be.
    public enum Size: Equatable, Sendable {
        /// At most this many sequences.
        case sentences(Int)
        /// At most this many padded tokens: `sequences × longest length`.
        case tokens(Int)
    }

    /// Each sequence's length, by index.
    public let lengths: [Int]
    /// The batch size.
    public let size: Size
    /// Lengths are grouped by `length / bucketWidth`; nil keeps no length order (random batches when
    /// shuffling, the original order otherwise).
    public let bucketWidth: Int?
    /// Whether to shuffle sequences within buckets and the order of batches.
    public let shuffle: Bool
    /// The seed of the order.
    public let seed: UInt64

    /// - Parameters:
    ///   - lengths: each sequence's length (≥ 0).
    ///   - size: `.sentences(n)` or `.tokens(n)`, n > 0.
    ///   - bucketWidth: > 0, or nil for no bucketing (default 1: batches of equal lengths where possible).
    ///   - shuffle: shuffle (training) or not (evaluation: batches sorted by length, or in order).
    ///   - seed: the seed of the order.
    /// - Throws: `BatchingError` for a non-positive size or width, or a negative length.
    public init(lengths: [Int], size: Size, bucketWidth: Int? = 1, shuffle: Bool = true, seed: UInt64 = 0) throws(BatchingError) {
        switch size {
        case .sentences(let n) where n <= 0: throw .invalidSize("batch size \(n) must be > 0")
        case .tokens(let n) where n <= 0: throw .invalidSize("token budget \(n) must be > 0")
        default: break
        }
        if let bucketWidth, bucketWidth <= 0 { throw .invalidSize("bucket width \(bucketWidth) must be > 0") }
        if let index = lengths.firstIndex(where: { $0 < 0 }) { throw .negativeLength(index: index, length: lengths[index]) }
        self.lengths = lengths
        self.size = size
        self.bucketWidth = bucketWidth
        self.shuffle = shuffle
        self.seed = seed
    }

    /// The generator for an epoch's order: seeded from the seed and the epoch number (SplitMix64 spreads
    /// nearby seeds apart).
    public func generator(epoch: Int) -> Xoshiro256StarStar {
        Xoshiro256StarStar(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
    }

    /// The batches of an epoch: lists of sequence indices. A pure function of the settings and `epoch`.
    public func batches(epoch: Int) -> [[Int]] {
        var generator = generator(epoch: epoch)
        var order = Array(lengths.indices)
        if shuffle { SeededShuffle.shuffle(&order, using: &generator) }
        if let bucketWidth {
            // Stable grouping by bucket (a counting sort keeps the shuffled order within each bucket).
            let maxBucket = (lengths.max() ?? 0) / bucketWidth
            var buckets = [[Int]](repeating: [], count: maxBucket + 1)
            for index in order { buckets[lengths[index] / bucketWidth].append(index) }
            order = buckets.flatMap { $0 }
        }
        var batches: [[Int]] = []
        var current: [Int] = []
        var longest = 0
        for index in order {
            let length = lengths[index]
            switch size {
            case .sentences(let n):
                if current.count == n {
                    batches.append(current)
                    current = []
                }
            case .tokens(let n):
                let newLongest = Swift.max(longest, length)
                let (padded, overflow) = (current.count + 1).multipliedReportingOverflow(by: newLongest)
                if !current.isEmpty && (overflow || padded > n) {
                    batches.append(current)
                    current = []
                    longest = 0
                }
            }
            current.append(index)
            longest = Swift.max(longest, length)
        }
        if !current.isEmpty { batches.append(current) }
        if shuffle { SeededShuffle.shuffle(&batches, using: &generator) }
        return batches
    }

    /// The number of batches in an epoch.
    public func batchCount(epoch: Int = 0) -> Int {
        if case .sentences(let n) = size { return lengths.isEmpty ? 0 : (lengths.count - 1) / n + 1 }  // no overflow for any n
        return batches(epoch: epoch).count
    }
}
