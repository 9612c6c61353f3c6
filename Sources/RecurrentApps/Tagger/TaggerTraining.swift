import Foundation
import RecurrentCore
import RecurrentData
import RecurrentNN

/// The settings of a training run (the reference's by default: Adam at 2·10⁻³, batches of 32 sentences,
/// gradient norm clipped to 5).
public struct TaggerTrainingOptions: Codable, Equatable, Sendable {
    /// The predicted column.
    public var column: TagColumn
    /// The network's sizes.
    public var architecture: TaggerArchitecture
    /// Word forms seen fewer times in training map to `<unk>`.
    public var minimumWordCount: Int
    /// At most this many word ids (most frequent first), or nil for no limit.
    public var maximumWordCount: Int?
    /// Characters seen fewer times in training map to `<unk>`, so the character BiLSTM learns what to make of
    /// characters it has (almost) never seen instead of trusting an embedding trained on one or two words.
    public var minimumCharacterCount: Int
    /// The most epochs to run.
    public var epochs: Int
    /// Stop after this many epochs without a better dev accuracy.
    public var patience: Int
    /// Sentences per batch.
    public var batchSize: Int
    /// When positive, batches hold at most this many padded words (sentences × longest) instead of `batchSize`
    /// sentences, so every update sees about as many words whatever the sentences' lengths.
    public var batchTokens: Int
    /// Sentences are grouped by `length / bucketWidth` before batching (1: equal lengths where possible; 0: no
    /// grouping, random batches as in the reference — the default: the recurrent layers skip padding, so
    /// random batches cost little more and learn more per epoch).
    public var bucketWidth: Int
    /// Adam's step size.
    public var learningRate: Float
    /// The largest gradient norm (0 for no clipping).
    public var clipNorm: Float
    /// Seeds the initial weights, the data order and the dropout masks.
    public var seed: UInt64
    /// Word dropout α: in training, a word seen `n` times is replaced by `<unk>` with probability α / (α + n), so
    /// the network learns to tag unknown words from their characters (0: off, the reference recipe).
    public var wordDropout: Float
    /// The learning rate is multiplied by this after every `decayPatience` epochs without a better dev
    /// accuracy (1: constant, the reference recipe).
    public var learningRateDecay: Float
    /// Epochs without improvement between learning-rate decays.
    public var decayPatience: Int
    /// In training, a sentence that ends in punctuation loses that final word with this probability (each epoch
    /// anew), so the network also learns to tag text typed without a full stop (0: off, the reference recipe).
    /// Treebank sentences nearly always end in punctuation (3,990 of GSD's 3,997), unlike what people type.
    public var finalPunctuationDropout: Float
    /// In training, a sentence is replaced by a random window of 2 to 8 of its words with this probability (each
    /// epoch anew), so the network also sees the short inputs people type (0: off, the reference recipe).
    public var cropProbability: Float

    /// Makes options; the defaults are the reference's.
    public init(column: TagColumn = .upos, architecture: TaggerArchitecture = TaggerArchitecture(), minimumWordCount: Int = 2,
                maximumWordCount: Int? = nil, minimumCharacterCount: Int = 1, epochs: Int = 30, patience: Int = 5,
                batchSize: Int = 32, batchTokens: Int = 0, bucketWidth: Int = 0,
                learningRate: Float = 2e-3, clipNorm: Float = 5, seed: UInt64 = 1, wordDropout: Float = 0,
                learningRateDecay: Float = 1, decayPatience: Int = 2, finalPunctuationDropout: Float = 0,
                cropProbability: Float = 0) {
        self.column = column
        self.architecture = architecture
        self.minimumWordCount = minimumWordCount
        self.maximumWordCount = maximumWordCount
        self.minimumCharacterCount = minimumCharacterCount
        self.epochs = epochs
        self.patience = patience
        self.batchSize = batchSize
        self.batchTokens = batchTokens
        self.bucketWidth = bucketWidth
        self.learningRate = learningRate
        self.clipNorm = clipNorm
        self.seed = seed
        self.wordDropout = wordDropout
        self.learningRateDecay = learningRateDecay
        self.decayPatience = decayPatience
        self.finalPunctuationDropout = finalPunctuationDropout
        self.cropProbability = cropProbability
    }

    private enum CodingKeys: String, CodingKey {
        case column, architecture, minimumWordCount, maximumWordCount, minimumCharacterCount, epochs, patience, batchSize, batchTokens, bucketWidth, learningRate,
             clipNorm, seed, wordDropout, learningRateDecay, decayPatience, finalPunctuationDropout, cropProbability
    }

    /// Decodes options; the recipe extras (word dropout, decay) may be absent (off).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        column = try c.decode(TagColumn.self, forKey: .column)
        architecture = try c.decode(TaggerArchitecture.self, forKey: .architecture)
        minimumWordCount = try c.decode(Int.self, forKey: .minimumWordCount)
        maximumWordCount = try c.decodeIfPresent(Int.self, forKey: .maximumWordCount)
        minimumCharacterCount = try c.decodeIfPresent(Int.self, forKey: .minimumCharacterCount) ?? 1
        epochs = try c.decode(Int.self, forKey: .epochs)
        patience = try c.decode(Int.self, forKey: .patience)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        batchTokens = try c.decodeIfPresent(Int.self, forKey: .batchTokens) ?? 0
        bucketWidth = try c.decode(Int.self, forKey: .bucketWidth)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        clipNorm = try c.decode(Float.self, forKey: .clipNorm)
        seed = try c.decode(UInt64.self, forKey: .seed)
        wordDropout = try c.decodeIfPresent(Float.self, forKey: .wordDropout) ?? 0
        learningRateDecay = try c.decodeIfPresent(Float.self, forKey: .learningRateDecay) ?? 1
        decayPatience = try c.decodeIfPresent(Int.self, forKey: .decayPatience) ?? 2
        finalPunctuationDropout = try c.decodeIfPresent(Float.self, forKey: .finalPunctuationDropout) ?? 0
        cropProbability = try c.decodeIfPresent(Float.self, forKey: .cropProbability) ?? 0
    }

    /// Checks the ranges (see `Limits`), before any work.
    /// - Throws: `ValidationFailure` naming the setting and its allowed range.
    public func validate() throws(ValidationFailure) {
        try architecture.validate()
        do {  // (a scope for the list)
            try Check.count(epochs, "epochs", in: 1...Limits.maximumEpochs)
            try Check.count(patience, "patience", in: 1...Limits.maximumEpochs)
            try Check.count(batchSize, "batchSize", in: 1...Limits.maximumBatchSize)
            try Check.count(batchTokens, "batchTokens", in: 0...Limits.maximumBatchTokens)
            try Check.count(bucketWidth, "bucketWidth", in: 0...Limits.maximumSequenceLength)
            try Check.count(minimumWordCount, "minimumWordCount", in: 1...Int(Int32.max))
            try Check.count(minimumCharacterCount, "minimumCharacterCount", in: 1...Int(Int32.max))
            if let maximumWordCount { try Check.count(maximumWordCount, "maximumWordCount", in: 3...Limits.maximumVocabulary) }
            try Check.learningRate(learningRate, "learningRate")
            try Check.number(clipNorm, "clipNorm", in: 0...1e9)
            try Check.number(finalPunctuationDropout, "finalPunctuationDropout", in: 0...1)
            try Check.number(cropProbability, "cropProbability", in: 0...1)
            try Check.number(wordDropout, "wordDropout", in: 0...1e9)
            try Check.number(learningRateDecay, "learningRateDecay", in: 1e-9...1)
            try Check.count(decayPatience, "decayPatience", in: 1...Limits.maximumEpochs)
        }
    }
}

/// One epoch's figures, reported as training goes.
public struct TaggerEpochReport: Sendable {
    /// 1-based.
    public var epoch: Int
    /// Seconds of training (without the dev evaluation).
    public var seconds: Double
    /// Training words per second.
    public var wordsPerSecond: Double
    /// The token-weighted mean training loss.
    public var loss: Double
    /// Dev accuracy after the epoch.
    public var devAccuracy: Double
    /// Whether it is the best so far (the weights are kept).
    public var isBest: Bool
}

/// The result of `TaggerTrainer.train`.
public struct TaggerTrainingResult {
    /// The tagger with the weights of the best dev epoch.
    public var tagger: Tagger
    /// Every epoch run (including those of a resumed run before it stopped, when known).
    public var epochs: [TaggerEpochReport]
    /// The best dev accuracy.
    public var bestDevAccuracy: Double
    /// Whether early stopping ended the run.
    public var stoppedEarly: Bool
}

/// The training recipe: Adam, gradient clipping, dropout, early stopping on dev accuracy, and (optionally)
/// a checkpoint after every epoch from which an interrupted run resumes exactly.
public struct TaggerTrainer {
    /// The settings.
    public var options: TaggerTrainingOptions
    /// Where the best model is saved (F16) whenever the dev accuracy improves, or nil to keep it in memory only.
    public var outputDirectory: URL?
    /// Where a checkpoint is written after every epoch (and read back to resume), or nil for none.
    public var checkpointDirectory: URL?
    /// How progress is shown (`.lines` or `.bar`), or nil for silence.
    public var progressStyle: ProgressReporter.Style?
    /// Receives the run's log lines (defaults to standard error).
    public var log: (String) -> Void
    /// What a step with a non-finite loss or gradient does: stop the run (default) or be skipped.
    public var nonFinitePolicy: NonFinitePolicy = .stop

    /// Makes a trainer.
    public init(options: TaggerTrainingOptions, outputDirectory: URL? = nil, checkpointDirectory: URL? = nil,
                progressStyle: ProgressReporter.Style? = .automatic,
                log: @escaping (String) -> Void = { FileHandle.standardError.write(($0 + "\n").data(using: .utf8)!) }) {
        self.options = options
        self.outputDirectory = outputDirectory
        self.checkpointDirectory = checkpointDirectory
        self.progressStyle = progressStyle
        self.log = log
    }

    /// What a checkpoint's `config` holds: the options (the epoch limit aside: a resumed run may go further) and
    /// the vocabulary sizes, to refuse a mismatched resume.
    struct CheckpointConfiguration: Codable, Equatable {
        var options: TaggerTrainingOptions
        var wordCount: Int
        var characterCount: Int
        var tagCount: Int
        var trainFile: String
        var devFile: String
    }

    /// Trains a tagger.
    ///
    /// - Parameters:
    ///   - train: tagged training sentences (the vocabularies are counted from them).
    ///   - dev: tagged sentences for early stopping.
    ///   - trainName: names the training data in the saved configuration.
    ///   - devName: names the dev data.
    /// - Returns: the best tagger and the epochs' figures.
    /// - Throws: `TaggerError` for bad settings or data; checkpoint and file errors.
    public func train(train: [TaggedSentence], dev: [TaggedSentence], trainName: String = "train",
                      devName: String = "dev") throws -> TaggerTrainingResult {
        try options.validate()
        let train = train.filter { !$0.words.isEmpty }
        let dev = dev.filter { !$0.words.isEmpty }
        guard !train.isEmpty else { throw TaggerError.emptyData("the training set has no sentences") }
        guard !dev.isEmpty else { throw TaggerError.emptyData("the dev set has no sentences") }
        guard train.allSatisfy({ $0.tags != nil }), dev.allSatisfy({ $0.tags != nil }) else {
            throw TaggerError.invalidData("training and dev sentences need gold tags")
        }
        let architecture = options.architecture
        let vocabularies = try TaggerVocabularies(counting: train, minimumWordCount: options.minimumWordCount,
                                                  maximumWordCount: options.maximumWordCount,
                                                  minimumCharacterCount: options.minimumCharacterCount,
                                                  lowercaseWords: architecture.lowercaseWords)
        let model = TaggerModel(architecture: architecture, wordCount: vocabularies.words.count,
                                characterCount: vocabularies.characters.count, tagCount: vocabularies.tags.count,
                                seed: options.seed)
        let tagger = Tagger(model: model, vocabularies: vocabularies, column: options.column)
        let encoder = tagger.encoder
        let encodedTrain = encoder.encode(train)
        let encodedDev = encoder.encode(dev)
        let wordTotal = encodedTrain.reduce(0) { $0 + $1.count }
        let batcher = try BucketBatcher(lengths: encodedTrain.map(\.count), size: options.batchTokens > 0 ? .tokens(options.batchTokens) : .sentences(options.batchSize),
                                        bucketWidth: options.bucketWidth > 0 ? options.bucketWidth : nil, shuffle: true,
                                        seed: options.seed)
        let optimizer = Adam(parameters: model.parameters, learningRate: options.learningRate)
        var wordDropoutGenerator = Xoshiro256StarStar(seed: options.seed &+ 51)
        var augmentGenerator = Xoshiro256StarStar(seed: options.seed &+ 67)
        let endsInPunctuation = train.map { sentence in
            sentence.words.count > 1 && sentence.words.last!.allSatisfy { $0.isPunctuation || $0.isSymbol }
        }
        let keepProbability: [Float] = vocabularies.words.counts.map { count in
            options.wordDropout > 0 ? Float(count) / (options.wordDropout + Float(count)) : 1
        }
        var comparableOptions = options
        comparableOptions.epochs = 0
        let checkpointConfiguration = CheckpointConfiguration(
            options: comparableOptions, wordCount: vocabularies.words.count, characterCount: vocabularies.characters.count,
            tagCount: vocabularies.tags.count, trainFile: trainName, devFile: devName)
        log("tagger: \(train.count) training sentences (\(wordTotal) words), \(dev.count) dev sentences; "
            + "\(vocabularies.words.count) words, \(vocabularies.characters.count) characters, \(vocabularies.tags.count) tags; "
            + "\(model.parameterCount) parameters")

        /// A batch with the recipe's augmentations (each draws from its own seeded generator).
        func augmented(_ indices: [Int]) -> TaggerBatch {
            var sentences = indices.map { encodedTrain[$0] }
            if options.finalPunctuationDropout > 0 {
                for (i, index) in indices.enumerated() where endsInPunctuation[index]
                    && augmentGenerator.nextFloat() < options.finalPunctuationDropout {
                    sentences[i].forms.removeLast()
                    sentences[i].wordIDs.removeLast()
                    sentences[i].characterIDs.removeLast()
                    sentences[i].tagIDs.removeLast()
                }
            }
            if options.cropProbability > 0 {
                for i in sentences.indices where sentences[i].count > 2 && augmentGenerator.nextFloat() < options.cropProbability {
                    let n = sentences[i].count
                    let length = 2 + SeededShuffle.uniform(below: Swift.min(8, n) - 1, using: &augmentGenerator)
                    let start = SeededShuffle.uniform(below: n - length + 1, using: &augmentGenerator)
                    let window = start..<(start + length)
                    sentences[i] = EncodedSentence(forms: Array(sentences[i].forms[window]), wordIDs: Array(sentences[i].wordIDs[window]),
                                                   characterIDs: Array(sentences[i].characterIDs[window]),
                                                   tagIDs: Array(sentences[i].tagIDs[window]))
                }
            }
            if options.wordDropout > 0 {
                for i in sentences.indices {
                    for t in sentences[i].wordIDs.indices where wordDropoutGenerator.nextFloat() >= keepProbability[sentences[i].wordIDs[t]] {
                        sentences[i].wordIDs[t] = Vocabulary.unknownID
                    }
                }
            }
            return TaggerBatch(sentences)
        }

        var settings = TrainerSettings()
        (settings.epochs, settings.clipNorm, settings.nonFinitePolicy) = (options.epochs, options.clipNorm, nonFinitePolicy)
        (settings.patience, settings.metricMode) = (options.patience, .max)
        let trainer = Trainer<[Int]>(model: model, optimizer: optimizer, settings: settings) { indices in
            let batch = augmented(indices)
            return (try model.loss(batch), batch.tokenCount)
        }
        // Multiply the learning rate by the decay after every `decayPatience` epochs without a better dev accuracy.
        let plateau = options.learningRateDecay < 1
            ? ReduceOnPlateau(initialLearningRate: options.learningRate, mode: .max, factor: Double(options.learningRateDecay),
                              patience: options.decayPatience - 1, threshold: 0)
            : nil
        trainer.scheduler = plateau
        trainer.checkpointing = checkpointDirectory.map { directory in
            TrainerCheckpointing(
                store: CheckpointStore(directory: directory, keep: 1), configuration: checkpointConfiguration,
                exportGenerators: {
                    ["dropout": GeneratorState(model.dropoutGenerator), "lstm": GeneratorState(model.lstm.generator),
                     "words": GeneratorState(wordDropoutGenerator), "augment": GeneratorState(augmentGenerator)]
                },
                importGenerators: { [log] state in
                    model.dropoutGenerator = try state.generator("dropout")
                    model.lstm.generator = try state.generator("lstm")
                    wordDropoutGenerator = try state.generator("words")
                    augmentGenerator = try state.generator("augment")
                    log("tagger: resuming after epoch \(state.epoch) (best dev accuracy so far "
                        + String(format: "%.2f%%", 100 * (state.bestMetric ?? 0)) + ")")
                })
        }

        var reports: [TaggerEpochReport] = []
        var improved = false, lastAccuracy = 0.0
        /// The epoch's figures; the loss is per training word (of the unaugmented data), as before the Trainer.
        func report(_ epoch: TrainingHistory.Epoch) -> TaggerEpochReport {
            TaggerEpochReport(epoch: epoch.epoch, seconds: epoch.seconds, wordsPerSecond: Double(wordTotal) / Swift.max(epoch.seconds, 1e-9),
                              loss: epoch.loss * Double(epoch.items) / Double(Swift.max(wordTotal, 1)), devAccuracy: lastAccuracy, isBest: improved)
        }
        let hooks = TrainingHooks()
        hooks.didImprove = { _, _ in improved = true }
        hooks.didEvaluate = { [log] _, round, history in
            lastAccuracy = round[0].metric
            if let plateau, plateau.learningRate != round[0].learningRate, !history.stoppedEarly {
                log("tagger: learning rate lowered to \(plateau.learningRate)")
            }
        }
        hooks.didFinishEpoch = { trainer, epoch, _ in
            reports.append(report(epoch))
            if improved, let outputDirectory = self.outputDirectory {
                tagger.training = self.summary(reports: reports, bestEpoch: epoch.epoch, best: lastAccuracy, elapsed: trainer.elapsedSeconds,
                                               trainName: trainName, devName: devName)
                try tagger.save(to: outputDirectory)
            }
        }
        let progress = ProgressCallback(
            reporter: progressStyle.map { ProgressReporter(epochs: options.epochs, batchesPerEpoch: Swift.max(1, batcher.batchCount()), style: $0, logInterval: 15) },
            log: log) { epoch, _ in
                defer { improved = false }
                let figures = reports.last!
                return String(format: "%.1fs, %.0f words/s, loss %.4f, dev accuracy %.2f%%%@", epoch.seconds, figures.wordsPerSecond,
                              figures.loss, 100 * lastAccuracy, improved ? " (best)" : "")
            }
        trainer.callbacks = [hooks, progress] + (outputDirectory.map { [LearningCurveWriter(folder: $0, metric: "dev accuracy", title: "Tagger: \(trainName)")] } ?? [])
        let history = try trainer.fit(batches: { batcher.batches(epoch: $0) }, evaluate: {
            let predicted = try tagger.predictIDs(encodedDev)
            var correct = 0, total = 0
            for (sentence, tags) in zip(encodedDev, predicted) {
                for (gold, guess) in zip(sentence.tagIDs, tags) {
                    total += 1
                    if gold == guess { correct += 1 }
                }
            }
            return total == 0 ? 0 : Double(correct) / Double(total)
        })
        if history.stoppedEarly { log("tagger: stopped early: no better dev accuracy in \(options.patience) epochs") }
        if history.skippedSteps > 0 { log("tagger: skipped \(history.skippedSteps) steps with a non-finite loss or gradient") }
        let bestEpoch = Int(history.bestEpoch ?? 0)
        tagger.training = summary(reports: reports, bestEpoch: bestEpoch, best: history.bestMetric ?? 0, elapsed: history.seconds,
                                  trainName: trainName, devName: devName)
        if let outputDirectory, history.bestMetric != nil { try tagger.save(to: outputDirectory) }
        return TaggerTrainingResult(tagger: tagger, epochs: reports, bestDevAccuracy: history.bestMetric ?? 0, stoppedEarly: history.stoppedEarly)
    }

    private func summary(reports: [TaggerEpochReport], bestEpoch: Int, best: Double, elapsed: Double,
                         trainName: String, devName: String) -> TaggerTrainingSummary {
        TaggerTrainingSummary(trainFile: trainName, devFile: devName, epochs: reports.last?.epoch ?? 0, bestEpoch: bestEpoch,
                              devAccuracy: best, epochSeconds: reports.map(\.seconds), totalSeconds: elapsed, options: options)
    }
}
