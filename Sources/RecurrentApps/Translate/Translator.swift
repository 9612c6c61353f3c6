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
    /// Pairs held out of training for testing, saved with the model as `test-pairs.txt` (when not empty).
    public var testPairs: [TranslationPair] = []

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

    /// Loads a model directory, strictly: every file present, sizes within `Limits`, the vocabularies and the
    /// start and end ids matching the configuration, every weight present, finite and of its shape.
    ///
    /// - Throws: `TranslatorError.invalidModel` naming the directory and what is wrong.
    public init(contentsOf directory: URL) throws {
        do {
            let folder = try ModelFolderReader(directory)
            let config = try folder.decode(Config.self, from: "config.json")
            try folder.checking("config.json") {
                try Check.that(config.format == "recurrent-translate-1", "format", "unknown format '\(config.format)'")
                try Check.count(config.maximumLength, "maximumLength", in: 1...Limits.maximumSequenceLength / 2)
            }
            sourceVocabulary = try folder.vocabulary("source.json")
            targetVocabulary = try folder.vocabulary("target.json")
            network = try folder.seq2seq(config.seq2seq, source: ("source.json", sourceVocabulary), target: ("target.json", targetVocabulary),
                                         startToken: "<s>", endToken: "</s>")
            maximumLength = config.maximumLength
            trainingInfo = config.training
        } catch {
            throw TranslatorError.invalidModel(path: error.path, reason: error.reason)
        }
    }

    /// Writes the model directory whole (see `ModelFolder`); other files already in it (such as
    /// `test-pairs.txt`) are kept.
    /// - Throws: `StateDictError.nonFinite` for a diverged network, `SafeTensorsError` for a value beyond the
    ///   storage format's range, file errors; the directory is then unchanged.
    public func save(to directory: URL, format: SafeTensorsWriter.FloatFormat = .f16) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let config = Config(format: "recurrent-translate-1", seq2seq: network.configuration, maximumLength: maximumLength, training: trainingInfo)
        let text = String(decoding: try encoder.encode(config), as: UTF8.self) + "\n"
        try ModelFolder.write(to: directory) { folder in
            try network.saveSafeTensors(to: folder.appendingPathComponent("model.safetensors"), format: format)
            try sourceVocabulary.write(to: folder.appendingPathComponent("source.json"))
            try targetVocabulary.write(to: folder.appendingPathComponent("target.json"))
            if !testPairs.isEmpty {
                try AtomicFile.write(text: TranslationData.pairLines(testPairs), to: folder.appendingPathComponent("test-pairs.txt"))
            }
            try AtomicFile.write(text: text, to: folder.appendingPathComponent("config.json"))
        }
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
        let best = try network.beamSearch(ids, width: beamWidth, maximumLength: 2 * maximumLength,
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
    ///
    /// - Parameters:
    ///   - pairs: training pairs (never the test pairs).
    ///   - dev: held-out pairs for model selection.
    ///   - test: held-out pairs saved with the model as `test-pairs.txt` (never trained on nor used here).
    ///   - output: the model directory (written whole at each improvement).
    ///   - options: the settings, validated first.
    ///   - log: receives one line per report.
    /// - Returns: the best dev BLEU (greedy), in [0, 1].
    /// - Throws: `ValidationFailure` for bad settings or empty data, `TrainingDivergedError` when the loss or
    ///   gradient stops being finite, model and file errors.
    public static func train(_ pairs: [TranslationPair], dev: [TranslationPair], test: [TranslationPair] = [], output: URL,
                             options: TranslationTrainingOptions = .init(),
                             log: @escaping (String) -> Void) throws -> Double {
        try options.validate()
        try Check.that(!pairs.isEmpty, "training data", "there are no training pairs")
        try Check.that(!dev.isEmpty, "dev data", "there are no dev pairs")
        let (embedding, hidden, dropout, batchSize) = (options.embedding, options.hidden, options.dropout, options.batchSize)
        let (learningRate, epochs, maximumMinutes, seed) = (options.learningRate, options.epochs, options.maximumMinutes, options.seed)
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
        model.testPairs = test
        let network = model.network
        let examples = try pairs.map { (try model.encode($0.source), model.encodeTarget($0.target)) }
        log("train: \(examples.count) pairs; dev \(dev.count); vocabularies \(model.sourceVocabulary.count) → \(model.targetVocabulary.count); parameters \(network.parameterCount)")
        let optimizer = Adam(parameters: network.parameters, learningRate: learningRate)
        var settings = TrainerSettings()
        (settings.epochs, settings.clipNorm, settings.nonFinitePolicy) = (epochs, 5, options.nonFinitePolicy)
        (settings.patience, settings.metricMode, settings.maximumMinutes) = (3, .max, maximumMinutes)
        let trainer = Trainer<[Int]>(model: network, optimizer: optimizer, settings: settings) { batch in
            (try network.loss(sources: batch.map { examples[$0].0 }, targets: batch.map { examples[$0].1 }, labelSmoothing: 0.1), 1)
        }
        // Halve the learning rate after every evaluation without a better dev BLEU.
        trainer.scheduler = ReduceOnPlateau(initialLearningRate: learningRate, mode: .max, factor: 0.5, patience: 0, threshold: 0)
        let hooks = TrainingHooks()
        hooks.didImprove = { progress, evaluation in
            model.trainingInfo = ["epochs": String(format: "%g", evaluation.epoch), "dev_bleu_greedy": String(format: "%.4f", evaluation.metric),
                                  "training_seconds": String(format: "%.0f", progress.elapsedSeconds)]
            try model.save(to: output)
        }
        var lastEvaluation: TrainingHistory.Evaluation?
        hooks.didEvaluate = { _, round, _ in lastEvaluation = round.last }
        hooks.didFinishEpoch = { progress, epoch, _ in
            guard let evaluation = lastEvaluation else { return }
            log(String(format: "epoch %d loss %.4f dev BLEU %.2f%@ [%.0f s]", epoch.epoch, epoch.loss, evaluation.metric * 100,
                       evaluation.isBest ? " (best, saved)" : "", progress.elapsedSeconds))
        }
        trainer.callbacks = [hooks, LearningCurveWriter(folder: output, metric: "dev BLEU (greedy)", title: "Translation fr → en")]
        var rng = Xoshiro256StarStar(seed: seed &+ 7)
        let history = try trainer.fit(batches: { _ in
            var order = Array(examples.indices)
            SeededShuffle.shuffle(&order, using: &rng)
            var batches = stride(from: 0, to: order.count, by: batchSize * 20).flatMap { start -> [[Int]] in
                let pool = order[start..<Swift.min(start + batchSize * 20, order.count)].sorted { examples[$0].0.count < examples[$1].0.count }
                return stride(from: 0, to: pool.count, by: batchSize).map { Array(pool[$0..<Swift.min($0 + batchSize, pool.count)]) }
            }
            SeededShuffle.shuffle(&batches, using: &rng)
            return batches
        }, evaluate: { try model.bleu(dev).bleu })
        return history.best?.metric ?? 0
    }
}

/// The settings of a translation training run.
public struct TranslationTrainingOptions: Sendable {
    /// Embedding width (source and target).
    public var embedding = 128
    /// Decoder hidden units; the bidirectional encoder has half per direction.
    public var hidden = 256
    /// Dropout.
    public var dropout: Float = 0.2
    /// Pairs per batch.
    public var batchSize = 64
    /// Adam's learning rate (halved after a dev evaluation without improvement).
    public var learningRate: Float = 2e-3
    /// The most epochs (the run also stops after 3 epochs without a better dev BLEU).
    public var epochs = 20
    /// Stop after this many minutes (0 = no limit).
    public var maximumMinutes: Double = 0
    /// Seeds the initialization, dropout and the batch order.
    public var seed: UInt64 = 1
    /// What a step with a non-finite loss or gradient does.
    public var nonFinitePolicy: NonFinitePolicy = .stop

    /// The defaults.
    public init() {}

    /// Checks every setting against `Limits`.
    /// - Throws: `ValidationFailure` naming the setting.
    public func validate() throws(ValidationFailure) {
        try Check.count(embedding, "embedding", in: 1...Limits.maximumWidth)
        try Check.count(hidden, "hidden", in: 2...Limits.maximumWidth)
        try Check.that(hidden % 2 == 0, "hidden", "\(hidden) must be even (the encoder has half per direction)")
        try Check.fraction(dropout, "dropout")
        try Check.count(batchSize, "batchSize", in: 1...Limits.maximumBatchSize)
        try Check.learningRate(learningRate, "learningRate")
        try Check.count(epochs, "epochs", in: 1...Limits.maximumEpochs)
        try Check.number(maximumMinutes, "maximumMinutes", in: 0...1e7)
    }
}
