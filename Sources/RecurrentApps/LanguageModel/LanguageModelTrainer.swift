import Foundation
import RecurrentCore
import RecurrentData
import RecurrentNN

/// The settings of `recurrent lm train`; the defaults are `torch_charlm.py`'s.
public struct LanguageModelTrainingOptions: Codable, Equatable, Sendable {
    /// The network (its `characters` are filled from the text).
    public var model = LanguageModelConfiguration()
    /// Parallel streams.
    public var batchSize = 32
    /// Steps per window (truncated backpropagation through time).
    public var bptt = 128
    /// AdamW's learning rate.
    public var learningRate: Float = 2e-3
    /// AdamW's decoupled weight decay.
    public var weightDecay: Float = 0.01
    /// Clip the gradient norm to this (0: off).
    public var clipNorm: Float = 1
    /// `constant`, or `cosine` (annealed from `learningRate` to `minimumLearningRate` over `epochs`).
    public var schedule = "constant"
    /// The floor of the cosine schedule.
    public var minimumLearningRate: Float = 1e-5
    /// Linear warm-up steps from 0 (0: none).
    public var warmupSteps = 0
    /// Passes over the training text.
    public var epochs = 10
    /// Stop after this many minutes (0: no limit).
    public var maximumMinutes: Double = 0
    /// Validation evaluations per epoch.
    public var evaluationsPerEpoch = 1
    /// Streams the validation text is read as in evaluations during training (1: one stream, as `lm eval`).
    public var evaluationStreams = 1
    /// The share of the text that trains (the rest validates): nanoGPT's 0.9.
    public var trainFraction = 0.9
    /// Seeds the weights and every dropout mask.
    public var seed: UInt64 = 1
    /// What a non-finite loss or gradient does.
    public var nonFinitePolicy: NonFinitePolicy = .stop
    /// Keep an exponential moving average of the weights with this decay, updated after every step, evaluated
    /// beside the trained weights and saved when it scores best (0: none).
    public var averageDecay: Float = 0
    /// A model folder whose weights start the run (fine-tuning) instead of random ones; its architecture and
    /// alphabet must be this run's (nil: random weights from `seed`).
    public var initialModel: String? = nil

    /// The defaults.
    public init() {}

    /// What a checkpoint must agree on to be resumed: everything but the limits of the run (a resumed run may go further).
    var resumable: LanguageModelTrainingOptions {
        var options = self
        (options.epochs, options.maximumMinutes) = (1, 0)
        return options
    }

    /// Checks every option.
    /// - Throws: `ValidationFailure` naming it.
    public func validate() throws(ValidationFailure) {
        try model.validateSizes()
        try Check.count(batchSize, "batchSize", in: 1...Limits.maximumBatchSize)
        try Check.count(bptt, "bptt", in: 1...Limits.maximumSequenceLength * 100)
        try Check.that(batchSize * bptt <= Limits.maximumBatchTokens, "batchSize", "\(batchSize) × bptt \(bptt) is over \(Limits.maximumBatchTokens) characters a window")
        try Check.learningRate(learningRate, "learningRate")
        try Check.number(weightDecay, "weightDecay", in: 0...10)
        try Check.number(clipNorm, "clip", in: 0...1e9)
        try Check.that(["constant", "cosine"].contains(schedule), "schedule", "'\(schedule.prefix(40))' is not constant or cosine")
        try Check.number(minimumLearningRate, "minimumLearningRate", in: 0...Limits.maximumLearningRate)
        try Check.count(warmupSteps, "warmupSteps", in: 0...10_000_000)
        try Check.count(epochs, "epochs", in: 1...Limits.maximumEpochs)
        try Check.number(maximumMinutes, "minutes", in: 0...1e7)
        try Check.count(evaluationsPerEpoch, "evaluationsPerEpoch", in: 1...1000)
        try Check.count(evaluationStreams, "evaluationStreams", in: 1...Limits.maximumBatchSize)
        try Check.that(trainFraction > 0 && trainFraction < 1, "trainFraction", "\(trainFraction) is out of range; it must be in (0, 1)")
        try Check.that(averageDecay >= 0 && averageDecay < 1, "averageDecay", "\(averageDecay) is out of range; it must be in [0, 1)")
    }
}

/// What a training run did.
public struct LanguageModelTrainingSummary: Sendable {
    /// The best validation loss, nats per character (of the saved model).
    public var bestValidationLoss: Double
    /// Epochs done (fractional).
    public var epochs: Double
    /// Wall-clock seconds.
    public var seconds: Double
    /// Training characters per second (evaluations excluded).
    public var charactersPerSecond: Double
    /// The run's history.
    public var history: TrainingHistory
}

/// Trains a `CharacterLanguageModel` on a text with carried state: `TextStreams` windows in order, the
/// final state of each window the detached initial state of the next, reset at the start of every pass;
/// AdamW, clipping, an optional cosine schedule with warm-up, validation on the held-out tail, keep-best
/// (the model folder is rewritten whole at every improvement), checkpoints with exact resume, a learning
/// curve, and progress lines with the loss, characters/s and the time left — all through the `Trainer`.
public enum LanguageModelTrainer {
    /// Splits a text into training and validation ids (the first `fraction` trains).
    public static func split(_ ids: [Int], trainFraction: Double) -> (train: [Int], validation: [Int]) {
        let n = Int(trainFraction * Double(ids.count))
        return (Array(ids[..<n]), Array(ids[n...]))
    }

    /// Trains and writes the best model to `output`.
    ///
    /// - Parameters:
    ///   - text: the whole text (split by `options.trainFraction`; the alphabet is the whole text's).
    ///   - options: the settings.
    ///   - output: the model folder.
    ///   - checkpoints: where to write a checkpoint after every epoch and resume from; nil for none.
    ///   - log: receives progress lines.
    /// - Throws: `ValidationFailure` for bad settings or too little text, `TrainingDivergedError`, file errors.
    public static func train(text: String, options: LanguageModelTrainingOptions, output: URL, checkpoints: URL? = nil,
                             log: @escaping (String) -> Void) throws -> LanguageModelTrainingSummary {
        try options.validate()
        let alphabet = CharacterAlphabet(of: text)
        var configuration = options.model
        configuration.characters = alphabet.saved
        let ids = try alphabet.encode(text)
        let (trainIDs, validationIDs) = split(ids, trainFraction: options.trainFraction)
        let streams = try TextStreams(ids: trainIDs, batch: options.batchSize, bptt: options.bptt)
        try Check.that(validationIDs.count >= 2 * options.evaluationStreams, "the validation text",
                       "\(validationIDs.count) characters are too few to validate on")
        let model = try CharacterLanguageModel(configuration: configuration, seed: options.seed)
        if let initialModel = options.initialModel { try startFrom(initialModel, model: model) }
        log("lm: \(trainIDs.count) training characters in \(options.batchSize) streams (\(streams.windowCount) windows of \(options.bptt) per epoch), "
            + "\(validationIDs.count) validation characters; alphabet \(alphabet.count); parameters \(model.parameterCount)")

        let optimizer = AdamW(parameters: model.trainableParameters, learningRate: options.learningRate, weightDecay: options.weightDecay)
        var settings = TrainerSettings()
        (settings.epochs, settings.clipNorm, settings.nonFinitePolicy) = (options.epochs, options.clipNorm, options.nonFinitePolicy)
        (settings.evaluationsPerEpoch, settings.metricMode, settings.maximumMinutes) = (options.evaluationsPerEpoch, .min, options.maximumMinutes)

        // The carried state: the detached final state of the previous window, nil at the start of a pass.
        var carried: RecurrentState? = nil
        let trainer = Trainer<Int>(model: model, optimizer: optimizer, settings: settings) { window in
            (try model.windowLoss(streams, window: window, carried: &carried), streams.charactersPerWindow)
        }
        trainer.scheduler = schedule(options, windowsPerEpoch: streams.windowCount)
        trainer.restoresBest = false
        if options.averageDecay > 0 { trainer.average = ExponentialMovingAverage(parameters: model.trainableParameters, decay: options.averageDecay) }
        if let checkpoints {
            trainer.checkpointing = TrainerCheckpointing(
                store: CheckpointStore(directory: checkpoints, keep: 1), configuration: options.resumable,
                exportGenerators: { ["dropout": GeneratorState(model.generator), "recurrent": GeneratorState(model.recurrent.generator)] },
                importGenerators: { state in
                    model.generator = try state.generator("dropout")
                    model.recurrent.generator = try state.generator("recurrent")
                    log(String(format: "lm: resuming after epoch %d (best validation loss so far %.4f)", state.epoch, state.bestMetric ?? .nan))
                })
        }

        var trainingSeconds = 0.0, charactersTrained = 0, windowStart = Date()
        var lossSum = 0.0, lossCount = 0, lastLog = Date()
        let hooks = TrainingHooks()
        hooks.didStep = { progress, _, loss, items in
            trainingSeconds += Date().timeIntervalSince(windowStart)
            charactersTrained += items
            lossSum += loss
            lossCount += 1
            if Date().timeIntervalSince(lastLog) >= 10 || (progress.currentEpoch == 0 && progress.batchesDone == 1) {
                let rate = Double(charactersTrained) / Swift.max(trainingSeconds, 1e-9)
                let done = Double(progress.currentEpoch) + Double(progress.batchesDone) / Double(progress.batchesInEpoch)
                let byEpochs = (Double(options.epochs) - done) * Double(streams.windowCount * streams.charactersPerWindow) / rate
                let byTime = options.maximumMinutes > 0 ? options.maximumMinutes * 60 - progress.elapsedSeconds : .infinity
                log(String(format: "epoch %.2f loss %.4f lr %.2e %.0f chars/s, %@ left", done, lossSum / Double(lossCount),
                           progress.optimizer.learningRate, rate, duration(Swift.max(0, Swift.min(byEpochs, byTime)))))
                (lossSum, lossCount, lastLog) = (0, 0, Date())
            }
            windowStart = Date()
        }
        hooks.didImprove = { progress, evaluation in
            var training = options.initialModel.map { ["initial_weights": $0] } ?? [:]
            if evaluation.averaged { training["weights"] = "exponential moving average, decay \(options.averageDecay)" }
            try model.save(to: output, training: training.merging([
                "data": "the first \(Int(options.trainFraction * 100))% of the text (\(trainIDs.count) characters)",
                "validation_loss": String(format: "%.4f", evaluation.metric),
                "epochs": String(format: "%.2f", evaluation.epoch),
                "training_seconds": String(format: "%.0f", progress.elapsedSeconds),
            ]) { $1 })
        }
        hooks.didEvaluate = { progress, round, _ in
            for e in round {
                log(String(format: "epoch %.2f validation loss%@ %.4f nats/char (%.3f bits/char)%@ [%.0f s]", e.epoch, e.averaged ? " (averaged)" : "",
                           e.metric, e.metric / ln2, e.isBest ? ", best: saved" : "", progress.elapsedSeconds))
            }
            windowStart = Date()
        }
        trainer.callbacks = [hooks, LearningCurveWriter(folder: output, metric: "validation loss (nats/char)", title: "Character language model", percent: false)]
        let history = try trainer.fit(batches: { _ in Array(0..<streams.windowCount) }, evaluate: {
            try model.evaluate(validationIDs, streams: options.evaluationStreams)
        })
        return LanguageModelTrainingSummary(bestValidationLoss: history.bestMetric ?? .nan, epochs: history.epochsDone, seconds: history.seconds,
                                            charactersPerSecond: Double(charactersTrained) / Swift.max(trainingSeconds, 1e-9), history: history)
    }

    /// Loads the weights of the model folder `path` into `model`.
    /// - Throws: `ValidationFailure` when its architecture or alphabet differ from the run's; file errors.
    static func startFrom(_ path: String, model: CharacterLanguageModel) throws {
        let (initial, _) = try CharacterLanguageModel.load(from: URL(fileURLWithPath: path))
        let (a, b) = (initial.configuration, model.configuration)
        try Check.that(a.cell == b.cell && a.layers == b.layers && a.hiddenSize == b.hiddenSize && a.embeddingSize == b.embeddingSize,
                       "initialModel", "\(path) is a \(a.layers) × \(a.hiddenSize) \(a.cell) with embedding \(a.embeddingSize), "
                       + "this run a \(b.layers) × \(b.hiddenSize) \(b.cell) with embedding \(b.embeddingSize)")
        try Check.that(a.characters == b.characters, "initialModel", "\(path) has another alphabet (\(a.characters.count) characters) than the text (\(b.characters.count))")
        try model.load(stateDict: initial.stateDict())
    }

    /// ln 2: nats per bit.
    static let ln2 = Foundation.log(2.0)

    /// The learning-rate schedule of the options, or nil for a constant rate without warm-up.
    static func schedule(_ options: LanguageModelTrainingOptions, windowsPerEpoch: Int) -> LearningRateScheduler? {
        var scheduler: LearningRateScheduler? = nil
        if options.schedule == "cosine" {
            scheduler = CosineAnnealing(initialLearningRate: options.learningRate, period: Swift.max(1, options.epochs * windowsPerEpoch),
                                        minimumLearningRate: Swift.min(options.minimumLearningRate, options.learningRate), holdsMinimum: true)
        }
        if options.warmupSteps > 0 {
            scheduler = LinearWarmup(warmupSteps: options.warmupSteps, wrapping: scheduler ?? ConstantLearningRate(options.learningRate))
        }
        return scheduler
    }

    /// `1 h 02 min`, `4 min 05 s`, `12 s`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%d h %02d min", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%d min %02d s", s / 60, s % 60) }
        return "\(s) s"
    }
}
