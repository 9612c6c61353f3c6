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
                             log: (String) -> Void) throws -> G2PTrainingSummary {
        try options.validate()
        let started = Date()
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
        let average = options.averageDecay > 0 ? ExponentialMovingAverage(parameters: network.parameters, decay: options.averageDecay) : nil
        let batchesPerEpoch = (examples.count + options.batchSize - 1) / options.batchSize
        let cosine = CosineAnnealing(initialLearningRate: options.learningRate, period: Swift.max(1, options.epochs * batchesPerEpoch),
                                     minimumLearningRate: Swift.min(options.minimumLearningRate, options.learningRate), holdsMinimum: true)
        let nonFinite = NonFiniteGuard(policy: options.nonFinitePolicy)
        var rng = Xoshiro256StarStar(seed: options.seed &+ 17)
        var bestWER = Double.infinity, bestPER = Double.infinity, badEvaluations = 0, sinceDecay = 0
        var epochsDone = 0.0
        var stop = false
        func outOfTime() -> Bool { options.maximumMinutes > 0 && Date().timeIntervalSince(started) > options.maximumMinutes * 60 }

        for epoch in 1...options.epochs where !stop {
            // Length-sorted batches: shuffle, sort within pools of 50 batches by source length, shuffle batches.
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
            let evaluateEvery = Swift.max(1, batches.count / Swift.max(options.evaluationsPerEpoch, 1))
            var lossSum = 0.0, lossCount = 0
            let epochStart = Date()
            for (b, batch) in batches.enumerated() {
                network.isTraining = true
                if options.schedule == .cosine {
                    optimizer.learningRate = cosine.learningRate
                    cosine.step()
                }
                let loss = try network.loss(sources: batch.map { examples[$0].source }, targets: batch.map { examples[$0].target },
                                            labelSmoothing: options.labelSmoothing)
                loss.backward()
                let norm = GradientClipping.clipNorm(of: network.parameters, maxNorm: options.clipNorm)
                if try nonFinite.admit(loss: loss.item, gradientNorm: norm, parameters: network.parameters) {
                    optimizer.step()
                    optimizer.zeroGrad()
                    average?.update()
                    lossSum += Double(loss.item)
                    lossCount += 1
                }
                if (b + 1) % 200 == 0 {
                    let rate = Double(b + 1) / Date().timeIntervalSince(epochStart)
                    log(String(format: "epoch %d batch %d/%d loss %.4f lr %.2e (%.1f batches/s, %.0f s elapsed)", epoch, b + 1,
                               batches.count, lossSum / Double(lossCount), optimizer.learningRate, rate, Date().timeIntervalSince(started)))
                    lossSum = 0
                    lossCount = 0
                }
                let last = b + 1 == batches.count
                // Every `evaluateEvery` batches (but not just before the end of the epoch), at the end of the
                // epoch, and when time is up.
                let due = (b + 1) % evaluateEvery == 0 && batches.count - (b + 1) >= evaluateEvery / 2
                if due || last || outOfTime() {
                    epochsDone = Double(epoch - 1) + Double(b + 1) / Double(batches.count)
                    network.isTraining = false
                    // The trained weights, and the averaged ones when averaging, are scored; the best of all
                    // evaluations so far is saved.
                    func evaluateAndKeepBest(averaged: Bool) throws -> (wer: Double, per: Double, saved: Bool) {
                        let score = try model.evaluate(devEntries, beamWidth: 1)
                        let wer = score.wordErrorRate, per = score.phonemeErrorRate
                        guard wer < bestWER else { return (wer, per, false) }
                        bestWER = wer
                        bestPER = per
                        var info = [
                            "data": "CMUdict g014b2b.train minus \(options.devWords) held-out dev words",
                            "epochs": String(format: "%.2f", epochsDone),
                            "epochs_total": String(format: "%.2f", previousEpochs + epochsDone),
                            "dev_wer_greedy": String(format: "%.4f", wer), "dev_per_greedy": String(format: "%.4f", per),
                            "training_seconds": String(format: "%.0f", previousSeconds + Date().timeIntervalSince(started)),
                        ]
                        if averaged, let average { info["weights"] = "exponential moving average, decay \(average.decay)" }
                        model.trainingInfo = info
                        try model.save(to: output)
                        return (wer, per, true)
                    }
                    var results = [(label: "", result: try evaluateAndKeepBest(averaged: false))]
                    if let average {
                        results.append((" averaged", try average.withAveragedValues { try evaluateAndKeepBest(averaged: true) }))
                    }
                    let improved = results.contains { $0.result.saved }
                    var note = ""
                    if improved {
                        badEvaluations = 0
                        sinceDecay = 0
                    } else {
                        badEvaluations += 1
                        sinceDecay += 1
                        if options.schedule == .plateau && sinceDecay >= options.decayPatience {
                            optimizer.learningRate *= 0.5
                            sinceDecay = 0
                            note = String(format: " (learning rate → %.2e)", optimizer.learningRate)
                        }
                    }
                    let scores = results.map { label, result in
                        String(format: "dev WER%@ %.2f%% PER %.2f%%%@", label, result.wer * 100, result.per * 100, result.saved ? " (best, saved)" : "")
                    }
                    log(String(format: "epoch %.2f %@%@ [%.0f s]", epochsDone, scores.joined(separator: ", "), note,
                               Date().timeIntervalSince(started)))
                    if badEvaluations >= options.patience || outOfTime() {
                        stop = true
                        break
                    }
                }
            }
        }
        if nonFinite.skippedSteps > 0 { log("skipped \(nonFinite.skippedSteps) of \(nonFinite.steps) steps with a non-finite loss or gradient") }
        return G2PTrainingSummary(bestDevWER: bestWER, bestDevPER: bestPER, epochs: epochsDone,
                                  seconds: Date().timeIntervalSince(started))
    }
}
