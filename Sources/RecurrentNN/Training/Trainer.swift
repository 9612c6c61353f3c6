import Foundation
import RecurrentCore
import RecurrentData

/// The settings of a `Trainer` run.
public struct TrainerSettings: Sendable {
    /// The most epochs.
    public var epochs = 10
    /// Clip the total gradient norm to this (0: no clipping).
    public var clipNorm: Float = 0
    /// What a step with a non-finite loss or gradient does.
    public var nonFinitePolicy: NonFinitePolicy = .stop
    /// Dev evaluations per epoch (spread evenly; the last at the end of the epoch).
    public var evaluationsPerEpoch = 1
    /// Stop after this many evaluations without a better metric (nil: never stop early).
    public var patience: Int? = nil
    /// Whether a larger metric is better (accuracy, BLEU) or a smaller one (error rate, loss).
    public var metricMode: MetricMode = .max
    /// Stop starting new work after this many minutes (0: no limit); an evaluation is made first.
    public var maximumMinutes: Double = 0

    /// The defaults: 10 epochs, no clipping, one evaluation per epoch, no early stopping, larger is better.
    public init() {}

    /// Checks every setting against `Limits`.
    /// - Throws: `ValidationFailure` naming the setting.
    public func validate() throws(ValidationFailure) {
        try Check.count(epochs, "epochs", in: 1...Limits.maximumEpochs)
        try Check.number(clipNorm, "clipNorm", in: 0...1e9)
        try Check.count(evaluationsPerEpoch, "evaluationsPerEpoch", in: 1...1000)
        if let patience { try Check.count(patience, "patience", in: 1...Limits.maximumEpochs) }
        try Check.number(maximumMinutes, "maximumMinutes", in: 0...1e7)
    }
}

/// What a run did: the loss of every epoch, every evaluation, the best one, and why it stopped.
public struct TrainingHistory: Sendable {
    /// One pass over the training batches.
    public struct Epoch: Sendable, Equatable {
        /// 1-based.
        public var epoch: Int
        /// The mean training loss (weighted by the counts the loss function returned).
        public var loss: Double
        /// Training seconds (evaluations excluded).
        public var seconds: Double
        /// Items (sequences, tokens: what the loss function counts) trained on.
        public var items: Int
    }

    /// One dev evaluation.
    public struct Evaluation: Sendable, Equatable {
        /// Epochs done when it was made (fractional in mid-epoch).
        public var epoch: Double
        /// The metric.
        public var metric: Double
        /// Whether it scored the moving average of the weights.
        public var averaged: Bool
        /// Whether it was the best so far (and was kept).
        public var isBest: Bool
        /// The learning rate at the time.
        public var learningRate: Float
        /// Seconds since the run started.
        public var seconds: Double
    }

    /// Every epoch begun (the last may be partial when time ran out).
    public var epochs: [Epoch] = []
    /// Every evaluation, in order.
    public var evaluations: [Evaluation] = []
    /// Whether early stopping ended the run.
    public var stoppedEarly = false
    /// Whether the time limit ended the run.
    public var outOfTime = false
    /// Steps skipped for a non-finite loss or gradient (under `.skip`).
    public var skippedSteps = 0
    /// Optimizer steps taken.
    public var steps = 0
    /// Wall-clock seconds of the run (with those before a resume).
    public var seconds = 0.0
    /// The epochs a resumed run found done in its checkpoint (0 for a fresh run).
    public var resumedAfterEpoch = 0
    /// The best metric so far, also when it was reached before a resume.
    public var bestMetric: Double? = nil
    /// The epochs done at the best evaluation (before a resume too).
    public var bestEpoch: Double? = nil

    /// The best evaluation of this run, or nil when none was made (see `bestMetric` after a resume).
    public var best: Evaluation? { evaluations.last(where: \.isBest) }
    /// Epochs done (fractional when stopped mid-epoch).
    public var epochsDone: Double { evaluations.last?.epoch ?? Double(epochs.count) }
}

/// Hooks into a `Trainer` run (Keras' callbacks): every method has an empty default.
public protocol TrainingCallback: AnyObject {
    /// After every optimizer step (or skipped step): the 1-based step of the run, its loss and the items it counted.
    func trainerDidStep(_ trainer: TrainerProgress, step: Int, loss: Double, items: Int) throws
    /// After an evaluation that is the best so far, while the evaluated weights are in the model (the averaged
    /// ones, when it scored them): the place to save the model.
    func trainerDidImprove(_ trainer: TrainerProgress, evaluation: TrainingHistory.Evaluation) throws
    /// After every round of evaluations (the trained weights, then the averaged ones).
    func trainerDidEvaluate(_ trainer: TrainerProgress, evaluations: [TrainingHistory.Evaluation], history: TrainingHistory) throws
    /// After every epoch.
    func trainerDidFinishEpoch(_ trainer: TrainerProgress, epoch: TrainingHistory.Epoch, history: TrainingHistory) throws
}

extension TrainingCallback {
    public func trainerDidStep(_ trainer: TrainerProgress, step: Int, loss: Double, items: Int) throws {}
    public func trainerDidImprove(_ trainer: TrainerProgress, evaluation: TrainingHistory.Evaluation) throws {}
    public func trainerDidEvaluate(_ trainer: TrainerProgress, evaluations: [TrainingHistory.Evaluation], history: TrainingHistory) throws {}
    public func trainerDidFinishEpoch(_ trainer: TrainerProgress, epoch: TrainingHistory.Epoch, history: TrainingHistory) throws {}
}

/// What a callback may see of a running trainer.
public protocol TrainerProgress: AnyObject {
    /// The optimizer (its learning rate, for reports).
    var optimizer: Optimizer { get }
    /// The 0-based epoch running.
    var currentEpoch: Int { get }
    /// Batches of the current epoch, and how many are done.
    var batchesInEpoch: Int { get }
    var batchesDone: Int { get }
    /// Seconds since the run started.
    var elapsedSeconds: Double { get }
}

/// The one training loop: shuffled batches, loss, backward, clipping, a guard against non-finite steps,
/// the optimizer step, a learning-rate schedule, a moving average of the weights, dev evaluations (several
/// per epoch if asked, of the trained and of the averaged weights), keep-best, early stopping, a time limit,
/// and callbacks for the rest (saving, logging, learning curves).
///
/// ```swift
/// let trainer = Trainer(model: model, optimizer: Adam(parameters: model.trainableParameters, learningRate: 1e-3),
///                       settings: settings) { (batch: MyBatch) in (try model.loss(batch), batch.count) }
/// let history = try trainer.fit(batches: { epoch in batcher.batches(epoch: epoch).map(makeBatch) },
///                               evaluate: { try accuracy(model, dev) })
/// ```
public final class Trainer<Batch>: TrainerProgress {
    /// The model trained (its `train()` / `eval()` are switched around evaluations).
    public let model: Module
    /// The optimizer.
    public let optimizer: Optimizer
    /// The settings.
    public let settings: TrainerSettings
    /// Maps a batch to its loss (a scalar) and the number of items it counts, for the mean epoch loss.
    public let loss: (Batch) throws -> (loss: Tensor, count: Int)
    /// A schedule applied before every step (`CosineAnnealing`, `LinearWarmup`, …) and told every evaluation's
    /// metric (`ReduceOnPlateau`); nil keeps the optimizer's rate.
    public var scheduler: LearningRateScheduler?
    /// A moving average of the weights, updated after every step and evaluated beside them.
    public var average: ExponentialMovingAverage?
    /// Hooks.
    public var callbacks: [TrainingCallback] = []
    /// Whether `fit` ends with the best evaluated weights in the model (true) or the last ones.
    public var restoresBest = true
    /// A checkpoint after every epoch, and the resume from the latest one; nil for none.
    public var checkpointing: TrainerCheckpointing?

    public private(set) var currentEpoch = 0
    public private(set) var batchesInEpoch = 0
    public private(set) var batchesDone = 0
    private var started = Date()
    private var secondsBefore = 0.0
    /// Seconds since the run started, with those before a resume.
    public var elapsedSeconds: Double { secondsBefore + Date().timeIntervalSince(started) }

    /// Makes a trainer.
    /// - Parameters:
    ///   - model: the module trained.
    ///   - optimizer: over the model's (trainable) parameters.
    ///   - settings: the run's settings.
    ///   - loss: a batch's loss and item count.
    public init(model: Module, optimizer: Optimizer, settings: TrainerSettings = .init(),
                loss: @escaping (Batch) throws -> (loss: Tensor, count: Int)) {
        self.model = model
        self.optimizer = optimizer
        self.settings = settings
        self.loss = loss
    }

    /// Trains.
    ///
    /// - Parameters:
    ///   - batches: the batches of a 0-based epoch, in training order (shuffle them there, seeded).
    ///   - evaluate: the dev metric of the model's current weights (called in `eval()` mode, without
    ///     gradients); nil trains without evaluations (nothing is "best" then).
    /// - Returns: the history.
    /// - Throws: `ValidationFailure` for bad settings or an epoch without batches, `TrainingDivergedError`
    ///   when a step is not finite (under `.stop`), and what the loss, the evaluation and the callbacks throw.
    public func fit(batches: (Int) throws -> [Batch], evaluate: (() throws -> Double)? = nil) throws -> TrainingHistory {
        try settings.validate()
        started = Date()
        secondsBefore = 0
        var history = TrainingHistory()
        let guardian = NonFiniteGuard(policy: settings.nonFinitePolicy)
        let stopper = settings.patience.map { EarlyStopping(mode: settings.metricMode, patience: $0) }
        var bestMetric: Double? = nil
        var bestWeights: [String: Tensor]? = nil
        var firstEpoch = 0, stepsBefore = 0
        if let checkpointing, let (state, best) = try checkpointing.resume(model: model, optimizer: optimizer, average: average) {
            firstEpoch = state.epoch
            if let earlyStopping = state.earlyStopping { try stopper?.restore(earlyStopping) }
            if let schedule = state.scheduler { try scheduler?.importState(schedule) }
            bestMetric = state.bestMetric
            bestWeights = best
            secondsBefore = state.values["elapsed"] ?? 0
            history.resumedAfterEpoch = firstEpoch
            history.bestMetric = bestMetric
            history.bestEpoch = state.values["bestEpoch"]
            stepsBefore = state.step
        }
        var bestChanged = false
        func outOfTime() -> Bool { settings.maximumMinutes > 0 && elapsedSeconds > settings.maximumMinutes * 60 }
        func isBetter(_ metric: Double) -> Bool {
            guard let bestMetric else { return !metric.isNaN }
            return settings.metricMode == .max ? metric > bestMetric : metric < bestMetric
        }

        var stop = stopper?.shouldStop ?? false
        history.stoppedEarly = stop
        for epoch in firstEpoch..<Swift.max(firstEpoch, settings.epochs) where !stop {
            currentEpoch = epoch
            let epochBatches = try batches(epoch)
            try Check.that(!epochBatches.isEmpty, "training data", "epoch \(epoch + 1) has no batches")
            batchesInEpoch = epochBatches.count
            let evaluateEvery = Swift.max(1, epochBatches.count / settings.evaluationsPerEpoch)
            var lossSum = 0.0, items = 0, trainingSeconds = 0.0
            var segmentStart = Date()
            for (b, batch) in epochBatches.enumerated() {
                batchesDone = b
                model.train()
                if let scheduler {
                    scheduler.apply(to: optimizer)
                    scheduler.step()
                }
                let (value, count) = try loss(batch)
                value.backward()
                let norm = settings.clipNorm > 0 ? GradientClipping.clipNorm(of: optimizer.parameters, maxNorm: settings.clipNorm) : nil
                let item = value.item
                if try guardian.admit(loss: item, gradientNorm: norm, parameters: optimizer.parameters) {
                    optimizer.step()
                    average?.update()
                    lossSum += Double(item) * Double(count)
                    items += count
                }
                optimizer.zeroGrad()
                batchesDone = b + 1
                for callback in callbacks { try callback.trainerDidStep(self, step: guardian.steps, loss: Double(item), items: count) }

                let last = b + 1 == epochBatches.count
                let due = (b + 1) % evaluateEvery == 0 && epochBatches.count - (b + 1) >= evaluateEvery / 2
                let timeUp = outOfTime()
                guard let evaluate, due || last || timeUp else {
                    if timeUp { stop = true; history.outOfTime = true; break }
                    continue
                }
                trainingSeconds += Date().timeIntervalSince(segmentStart)
                let epochsDone = Double(epoch) + Double(b + 1) / Double(epochBatches.count)
                model.eval()
                var round: [TrainingHistory.Evaluation] = []
                func score(averaged: Bool) throws {
                    let metric = try withoutGradients { try evaluate() }
                    let better = isBetter(metric)
                    let evaluation = TrainingHistory.Evaluation(epoch: epochsDone, metric: metric, averaged: averaged, isBest: better,
                                                                learningRate: optimizer.learningRate, seconds: elapsedSeconds)
                    if better {
                        bestMetric = metric
                        history.bestMetric = metric
                        history.bestEpoch = epochsDone
                        bestChanged = true
                        if restoresBest || checkpointing != nil { bestWeights = model.stateDict() }
                        for callback in callbacks { try callback.trainerDidImprove(self, evaluation: evaluation) }
                    }
                    round.append(evaluation)
                    history.evaluations.append(evaluation)
                }
                try score(averaged: false)
                if let average { try average.withAveragedValues { try score(averaged: true) } }
                let roundBest = settings.metricMode == .max ? round.map(\.metric).max()! : round.map(\.metric).min()!
                scheduler?.observe(metric: roundBest)
                if let stopper {
                    _ = stopper.record(roundBest)
                    if stopper.shouldStop { history.stoppedEarly = true; stop = true }
                }
                history.steps = stepsBefore + guardian.steps - guardian.skippedSteps
                history.skippedSteps = guardian.skippedSteps
                history.seconds = elapsedSeconds
                for callback in callbacks { try callback.trainerDidEvaluate(self, evaluations: round, history: history) }
                if timeUp { history.outOfTime = true; stop = true }
                if stop { break }
                segmentStart = Date()
            }
            if evaluate == nil { trainingSeconds += Date().timeIntervalSince(segmentStart) }
            let report = TrainingHistory.Epoch(epoch: epoch + 1, loss: items > 0 ? lossSum / Double(items) : .nan,
                                               seconds: trainingSeconds, items: items)
            history.epochs.append(report)
            history.steps = stepsBefore + guardian.steps - guardian.skippedSteps
            history.skippedSteps = guardian.skippedSteps
            history.seconds = elapsedSeconds
            for callback in callbacks { try callback.trainerDidFinishEpoch(self, epoch: report, history: history) }
            if let checkpointing, !history.outOfTime {
                let state = TrainingState(epoch: epoch + 1, batchInEpoch: 0, step: history.steps, generators: [:],
                                          scheduler: scheduler?.exportState(), earlyStopping: stopper?.state, bestMetric: bestMetric,
                                          values: ["elapsed": elapsedSeconds, "bestEpoch": history.bestEpoch ?? 0])
                try checkpointing.write(model: model, optimizer: optimizer, state: state, average: average,
                                       bestWeights: bestChanged ? bestWeights : nil)
                bestChanged = false
            }
        }
        model.eval()
        if restoresBest, let bestWeights { try model.load(stateDict: bestWeights) }
        history.seconds = elapsedSeconds
        return history
    }
}

extension Trainer {
    /// Runs `body` over batches in inference mode — `eval()`, no gradients recorded — and collects what it
    /// returns, in order (predictions, or per-batch scores for an evaluation).
    public func predict<Output>(_ batches: [Batch], _ body: (Batch) throws -> Output) throws -> [Output] {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        return try withoutGradients { try batches.map(body) }
    }
}

/// A callback made of closures, for hooks that need no type of their own.
public final class TrainingHooks: TrainingCallback {
    /// See `TrainingCallback.trainerDidStep`.
    public var didStep: ((TrainerProgress, Int, Double, Int) throws -> Void)?
    /// See `TrainingCallback.trainerDidImprove`.
    public var didImprove: ((TrainerProgress, TrainingHistory.Evaluation) throws -> Void)?
    /// See `TrainingCallback.trainerDidEvaluate`.
    public var didEvaluate: ((TrainerProgress, [TrainingHistory.Evaluation], TrainingHistory) throws -> Void)?
    /// See `TrainingCallback.trainerDidFinishEpoch`.
    public var didFinishEpoch: ((TrainerProgress, TrainingHistory.Epoch, TrainingHistory) throws -> Void)?

    /// Makes hooks; set the closures you need.
    public init() {}

    public func trainerDidStep(_ trainer: TrainerProgress, step: Int, loss: Double, items: Int) throws {
        try didStep?(trainer, step, loss, items)
    }
    public func trainerDidImprove(_ trainer: TrainerProgress, evaluation: TrainingHistory.Evaluation) throws {
        try didImprove?(trainer, evaluation)
    }
    public func trainerDidEvaluate(_ trainer: TrainerProgress, evaluations: [TrainingHistory.Evaluation], history: TrainingHistory) throws {
        try didEvaluate?(trainer, evaluations, history)
    }
    public func trainerDidFinishEpoch(_ trainer: TrainerProgress, epoch: TrainingHistory.Epoch, history: TrainingHistory) throws {
        try didFinishEpoch?(trainer, epoch, history)
    }
}
