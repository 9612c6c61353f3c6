import Foundation
import RecurrentCore
import RecurrentData
import RecurrentNN

/// Why a sentence could not be translated or a model could not be used.
public enum TranslatorError: Error, CustomStringConvertible, Equatable {
    /// Nothing left after normalization.
    case emptySentence
    /// More tokens than the model accepts.
    case sentenceTooLong(length: Int, maximum: Int)
    /// A model directory with missing or inconsistent files.
    case invalidModel(path: String, reason: String)

    public var description: String {
        switch self {
        case .emptySentence: return "empty sentence: nothing to translate after normalization"
        case .sentenceTooLong(let length, let maximum): return "the sentence has \(length) tokens; the model takes at most \(maximum)"
        case .invalidModel(let path, let reason): return "\(path): not a usable translation model: \(reason)"
        }
    }
}

/// A word-level translation model (the PyTorch tutorial's task): a `Seq2Seq` network with source and
/// target word vocabularies (`<unk>` for unknown words).
///
/// On disk: `model.safetensors`, `config.json`, `source.json`, `target.json`.
public final class Translator {
    /// Source words: `<pad>`, `<unk>`, then words.
    public let sourceVocabulary: Vocabulary
    /// Target words: `<pad>`, `<unk>`, `<s>`, `</s>`, then words.
    public let targetVocabulary: Vocabulary
    /// The network.
    public let network: Seq2Seq
    /// The longest input, in tokens.
    public let maximumLength: Int
    /// Facts about the training run.
    public var trainingInfo: [String: String] = [:]

    /// Makes an untrained model.
    public init(sourceWords: [String], targetWords: [String], maximumLength: Int = 20, seed: UInt64 = 0,
                configure: (inout Seq2SeqConfiguration) -> Void = { _ in }) throws {
        sourceVocabulary = try Vocabulary(tokens: sourceWords, specials: .standard)
        targetVocabulary = try Vocabulary(tokens: targetWords, specials: .padAndUnknown(extra: ["<s>", "</s>"]))
        var c = Seq2SeqConfiguration(sourceVocabularySize: sourceVocabulary.count, targetVocabularySize: targetVocabulary.count,
                                     startID: 2, endID: 3)
        configure(&c)
        (c.sourceVocabularySize, c.targetVocabularySize, c.startID, c.endID) = (sourceVocabulary.count, targetVocabulary.count, 2, 3)
        network = try Seq2Seq(configuration: c, seed: seed)
        self.maximumLength = maximumLength
    }

    private struct Config: Codable {
        var format: String
        var seq2seq: Seq2SeqConfiguration
        var maximumLength: Int
        var training: [String: String]
    }

    /// Loads a model directory.
    public init(contentsOf directory: URL) throws {
        do {
            let config = try JSONDecoder().decode(Config.self, from: Data(contentsOf: directory.appendingPathComponent("config.json")))
            sourceVocabulary = try Vocabulary(contentsOf: directory.appendingPathComponent("source.json"))
            targetVocabulary = try Vocabulary(contentsOf: directory.appendingPathComponent("target.json"))
            network = try Seq2Seq(configuration: config.seq2seq)
            try network.loadSafeTensors(from: directory.appendingPathComponent("model.safetensors"))
            network.isTraining = false
            maximumLength = config.maximumLength
            trainingInfo = config.training
        } catch {
            throw TranslatorError.invalidModel(path: directory.path, reason: "\(error)")
        }
    }

    /// Writes the model directory.
    public func save(to directory: URL, format: SafeTensorsWriter.FloatFormat = .f16) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try network.saveSafeTensors(to: directory.appendingPathComponent("model.safetensors"), format: format)
        try sourceVocabulary.write(to: directory.appendingPathComponent("source.json"))
        try targetVocabulary.write(to: directory.appendingPathComponent("target.json"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let config = Config(format: "recurrent-translate-1", seq2seq: network.configuration, maximumLength: maximumLength, training: trainingInfo)
        try AtomicFile.write(text: String(decoding: try encoder.encode(config), as: UTF8.self) + "\n",
                             to: directory.appendingPathComponent("config.json"))
    }

    /// Source ids of already-normalized tokens (unknown words → `<unk>`).
    public func encode(_ tokens: [String]) throws -> [Int] {
        guard !tokens.isEmpty else { throw TranslatorError.emptySentence }
        guard tokens.count <= maximumLength else { throw TranslatorError.sentenceTooLong(length: tokens.count, maximum: maximumLength) }
        return tokens.map { sourceVocabulary.id(of: $0) ?? Vocabulary.unknownID }
    }

    /// Target ids of tokens (unknown → `<unk>`).
    public func encodeTarget(_ tokens: [String]) -> [Int] { tokens.map { targetVocabulary.id(of: $0) ?? Vocabulary.unknownID } }

    /// Target tokens of ids.
    public func words(_ ids: [Int]) -> [String] { ids.map { targetVocabulary.token(at: $0) ?? "<unk>" } }

    /// Translates raw text (normalized as in training).
    public func translate(_ sentence: String, beamWidth: Int = 5) throws -> (words: [String], attention: [[Float]], source: [String]) {
        let tokens = TranslationData.normalize(sentence).split(separator: " ").map(String.init)
        let ids = try encode(tokens)
        let best = try network.beamSearch(ids, width: Swift.max(beamWidth, 1), maximumLength: 2 * maximumLength,
                                          lengthNormalization: 1).first!
        return (words(best.tokens), best.attention, tokens)
    }

    /// Translates pairs' sources and scores corpus BLEU against their targets.
    public func bleu(_ pairs: [TranslationPair], beamWidth: Int = 1) throws -> (bleu: Double, hypotheses: [[String]]) {
        var hypotheses: [[String]] = []
        if beamWidth <= 1 {
            for start in stride(from: 0, to: pairs.count, by: 128) {
                let chunk = pairs[start..<Swift.min(start + 128, pairs.count)]
                let decoded = try network.greedyDecode(try chunk.map { try encode($0.source) }, maximumLength: 2 * maximumLength)
                hypotheses += decoded.map { words($0.tokens) }
            }
        } else {
            for pair in pairs {
                let best = try network.beamSearch(try encode(pair.source), width: beamWidth, maximumLength: 2 * maximumLength,
                                                  lengthNormalization: 1).first!
                hypotheses.append(words(best.tokens))
            }
        }
        return (TranslationData.bleu(hypotheses: hypotheses, references: pairs.map(\.target)), hypotheses)
    }

    /// Trains on pairs, keeping the model with the best held-out (dev) BLEU on disk.
    public static func train(_ pairs: [TranslationPair], dev: [TranslationPair], output: URL, embedding: Int = 128, hidden: Int = 256,
                             dropout: Float = 0.2, batchSize: Int = 64, learningRate: Float = 2e-3, epochs: Int = 20,
                             maximumMinutes: Double = 0, seed: UInt64 = 1, log: (String) -> Void) throws -> Double {
        let started = Date()
        func vocabulary(_ sentences: [[String]]) -> [String] {
            var counts: [String: Int] = [:]
            for s in sentences { for w in s { counts[w, default: 0] += 1 } }
            return counts.filter { $0.value >= 2 }.keys.sorted()
        }
        let model = try Translator(sourceWords: vocabulary(pairs.map(\.source)), targetWords: vocabulary(pairs.map(\.target)), seed: seed) { c in
            c.sourceEmbeddingSize = embedding
            c.targetEmbeddingSize = embedding
            c.encoderHiddenSize = hidden / 2
            c.bidirectional = true
            c.decoderHiddenSize = hidden
            c.context = .attention
            c.feed = .both
            c.attentionScore = .general
            c.dropout = dropout
        }
        let network = model.network
        let examples = try pairs.map { (try model.encode($0.source), model.encodeTarget($0.target)) }
        log("train: \(examples.count) pairs; dev \(dev.count); vocabularies \(model.sourceVocabulary.count) → \(model.targetVocabulary.count); parameters \(network.parameterCount)")
        let optimizer = Adam(parameters: network.parameters, learningRate: learningRate)
        var rng = Xoshiro256StarStar(seed: seed &+ 7)
        var best = -1.0, bad = 0
        for epoch in 1...epochs {
            var order = Array(examples.indices)
            SeededShuffle.shuffle(&order, using: &rng)
            var batches = stride(from: 0, to: order.count, by: batchSize * 20).flatMap { start -> [[Int]] in
                let pool = order[start..<Swift.min(start + batchSize * 20, order.count)].sorted { examples[$0].0.count < examples[$1].0.count }
                return stride(from: 0, to: pool.count, by: batchSize).map { Array(pool[$0..<Swift.min($0 + batchSize, pool.count)]) }
            }
            SeededShuffle.shuffle(&batches, using: &rng)
            var total = 0.0
            network.isTraining = true
            for batch in batches {
                let loss = try network.loss(sources: batch.map { examples[$0].0 }, targets: batch.map { examples[$0].1 }, labelSmoothing: 0.1)
                loss.backward()
                _ = GradientClipping.clipNorm(of: network.parameters, maxNorm: 5)
                optimizer.step()
                optimizer.zeroGrad()
                total += Double(loss.item)
            }
            network.isTraining = false
            let score = try model.bleu(dev).bleu
            var note = ""
            if score > best {
                best = score
                bad = 0
                model.trainingInfo = ["epochs": "\(epoch)", "dev_bleu_greedy": String(format: "%.4f", score),
                                      "training_seconds": String(format: "%.0f", Date().timeIntervalSince(started))]
                try model.save(to: output)
                note = " (best, saved)"
            } else {
                bad += 1
                optimizer.learningRate *= 0.5
            }
            log(String(format: "epoch %d loss %.4f dev BLEU %.2f%@ [%.0f s]", epoch, total / Double(batches.count), score * 100, note,
                       Date().timeIntervalSince(started)))
            if bad >= 3 || (maximumMinutes > 0 && Date().timeIntervalSince(started) > maximumMinutes * 60) { break }
        }
        return best
    }
}
