import ArgumentParser

/// `recurrent tagger train|eval|segmentation-data|segment-eval`: train and evaluate part-of-speech taggers and
/// the Chinese segmenter.
struct TaggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tagger",
        abstract: "Train and evaluate part-of-speech taggers (word + character BiLSTM) on CoNLL-U data.",
        subcommands: [TaggerTrain.self, TaggerEval.self, TaggerSegmentationData.self, TaggerSegmentEval.self]
    )
}
