import ArgumentParser

/// `recurrent tagger train|eval`: train and evaluate part-of-speech taggers.
struct TaggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tagger",
        abstract: "Train and evaluate part-of-speech taggers (word + character BiLSTM) on CoNLL-U data.",
        subcommands: [TaggerTrain.self, TaggerEval.self]
    )
}
