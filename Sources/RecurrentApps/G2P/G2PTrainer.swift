import Foundation
import RecurrentCore
import RecurrentData
import RecurrentNN

/// The settings of a G2P training run.
public struct G2PTrainingOptions: Sendable {
    /// Letter and phoneme embedding width.
    public var embeddingSize = 64
    /// Encoder hidden units per direction (bidirectional LSTM).
    public var encoderHiddenSize = 192
    /// Encoder layers (each a bidirectional LSTM; dropout between them).
    public var encoderLayers = 1
    /// Decoder hidden units (LSTM with Luong attention and input feeding).
    public var decoderHiddenSize = 256
    /// The attention score.
    public var attentionScore: Seq2SeqConfiguration.Score = .general
    /// Dropout.
    public var dropout: Float = 0.25
    /// Words per batch.
    public var batchSize = 64
    /// Adam's learning rate.
    public var learningRate: Float = 2e-3
    /// Gradient clipping (total L2 norm).
    public var clipNorm: Float = 5
    /// Label smoothing of the cross-entropy.
    public var labelSmoothing: Float = 0.1
    /// The most epochs.
    public var epochs = 30
    /// Stop after this many dev evaluations without improvement.
    public var patience = 4
    /// Halve the learning rate after this many evaluations without improvement (`.plateau` schedule only).
    public var decayPatience = 1
    /// How the learning rate moves during the run.
    public var schedule: G2PLearningRateSchedule = .plateau
    /// Where the `.cosine` schedule ends.
    public var minimumLearningRate: Float = 1e-5
    /// The decay of an exponential moving average of the weights that is evaluated and saved instead of
    /// the last step's weights (0 = off; 0.999 averages over about the last thousand batches).
    public var averageDecay: Float = 0
    /// Distinct words held out from the training file as the dev set.
    public var devWords = 3000
    /// Dev evaluations per epoch.
    public var evaluationsPerEpoch = 2
    /// Stop starting new work after this many minutes (0 = no limit).
    public var maximumMinutes: Double = 0
    /// Seeds the split, the initialization, dropout and the batch order.
    public var seed: UInt64 = 1
    /// A saved model to continue from (its configuration replaces the size options; the dev split is
    /// the same for the same seed and dev word count).
    public var initialModel: URL? = nil
    /// Seconds already spent on `initialModel` (added to the reported training time); nil reads its
    /// recorded `training_seconds`.
    public var previousSeconds: Double? = nil
    /// Epochs already spent on `initialModel` (added to the recorded `epochs_total`); nil reads its recorded
    /// `epochs_total`, or else its `epochs`.
    public var previousEpochs: Double? = nil

    /// What a step with a non-finite loss or gradient does: stop the run (default) or be skipped.
    public var nonFinitePolicy: NonFinitePolicy = .stop

    /// The defaults.
    public init() {}

    /// Checks every setting against `Limits`, before any work.
    /// - Throws: `ValidationFailure` naming the setting and its allowed range.
    public func validate() throws(ValidationFailure) {
        try Check.widths(["embeddingSize": embeddingSize, "encoderHiddenSize": encoderHiddenSize, "decoderHiddenSize": decoderHiddenSize])
        try Check.count(encoderLayers, "encoderLayers", in: 1...Limits.maximumLayers)
        try Check.fraction(dropout, "dropout")
        try Check.count(batchSize, "batchSize", in: 1...Limits.maximumBatchSize)
        try Check.learningRate(learningRate, "learningRate")
        try Check.number(minimumLearningRate, "minimumLearningRate", in: 0...Limits.maximumLearningRate)
        try Check.number(clipNorm, "clipNorm", in: 0...1e9)
        try Check.fraction(labelSmoothing, "labelSmoothing")
        try Check.count(epochs, "epochs", in: 1...Limits.maximumEpochs)
        try Check.count(patience, "patience", in: 1...Limits.maximumEpochs)
        try Check.count(decayPatience, "decayPatience", in: 1...Limits.maximumEpochs)
        try Check.fraction(averageDecay, "averageDecay")
        try Check.count(devWords, "devWords", in: 1...Limits.maximumVocabulary)
        try Check.count(evaluationsPerEpoch, "evaluationsPerEpoch", in: 1...1000)
        try Check.number(maximumMinutes, "maximumMinutes", in: 0...1e7)
        if let previousSeconds { try Check.number(previousSeconds, "previousSeconds", in: 0...1e10) }
        if let previousEpochs { try Check.number(previousEpochs, "previousEpochs", in: 0...1e7) }
    }
}

/// How the G2P trainer moves the learning rate.
public enum G2PLearningRateSchedule: String, Sendable, CaseIterable {
    /// Halve it after `decayPatience` dev evaluations without improvement.
    case plateau
    /// Cosine annealing per batch from `learningRate` to `minimumLearningRate` over all `epochs`.
    case cosine
}

/// What a training run achieved.
public struct G2PTrainingSummary: Sendable {
    /// Best dev word error rate (greedy decoding).
    public var bestDevWER: Double
    /// Its phoneme error rate.
    public var bestDevPER: Double
    /// Epochs run (fractional when stopped mid-epoch).
    public var epochs: Double
    /// Wall-clock seconds.
    public var seconds: Double
}

/// Trains a `G2PModel` on a dictionary: holds out dev words, trains with Adam on length-sorted batches,
/// evaluates dev WER with greedy decoding, keeps the best model on disk, halves the learning rate on a
/// plateau (or anneals it on a cosine), optionally evaluates a moving average of the weights, and stops early.
public enum G2PTrainer {
    /// Trains and writes the best model to `output`.
    ///
    /// - Parameters:
    ///   - entries: the training dictionary (never the test words).
    ///   - options: settings.
    ///   - output: the model directory.
    ///   - log: receives one line per report.
    /// - Throws: `ValidationFailure` for bad settings or too little data, `TrainingDivergedError` when the loss
    ///   or gradient stops being finite (under `.stop`), model and file errors.
    public static func train(_ entries: [G2PEntry], options: G2PTrainingOptions, output: URL,
                             log: @escaping (String) -> Void) throws -> G2PTrainingSummary {
        try options.validate()
        let wordCount = Set(entries.map(\.word)).count
        try Check.that(options.devWords < wordCount, "the dev split",
                       "\(options.devWords) dev words leave nothing to train on: the dictionary has \(wordCount) words")
        let (trainEntries, devEntries) = G2PDictionary.split(entries, heldOutWords: options.devWords, seed: options.seed)
        let letters = Set(entries.flatMap { $0.word.map(String.init) }).sorted()
        let phonemes = Set(entries.flatMap(\.phonemes)).sorted()
        let model = try options.initialModel.map { try G2PModel(contentsOf: $0) } ?? G2PModel(letters: letters, phonemes: phonemes, seed: options.seed) { c in
            c.sourceEmbeddingSize = options.embeddingSize
            c.targetEmbeddingSize = options.embeddingSize
            c.encoderCell = .lstm
            c.encoderHiddenSize = options.encoderHiddenSize
            c.encoderLayers = options.encoderLayers
            c.bidirectional = true
            c.decoderCell = .lstm
            c.decoderHiddenSize = options.decoderHiddenSize
            c.decoderLayers = 1
            c.context = .attention
            c.feed = .both
            c.attentionScore = options.attentionScore
            c.dropout = options.dropout
        }
        let recorded = options.initialModel == nil ? [:] : model.trainingInfo
        let previousSeconds = options.previousSeconds ?? recorded["training_seconds"].flatMap(Double.init) ?? 0
        let previousEpochs = options.previousEpochs ?? (recorded["epochs_total"] ?? recorded["epochs"]).flatMap(Double.init) ?? 0
        let network = model.network
        var examples: [(source: [Int], target: [Int])] = []
        for entry in trainEntries {
            guard let source = try? model.encode(entry.word), let target = model.encodePhonemes(entry.phonemes) else { continue }
            examples.append((source, target))
        }
        try Check.that(!examples.isEmpty, "training data", "no training entry can be encoded by the model")
        log("train: \(examples.count) entries (\(Set(trainEntries.map(\.word)).count) words); dev: \(Set(devEntries.map(\.word)).count) words; letters \(letters.count), phonemes \(phonemes.count); parameters \(network.parameterCount)")
        let optimizer = Adam(parameters: network.parameters, learningRate: options.learningRate)
        var settings = TrainerSettings()
        (settings.epochs, settings.clipNorm, settings.nonFinitePolicy) = (options.epochs, options.clipNorm, options.nonFinitePolicy)
        (settings.evaluationsPerEpoch, settings.patience, settings.metricMode) = (options.evaluationsPerEpoch, options.patience, .min)
        settings.maximumMinutes = options.maximumMinutes
        let trainer = Trainer<[Int]>(model: network, optimizer: optimizer, settings: settings) { batch in
            (try network.loss(sources: batch.map { examples[$0].source }, targets: batch.map { examples[$0].target },
                              labelSmoothing: options.labelSmoothing), 1)
        }
        let batchesPerEpoch = (examples.count + options.batchSize - 1) / options.batchSize
        switch options.schedule {
        case .cosine:
            trainer.scheduler = CosineAnnealing(initialLearningRate: options.learningRate, period: Swift.max(1, options.epochs * batchesPerEpoch),
                                                minimumLearningRate: Swift.min(options.minimumLearningRate, options.learningRate), holdsMinimum: true)
        case .plateau:
            // Halve after `decayPatience` dev evaluations without a lower WER.
            trainer.scheduler = ReduceOnPlateau(initialLearningRate: options.learningRate, mode: .min, factor: 0.5,
                                                patience: options.decayPatience - 1, threshold: 0)
        }
        trainer.average = options.averageDecay > 0 ? ExponentialMovingAverage(parameters: network.parameters, decay: options.averageDecay) : nil
        trainer.restoresBest = false

        var pers: [Double] = []  // the phoneme error rate of every evaluation
        var bestWER = Double.infinity, bestPER = Double.infinity
        let hooks = TrainingHooks()
        hooks.didImprove = { progress, evaluation in
            bestWER = evaluation.metric
            bestPER = pers.last ?? .nan
            var info = [
                "data": "CMUdict g014b2b.train minus \(options.devWords) held-out dev words",
                "epochs": String(format: "%.2f", evaluation.epoch),
                "epochs_total": String(format: "%.2f", previousEpochs + evaluation.epoch),
                "dev_wer_greedy": String(format: "%.4f", evaluation.metric), "dev_per_greedy": String(format: "%.4f", bestPER),
                "training_seconds": String(format: "%.0f", previousSeconds + progress.elapsedSeconds),
            ]
            if evaluation.averaged, let average = trainer.average { info["weights"] = "exponential moving average, decay \(average.decay)" }
            model.trainingInfo = info
            try model.save(to: output)
        }
        hooks.didEvaluate = { progress, round, history in
            let pers = pers.suffix(round.count)
            let scores = zip(round, pers).map { evaluation, per in
                String(format: "dev WER%@ %.2f%% PER %.2f%%%@", evaluation.averaged ? " averaged" : "", evaluation.metric * 100, per * 100,
                       evaluation.isBest ? " (best, saved)" : "")
            }
            let now = trainer.scheduler?.learningRate ?? optimizer.learningRate
            let note = options.schedule == .plateau && now != round[0].learningRate ? String(format: " (learning rate → %.2e)", now) : ""
            log(String(format: "epoch %.2f %@%@ [%.0f s]", round[0].epoch, scores.joined(separator: ", "), note, progress.elapsedSeconds))
        }
        var lossSum = 0.0, lossCount = 0, epochStart = Date()
        hooks.didStep = { progress, _, loss, _ in
            if progress.batchesDone == 1 { (lossSum, lossCount, epochStart) = (0, 0, Date()) }
            lossSum += loss
            lossCount += 1
            if progress.batchesDone % 200 == 0 {
                let rate = Double(progress.batchesDone) / Date().timeIntervalSince(epochStart)
                log(String(format: "epoch %d batch %d/%d loss %.4f lr %.2e (%.1f batches/s, %.0f s elapsed)", progress.currentEpoch + 1,
                           progress.batchesDone, progress.batchesInEpoch, lossSum / Double(lossCount), progress.optimizer.learningRate,
                           rate, progress.elapsedSeconds))
                (lossSum, lossCount) = (0, 0)
            }
        }
        trainer.callbacks = [hooks, LearningCurveWriter(folder: output, metric: "dev WER (greedy)", title: "G2P")]

        // Length-sorted batches: shuffle, sort within pools of 50 batches by source length, shuffle batches.
        var rng = Xoshiro256StarStar(seed: options.seed &+ 17)
        let history = try trainer.fit(batches: { _ in
            var order = Array(examples.indices)
            SeededShuffle.shuffle(&order, using: &rng)
            var batches: [[Int]] = []
            let pool = options.batchSize * 50
            var start = 0
            while start < order.count {
                let slice = order[start..<Swift.min(start + pool, order.count)].sorted {
                    (examples[$0].source.count, examples[$0].target.count) < (examples[$1].source.count, examples[$1].target.count)
                }
                var i = 0
                while i < slice.count {
                    batches.append(Array(slice[i..<Swift.min(i + options.batchSize, slice.count)]))
                    i += options.batchSize
                }
                start += pool
            }
            SeededShuffle.shuffle(&batches, using: &rng)
            return batches
        }, evaluate: {
            let score = try model.evaluate(devEntries, beamWidth: 1)
            pers.append(score.phonemeErrorRate)
            return score.wordErrorRate
        })
        if history.skippedSteps > 0 { log("skipped \(history.skippedSteps) of \(history.steps + history.skippedSteps) steps with a non-finite loss or gradient") }
        return G2PTrainingSummary(bestDevWER: bestWER, bestDevPER: bestPER, epochs: history.epochsDone, seconds: history.seconds)
    }
}
