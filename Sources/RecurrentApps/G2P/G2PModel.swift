import Foundation
import RecurrentCore
import RecurrentData
import RecurrentNN

/// A pronunciation with the attention that produced it.
public struct G2PPronunciation: Equatable {
    /// The word as the model read it (upper case).
    public var word: String
    /// The predicted phonemes.
    public var phonemes: [String]
    /// `α` per output step (each phoneme, then the end token) over the word's letters:
    /// `[phonemes.count + 1][letters]`; empty for a model without attention.
    public var attention: [[Float]]
    /// The hypothesis' total log-probability.
    public var logProbability: Float
}

/// A grapheme-to-phoneme model: a `Seq2Seq` network over letters and ARPAbet phonemes with its
/// vocabularies.
///
/// On disk (a directory): `model.safetensors` (the network's state dict), `config.json` (the
/// `Seq2SeqConfiguration` and limits), `letters.json` and `phonemes.json` (`Vocabulary` files).
public final class G2PModel {
    /// Source vocabulary: `<pad>`, `<unk>`, then letters.
    public let letters: Vocabulary
    /// Target vocabulary: `<pad>`, `<unk>`, `<s>`, `</s>`, then phonemes.
    public let phonemes: Vocabulary
    /// The network.
    public let network: Seq2Seq
    /// The longest word accepted.
    public let maximumWordLength: Int
    /// The longest pronunciation produced.
    public let maximumPhonemes: Int
    /// Free-form facts about the training run (stored in `config.json`).
    public var trainingInfo: [String: String]

    /// The start and end tokens of the phoneme vocabulary.
    public static let startToken = "<s>", endToken = "</s>"

    /// Makes an untrained model.
    ///
    /// - Parameters:
    ///   - letters: the letters (single characters).
    ///   - phonemes: the phoneme symbols.
    ///   - configure: adjusts the default configuration (vocabulary sizes and start / end ids are set here).
    public init(letters: [String], phonemes: [String], maximumWordLength: Int = 40, maximumPhonemes: Int = 40,
                seed: UInt64 = 0, configure: (inout Seq2SeqConfiguration) -> Void = { _ in }) throws {
        self.letters = try Vocabulary(tokens: letters, specials: .standard)
        self.phonemes = try Vocabulary(tokens: phonemes, specials: .padAndUnknown(extra: [G2PModel.startToken, G2PModel.endToken]))
        var configuration = Seq2SeqConfiguration(sourceVocabularySize: self.letters.count, targetVocabularySize: self.phonemes.count,
                                                 startID: self.phonemes.id(of: G2PModel.startToken)!,
                                                 endID: self.phonemes.id(of: G2PModel.endToken)!)
        configure(&configuration)
        configuration.sourceVocabularySize = self.letters.count
        configuration.targetVocabularySize = self.phonemes.count
        configuration.startID = self.phonemes.id(of: G2PModel.startToken)!
        configuration.endID = self.phonemes.id(of: G2PModel.endToken)!
        network = try Seq2Seq(configuration: configuration, seed: seed)
        self.maximumWordLength = maximumWordLength
        self.maximumPhonemes = maximumPhonemes
        trainingInfo = [:]
    }

    private struct Config: Codable {
        var format: String
        var seq2seq: Seq2SeqConfiguration
        var maximumWordLength: Int
        var maximumPhonemes: Int
        var training: [String: String]
    }

    /// Loads a model directory (see the type's documentation).
    ///
    /// - Throws: `G2PError.invalidModel` for missing or inconsistent files.
    public init(contentsOf directory: URL) throws {
        do {
            let folder = try ModelFolderReader(directory)
            let config = try folder.decode(Config.self, from: "config.json")
            try folder.checking("config.json") {
                try Check.that(config.format == "recurrent-g2p-1", "format", "unknown format '\(config.format)'")
                try Check.count(config.maximumWordLength, "maximumWordLength", in: 1...Limits.maximumSequenceLength)
                try Check.count(config.maximumPhonemes, "maximumPhonemes", in: 1...Limits.maximumSequenceLength)
            }
            letters = try folder.vocabulary("letters.json")
            phonemes = try folder.vocabulary("phonemes.json")
            network = try folder.seq2seq(config.seq2seq, source: ("letters.json", letters), target: ("phonemes.json", phonemes),
                                         startToken: G2PModel.startToken, endToken: G2PModel.endToken)
            maximumWordLength = config.maximumWordLength
            maximumPhonemes = config.maximumPhonemes
            trainingInfo = config.training
        } catch {
            throw G2PError.invalidModel(path: error.path, reason: error.reason)
        }
    }

    /// Writes the model directory whole (see `ModelFolder`), weights in half precision by default.
    /// - Throws: `StateDictError.nonFinite` for a diverged network, `SafeTensorsError` for a value beyond the
    ///   storage format's range, file errors; the directory is then unchanged.
    public func save(to directory: URL, format: SafeTensorsWriter.FloatFormat = .f16) throws {
        let config = Config(format: "recurrent-g2p-1", seq2seq: network.configuration, maximumWordLength: maximumWordLength,
                            maximumPhonemes: maximumPhonemes, training: trainingInfo)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let text = String(decoding: try encoder.encode(config), as: UTF8.self) + "\n"
        try ModelFolder.write(to: directory) { folder in
            try network.saveSafeTensors(to: folder.appendingPathComponent("model.safetensors"), format: format,
                                        metadata: ["format": "recurrent-g2p-1"])
            try letters.write(to: folder.appendingPathComponent("letters.json"))
            try phonemes.write(to: folder.appendingPathComponent("phonemes.json"))
            try AtomicFile.write(text: text, to: folder.appendingPathComponent("config.json"))
        }
    }

    /// Loads models of one architecture and vocabularies and returns the first with its weights replaced by
    /// the mean of all their weights (checkpoint averaging; see `WeightAveraging`).
    ///
    /// - Parameter directories: two or more model directories.
    /// - Throws: `G2PError.invalidModel` naming the first directory that cannot be read or differs from the first.
    public static func averaging(_ directories: [URL]) throws -> G2PModel {
        guard let first = directories.first else { throw G2PError.invalidModel(path: "", reason: "no models to average") }
        let base = try G2PModel(contentsOf: first)
        var stateDicts = [base.network.stateDict()]
        for directory in directories.dropFirst() {
            let other = try G2PModel(contentsOf: directory)
            guard other.network.configuration == base.network.configuration else {
                throw G2PError.invalidModel(path: directory.path, reason: "its network configuration differs from \(first.path)'s")
            }
            guard other.letters == base.letters, other.phonemes == base.phonemes else {
                throw G2PError.invalidModel(path: directory.path, reason: "its vocabularies differ from \(first.path)'s")
            }
            stateDicts.append(other.network.stateDict())
        }
        do {
            try base.network.load(stateDict: try WeightAveraging.average(stateDicts))
        } catch {
            throw G2PError.invalidModel(path: first.path, reason: "\(error)")
        }
        base.trainingInfo["weights"] = "mean of \(directories.count) models' weights: \(directories.map(\.lastPathComponent).joined(separator: ", "))"
        return base
    }

    /// The letter ids of a word (upper-cased, surrounding blanks removed).
    ///
    /// - Throws: `G2PError.emptyWord`, `.unknownCharacters`, `.wordTooLong`.
    public func encode(_ word: String) throws -> [Int] {
        let normalized = word.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard !normalized.isEmpty else { throw G2PError.emptyWord }
        let characters = Array(normalized)
        guard characters.count <= maximumWordLength else {
            throw G2PError.wordTooLong(word: normalized, length: characters.count, maximum: maximumWordLength)
        }
        var ids: [Int] = [], unknown: [Character] = []
        for character in characters {
            if let id = letters.id(of: String(character)), id >= 2 { ids.append(id) } else if !unknown.contains(character) { unknown.append(character) }
        }
        guard unknown.isEmpty else { throw G2PError.unknownCharacters(word: normalized, characters: unknown) }
        return ids
    }

    /// The phoneme ids of a pronunciation (for training); nil if a phoneme is unknown.
    public func encodePhonemes(_ symbols: [String]) -> [Int]? {
        let ids = symbols.map { phonemes.id(of: $0) }
        guard ids.allSatisfy({ $0 != nil && $0! >= 4 }) else { return nil }
        return ids.map { $0! }
    }

    private func symbols(_ ids: [Int]) -> [String] { ids.map { phonemes.token(at: $0) ?? "?" } }

    /// Pronounces one word with beam search.
    ///
    /// - Parameters:
    ///   - word: letters A–Z and apostrophes, any case.
    ///   - beamWidth: beams (1 = greedy).
    /// - Throws: `G2PError` for an empty, over-long or unknown-character word.
    public func pronounce(_ word: String, beamWidth: Int = 5) throws -> G2PPronunciation {
        let ids = try encode(word)
        let best = try network.beamSearch(ids, width: beamWidth, maximumLength: maximumPhonemes).first!
        return G2PPronunciation(word: word.trimmingCharacters(in: .whitespacesAndNewlines).uppercased(),
                                phonemes: symbols(best.tokens), attention: best.attention, logProbability: best.logProbability)
    }

    /// Pronounces many words: greedy decoding in batches of similar length (beam width 1), or beam search
    /// word by word. Words the model cannot read get an empty pronunciation.
    ///
    /// - Parameters:
    ///   - words: the words.
    ///   - beamWidth: 1 for batched greedy decoding.
    ///   - batchSize: words per greedy batch.
    public func pronounceAll(_ words: [String], beamWidth: Int = 1, batchSize: Int = 256) throws -> [[String]] {
        var results = [[String]](repeating: [], count: words.count)
        let encoded = words.map { try? encode($0) }
        let order = encoded.indices.filter { encoded[$0] != nil }.sorted { encoded[$0]!.count < encoded[$1]!.count }
        if beamWidth <= 1 {
            var start = 0
            while start < order.count {
                let chunk = Array(order[start..<Swift.min(start + batchSize, order.count)])
                let hypotheses = try network.greedyDecode(chunk.map { encoded[$0]! }, maximumLength: maximumPhonemes)
                for (index, hypothesis) in zip(chunk, hypotheses) { results[index] = symbols(hypothesis.tokens) }
                start += batchSize
            }
        } else {
            for index in order {
                let best = try network.beamSearch(encoded[index]!, width: beamWidth, maximumLength: maximumPhonemes).first!
                results[index] = symbols(best.tokens)
            }
        }
        return results
    }

    /// Scores the model on a dictionary (several references per word allowed).
    public func evaluate(_ entries: [G2PEntry], beamWidth: Int = 1) throws -> G2PMetrics.Score {
        try evaluateWithMistakes(entries, beamWidth: beamWidth).score
    }

    /// Scores the model on a dictionary and lists the words it got wrong (in first-seen order), for error
    /// analysis (`recurrent g2p eval --errors FILE`).
    public func evaluateWithMistakes(_ entries: [G2PEntry], beamWidth: Int = 1) throws -> (score: G2PMetrics.Score, mistakes: [G2PMetrics.Mistake]) {
        let groups = G2PDictionary.grouped(entries)
        let words = groups.map(\.word), references = groups.map(\.pronunciations)
        let predictions = try pronounceAll(words, beamWidth: beamWidth)
        return G2PMetrics.report(words: words, predictions: predictions, references: references)
    }
}
