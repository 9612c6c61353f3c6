import ArgumentParser

@main
struct RecurrentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recurrent",
        abstract: "Recurrent sequence models (RNN, LSTM, GRU, seq2seq, attention) on the CPU.",
        version: RecurrentVersion.string,
        subcommands: [Info.self, Tag.self, TaggerCommand.self, G2PCommand.self, TranslateCommand.self, LMCommand.self, Inspect.self,
                      ParityCommand.self, Bench.self, Serve.self]
    )
}

enum RecurrentVersion {
    static let string = "0.1.0"
}
