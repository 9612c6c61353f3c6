import RecurrentCore

/// A batch of integer sequences padded to the batch's longest: ids, lengths and a mask.
///
/// Layout: batch-major by default — `ids` and `mask` are `[batch, seq]`, as `Tensor.embedding(_:ids:)` and
/// `batchFirst: true` recurrent layers take them; `.sequenceMajor` gives `[seq, batch]` for layers that are
/// not batch-first. Row `b` holds sequence `indices[b]`, whose first `lengths[b]` positions are real
/// (`mask` 1) and the rest padding (`mask` 0, id `paddingID`).
public struct PaddedBatch {
    /// Which axis comes first.
    public enum Layout: Sendable {
        /// `[batch, seq]`.
        case batchMajor
        /// `[seq, batch]`.
        case sequenceMajor
    }

    /// The data-set index of each row.
    public let indices: [Int]
    /// `[batch, seq]` (or `[seq, batch]`): the ids, padded with `paddingID`.
    public let ids: IntTensor
    /// `[batch]`: each sequence's length.
    public let lengths: [Int]
    /// `[batch, seq]` (or `[seq, batch]`): 1 at real positions, 0 at padding.
    public let mask: Tensor
    /// The layout of `ids` and `mask`.
    public let layout: Layout

    /// The number of sequences.
    public var batchSize: Int { lengths.count }
    /// The padded length (the longest sequence's).
    public var maximumLength: Int { lengths.max() ?? 0 }
    /// The number of real (non-padding) positions.
    public var tokenCount: Int { lengths.reduce(0, +) }

    /// Pads sequences into a batch.
    ///
    /// - Parameters:
    ///   - sequences: the id sequences, one per row (lengths may differ; 0 is allowed).
    ///   - indices: their data-set indices (default `0..<count`); must have `sequences.count` entries.
    ///   - paddingID: the id written into padding (default 0, `<pad>`).
    ///   - layout: `.batchMajor` (default) or `.sequenceMajor`.
    public init(sequences: [[Int]], indices: [Int]? = nil, paddingID: Int = Vocabulary.paddingID, layout: Layout = .batchMajor) {
        precondition(indices == nil || indices!.count == sequences.count, "PaddedBatch: \(indices!.count) indices for \(sequences.count) sequences")
        self.indices = indices ?? Array(sequences.indices)
        self.lengths = sequences.map(\.count)
        self.layout = layout
        self.ids = PaddedBatch.pad(sequences, with: paddingID, layout: layout)
        let longest = lengths.max() ?? 0
        let batch = sequences.count
        var maskValues = [Float](repeating: 0, count: batch * longest)
        for (b, length) in lengths.enumerated() {
            for t in 0..<length { maskValues[layout == .batchMajor ? b * longest + t : t * batch + b] = 1 }
        }
        self.mask = Tensor(shape: layout == .batchMajor ? [batch, longest] : [longest, batch], scalars: maskValues)
    }

    /// Pads parallel sequences (tags for the words, say) the same way: `[batch, seq]` or `[seq, batch]`.
    /// - Throws: `BatchingError.lengthMismatch` when a sequence's length differs from `lengths`.
    public func padParallel(_ sequences: [[Int]], with value: Int = Vocabulary.paddingID) throws(BatchingError) -> IntTensor {
        guard sequences.count == lengths.count else {
            throw .lengthMismatch(index: Swift.min(sequences.count, lengths.count), expected: lengths.count, found: sequences.count)
        }
        for (i, sequence) in sequences.enumerated() where sequence.count != lengths[i] {
            throw .lengthMismatch(index: i, expected: lengths[i], found: sequence.count)
        }
        return PaddedBatch.pad(sequences, with: value, layout: layout)
    }

    /// Pads sequences to the longest: `[count, longest]` (batch-major) or `[longest, count]`.
    public static func pad(_ sequences: [[Int]], with value: Int, layout: Layout = .batchMajor) -> IntTensor {
        let batch = sequences.count
        let longest = sequences.map(\.count).max() ?? 0
        var values = [Int](repeating: value, count: batch * longest)
        for (b, sequence) in sequences.enumerated() {
            for (t, id) in sequence.enumerated() { values[layout == .batchMajor ? b * longest + t : t * batch + b] = id }
        }
        return IntTensor(shape: layout == .batchMajor ? [batch, longest] : [longest, batch], scalars: values)
    }

    /// Pads the characters of each word of each sequence (a character-level word encoder's input).
    ///
    /// - Parameters:
    ///   - words: `words[b][t]` is the character ids of word `t` of sequence `b`.
    ///   - value: the padding id.
    /// - Returns: `ids` `[batch, seq, chars]` (the longest sequence and the longest word) and `lengths`
    ///   `[batch, seq]` (each word's length; 0 at padded word positions). Always batch-major.
    public static func padCharacters(_ words: [[[Int]]], with value: Int = Vocabulary.paddingID) -> (ids: IntTensor, lengths: IntTensor) {
        let batch = words.count
        let longest = words.map(\.count).max() ?? 0
        let longestWord = words.lazy.flatMap { $0 }.map(\.count).max() ?? 0
        var ids = [Int](repeating: value, count: batch * longest * longestWord)
        var lengths = [Int](repeating: 0, count: batch * longest)
        for (b, sequence) in words.enumerated() {
            for (t, word) in sequence.enumerated() {
                lengths[b * longest + t] = word.count
                let base = (b * longest + t) * longestWord
                for (c, id) in word.enumerated() { ids[base + c] = id }
            }
        }
        return (IntTensor(shape: [batch, longest, longestWord], scalars: ids), IntTensor(shape: [batch, longest], scalars: lengths))
    }
}
