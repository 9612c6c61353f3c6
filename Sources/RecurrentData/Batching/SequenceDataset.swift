import RecurrentCore

/// Token-id sequences with a target each — the path from arrays to padded batches for the three common tasks:
///
/// | task | `Target` | a batch's targets |
/// | --- | --- | --- |
/// | sequence classification | `Int` (a label) | `labels`: `[batch]` |
/// | sequence labelling | `[Int]` (a tag per token) | `paddedTargets`: `[batch, seq]` like the inputs |
/// | sequence to sequence | `[Int]` (an output sequence) | `targetBatch`: a `PaddedBatch` of its own |
///
/// Batches are random or length-bucketed and seeded (`BucketBatcher`): `batches(epoch:)` is a pure function of
/// the settings and the epoch, so runs and resumed runs see the same batches.
///
/// ```swift
/// let data = try SequenceDataset(inputs: sentences.map(vocabulary.encode), targets: labels)
/// for batch in try data.batches(epoch: 0, size: .sentences(32), seed: 1) {
///     let logits = try model(batch.inputs.ids, lengths: batch.inputs.lengths)   // ids [batch, seq]
///     let loss = try crossEntropy(logits: logits, targets: batch.labels)
/// }
/// ```
public struct SequenceDataset<Target: Sendable>: Sendable {
    /// The input id sequences.
    public let inputs: [[Int]]
    /// One target per input.
    public let targets: [Target]

    /// Pairs inputs with targets.
    /// - Throws: `BatchingError.lengthMismatch` when the counts differ, `.invalidSize` for an empty input
    ///   sequence (a recurrent layer needs at least one step).
    public init(inputs: [[Int]], targets: [Target]) throws(BatchingError) {
        guard inputs.count == targets.count else { throw .lengthMismatch(index: 0, expected: inputs.count, found: targets.count) }
        if let index = inputs.firstIndex(where: \.isEmpty) { throw .invalidSize("input sequence \(index) is empty") }
        self.inputs = inputs
        self.targets = targets
    }

    /// The number of examples.
    public var count: Int { inputs.count }

    /// One batch: the padded inputs and the examples' targets.
    public struct Batch {
        /// The inputs, padded: `ids` `[batch, seq]` (or `[seq, batch]`), `lengths`, `mask`, and each row's data-set index.
        public let inputs: PaddedBatch
        /// The targets, row by row.
        public let targets: [Target]
        /// The number of examples.
        public var count: Int { targets.count }
    }

    /// The batches of an epoch.
    /// - Parameters:
    ///   - epoch: 0-based; with `shuffle`, each epoch has its own order.
    ///   - size: `.sentences(n)` or `.tokens(n)` per batch.
    ///   - bucketWidth: group by `length / bucketWidth` (nil: random batches).
    ///   - shuffle: false for evaluation (batches in order, or by length when bucketing).
    ///   - seed: the seed of the order.
    ///   - layout: `.batchMajor` (default) or `.sequenceMajor` inputs.
    /// - Throws: `BatchingError` for bad sizes.
    public func batches(epoch: Int, size: BucketBatcher.Size, bucketWidth: Int? = nil, shuffle: Bool = true, seed: UInt64 = 0,
                        layout: PaddedBatch.Layout = .batchMajor) throws(BatchingError) -> [Batch] {
        let batcher = try BucketBatcher(lengths: inputs.map(\.count), size: size, bucketWidth: bucketWidth, shuffle: shuffle, seed: seed)
        return batcher.batches(epoch: epoch).map { indices in
            Batch(inputs: PaddedBatch(sequences: indices.map { inputs[$0] }, indices: indices, layout: layout),
                  targets: indices.map { targets[$0] })
        }
    }
}

extension SequenceDataset.Batch where Target == Int {
    /// Classification labels: `[batch]`.
    public var labels: IntTensor { IntTensor(shape: [count], scalars: targets) }
}

extension SequenceDataset.Batch where Target == [Int] {
    /// Sequence labelling: the targets padded like the inputs (`[batch, seq]` or `[seq, batch]`) with
    /// `ignoreIndex` at padding, for `crossEntropy(…, ignoreIndex:)`.
    /// - Throws: `BatchingError.lengthMismatch` when a target sequence is not as long as its input.
    public func paddedTargets(ignoreIndex: Int = -100) throws(BatchingError) -> IntTensor {
        try inputs.padParallel(targets, with: ignoreIndex)
    }

    /// Sequence to sequence: the target sequences as a batch of their own (`[batch, targetSeq]`, lengths).
    public func targetBatch(paddingID: Int = Vocabulary.paddingID) -> PaddedBatch {
        PaddedBatch(sequences: targets, indices: inputs.indices, paddingID: paddingID, layout: inputs.layout)
    }
}
