import Foundation
import RecurrentCore
import RecurrentData
import RecurrentNN

extension Tagger {
    /// Tags pre-segmented sentences.
    ///
    /// - Parameters:
    ///   - sentences: `[sentences][words]`; an empty sentence gets no tags.
    ///   - batchSize: sentences per batch (sorted by length so batches pad little).
    /// - Returns: `[sentences][words]` tags, in input order.
    public func tag(_ sentences: [[String]], batchSize: Int = 256) throws -> [[String]] {
        let encoded = encoder.encode(sentences.map { TaggedSentence(words: $0) })
        let ids = try predictIDs(encoded, batchSize: batchSize)
        return ids.map { $0.map { vocabularies.tags.tokens[$0] } }
    }

    /// Tags one sentence.
    public func tag(_ words: [String]) throws -> [String] { try tag([words])[0] }

    /// Predicted tag ids for encoded sentences, in input order (empty sentences give `[]`).
    func predictIDs(_ encoded: [EncodedSentence], batchSize: Int = 256) throws -> [[Int]] {
        var result = [[Int]](repeating: [], count: encoded.count)
        let order = encoded.indices.filter { encoded[$0].count > 0 }.sorted { encoded[$0].count < encoded[$1].count }
        var start = 0
        while start < order.count {
            let end = Swift.min(order.count, start + Swift.max(1, batchSize))
            let indices = Array(order[start..<end])
            let predicted = try model.predict(TaggerBatch(indices.map { encoded[$0] }))
            for (index, tags) in zip(indices, predicted) { result[index] = tags }
            start = end
        }
        return result
    }

    /// Tags gold-tokenized sentences and scores the result against their gold tags.
    /// - Throws: `TaggerError.invalidData` when a sentence has no gold tags.
    public func evaluate(_ sentences: [TaggedSentence], batchSize: Int = 256) throws -> TaggerEvaluation {
        if let index = sentences.firstIndex(where: { $0.tags == nil }) {
            throw TaggerError.invalidData("sentence \(index + 1) has no gold tags")
        }
        let predicted = try tag(sentences.map(\.words), batchSize: batchSize)
        return TaggerEvaluation(gold: sentences.map { $0.tags! }, predicted: predicted)
    }
}

/// Output formats of tagged text.
public enum TaggedTextFormat: String, CaseIterable, Sendable {
    /// `word/TAG word/TAG …`, one sentence per line.
    case slash
    /// CoNLL-U: the tag in the UPOS or XPOS column, other columns `_`, a blank line after each sentence.
    case conllu

    /// One sentence in this format (without a trailing newline for `slash`; CoNLL-U ends with a blank line).
    /// - Parameters:
    ///   - words: the forms.
    ///   - tags: one per word.
    ///   - column: where CoNLL-U puts the tag.
    public func render(words: [String], tags: [String], column: TagColumn = .upos) -> String {
        switch self {
        case .slash:
            return zip(words, tags).map { "\($0)/\($1)" }.joined(separator: " ")
        case .conllu:
            var lines = ["# text = " + words.joined(separator: " ")]
            for (i, (word, tag)) in zip(words, tags).enumerated() {
                let upos = column == .upos ? tag : "_", xpos = column == .xpos ? tag : "_"
                lines.append("\(i + 1)\t\(word)\t_\t\(upos)\t\(xpos)\t_\t_\t_\t_\t_")
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}

/// Splits text into pre-segmented sentences: one sentence per non-blank line, words separated by spaces or tabs.
public func taggerSentences(fromLines text: String) -> [[String]] {
    text.split(whereSeparator: \.isNewline).compactMap { line in
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        return words.isEmpty ? nil : words
    }
}

extension Tagger {
    /// The sentence BiLSTM's gates at every word of one sentence, from zero states, without dropout: what
    /// the forget, input and output gates did while the tagger read it (`LSTM.gateTrace`).
    ///
    /// - Parameter words: one sentence, `[n]` words, n ≥ 1.
    /// - Returns: `[layer][direction]` traces, each field `[n][hidden]`.
    /// - Throws: `TaggerError.invalidData` for an empty sentence.
    public func gateTrace(_ words: [String]) throws -> [[LSTMGateTrace]] {
        guard !words.isEmpty else { throw TaggerError.invalidData("an empty sentence has no gates to show") }
        let encoded = encoder.encode([TaggedSentence(words: words)])
        let input = try withoutGradients { try model.sentenceLSTMInput(TaggerBatch(encoded)) }   // [1, n, features]
        return try model.lstm.gateTrace(input.reshaped([words.count, input.shape[2]]))
    }
}
