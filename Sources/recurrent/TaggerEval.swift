import ArgumentParser
import Foundation
import Recurrent

/// `recurrent tagger eval --model DIR --data F`: accuracy, per-tag precision/recall/F1, confusions.
struct TaggerEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a tagger on gold-tokenized CoNLL-U data: accuracy, per-tag precision/recall/F1, confusions."
    )

    @Option(name: .long, help: "A model folder written by `recurrent tagger train`.")
    var model: String
    @Option(name: .long, help: "Gold CoNLL-U data.")
    var data: String
    @Option(name: .long, help: "How many of the most frequent confusions to list.")
    var confusions: Int = 10

    func validate() throws {
        try checkingOptions { try Check.count(confusions, "confusions", in: 0...Limits.maximumReportRows) }
    }

    func run() throws {
        try cleanly {
            let tagger = try Tagger.load(from: URL(fileURLWithPath: model))
            let sentences = try TaggedSentence.read(contentsOf: URL(fileURLWithPath: data), column: tagger.column)
            let evaluation = try tagger.evaluate(sentences)
            print("\(data) (\(tagger.column.rawValue.uppercased()), \(sentences.count) sentences)")
            print(evaluation.report(confusionLimit: confusions))
        }
    }
}
