import Foundation
import RecurrentData

/// What the `recurrent tag` and `recurrent tagger` commands do besides parsing arguments, kept here so it can
/// be tested without running the executable.
public enum TaggerCommandSupport {
    /// The tagger named by `--model DIR` or `--lang LANG` (English when neither is given).
    /// - Throws: `TaggerError.invalidConfiguration` when both are given; `.modelNotFound` / `.invalidModel`.
    public static func loadTagger(modelPath: String?, language: String?) throws -> Tagger {
        switch (modelPath, language) {
        case (.some, .some):
            throw TaggerError.invalidConfiguration("give --model or --lang, not both")
        case (.some(let path), nil):
            return try Tagger.load(from: URL(fileURLWithPath: path))
        case (nil, let language):
            return try ShippedTaggers.load(language: language ?? "en")
        }
    }

    /// The sentences to tag: the arguments joined by spaces when there are any (so `我 吃 瓜` and
    /// `"I saw her duck"` are each one sentence; a newline inside an argument starts another sentence), else
    /// the lines of standard input. One sentence per non-blank line, words separated by spaces.
    /// - Parameter readStandardInput: called only when there are no arguments.
    /// - Throws: `TaggerError.emptyInput` when there is no word at all; `ValidationFailure` for a sentence of
    ///   more than `Limits.maximumSequenceLength` words, or an unspaced one of more characters.
    public static func sentences(arguments: [String], readStandardInput: () -> String?) throws -> [[String]] {
        let text = arguments.isEmpty ? (readStandardInput() ?? "") : arguments.joined(separator: " ")
        let sentences = taggerSentences(fromLines: text)
        guard !sentences.isEmpty else { throw TaggerError.emptyInput }
        for (index, sentence) in sentences.enumerated() {
            let length = sentence.count == 1 ? sentence[0].count : sentence.count
            try Check.that(length <= Limits.maximumSequenceLength, "sentence \(index + 1)",
                           "\(length) \(sentence.count == 1 ? "characters" : "words") long; at most \(Limits.maximumSequenceLength) per sentence")
        }
        return sentences
    }

    /// Tags sentences and renders them, one sentence per line (`slash`) or as CoNLL-U.
    public static func tagText(_ sentences: [[String]], with tagger: Tagger, format: TaggedTextFormat) throws -> String {
        let tags = try tagger.tag(sentences)
        let rendered = zip(sentences, tags).map { format.render(words: $0, tags: $1, column: tagger.column) }
        return format == .slash ? rendered.joined(separator: "\n") + "\n" : rendered.joined(separator: "\n")
    }

    /// Segments the sentences that are one unbroken run of several Chinese characters (`我吃瓜`) with the
    /// shipped segmenter; others pass through unchanged, as does everything when no segmenter is found.
    public static func segmentingUnspacedChinese(_ sentences: [[String]], segmenter: () throws -> Tagger) throws -> [[String]] {
        func isUnspacedChinese(_ sentence: [String]) -> Bool {
            guard sentence.count == 1, sentence[0].count > 1 else { return false }
            return sentence[0].unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
        }
        guard sentences.contains(where: isUnspacedChinese) else { return sentences }
        let model: Tagger
        do { model = try segmenter() } catch TaggerError.modelNotFound { return sentences }
        return try sentences.map { try isUnspacedChinese($0) ? ChineseSegmentation.segment($0[0], with: model) : $0 }
    }

    /// `recurrent tag` in one call: load, read, tag, render.
    public static func run(modelPath: String?, language: String?, arguments: [String], format: TaggedTextFormat,
                           readStandardInput: () -> String?) throws -> String {
        var sentences = try sentences(arguments: arguments, readStandardInput: readStandardInput)
        let tagger = try loadTagger(modelPath: modelPath, language: language)
        if language == "zh" {
            sentences = try segmentingUnspacedChinese(sentences) { try ShippedTaggers.loadSegmenter() }
        }
        return try tagText(sentences, with: tagger, format: format)
    }
}
