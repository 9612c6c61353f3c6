/// The limits on what is read from outside — options, configurations, model folders, case files — checked
/// before the value drives work or allocation. Each is named in the error that enforces it.
public enum Limits {
    /// Widths: embedding sizes, hidden units, projections (per direction).
    public static let maximumWidth = 65_536
    /// Stacked recurrent layers.
    public static let maximumLayers = 64
    /// Entries of a vocabulary (words, characters, tags, phonemes).
    public static let maximumVocabulary = 10_000_000
    /// Values in all of a model's parameters together (2²⁸: 1 GiB in F32).
    public static let maximumParameters = 1 << 28
    /// Beam-search width.
    public static let maximumBeamWidth = 64
    /// Tokens in one input sequence or one decoded output (words of a sentence, letters of a word).
    public static let maximumSequenceLength = 1_000
    /// Sequences in one batch.
    public static let maximumBatchSize = 65_536
    /// Padded tokens in one batch.
    public static let maximumBatchTokens = 4_000_000
    /// Training epochs.
    public static let maximumEpochs = 100_000
    /// Characters of a prompt given to a language model.
    public static let maximumPromptLength = 100_000
    /// A learning rate (larger ones only diverge).
    public static let maximumLearningRate: Double = 1_000
    /// Rows a report lists (confusions, errors).
    public static let maximumReportRows = 100_000
}
