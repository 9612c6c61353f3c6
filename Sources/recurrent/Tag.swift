import ArgumentParser
import Foundation
import Recurrent

/// `recurrent tag [--model DIR | --lang en|zh] [TEXT…]`: part-of-speech tags for pre-segmented sentences.
struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tag pre-segmented sentences with parts of speech.",
        discussion: """
            Words are separated by spaces; each line is a sentence. The arguments are joined into one sentence \
            (`recurrent tag --lang zh 我 吃 瓜`); without arguments, sentences are read from standard input, one per \
            line. With --lang zh, a sentence written without spaces (`我吃瓜`) is first segmented into words by the \
            shipped segmenter. Prints `word/TAG …` per sentence, or CoNLL-U with --format conllu. Without --model or --lang, the \
            shipped English model is used (found in the repository's Models/ folder, or under RECURRENT_MODELS).
            """
    )

    @Option(name: .long, help: "A model folder written by `recurrent tagger train`.")
    var model: String?

    @Option(name: .customLong("lang"), help: "Use a shipped model: en or zh.")
    var language: String?

    @Option(name: .long, help: "Output format: slash (word/TAG) or conllu.")
    var format: String = "slash"

    @Argument(help: "The sentence to tag (words separated by spaces); read from standard input when absent.")
    var text: [String] = []

    func validate() throws {
        guard TaggedTextFormat(rawValue: format) != nil else { throw ValidationError("--format must be slash or conllu") }
        if model != nil && language != nil { throw ValidationError("give --model or --lang, not both") }
    }

    func run() throws {
        let output = try cleanly {
            try TaggerCommandSupport.run(
                modelPath: model, language: language, arguments: text, format: TaggedTextFormat(rawValue: format)!,
                readStandardInput: {
                    let data = FileHandle.standardInput.readDataToEndOfFile()
                    return String(decoding: data, as: UTF8.self)
                })
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
