import RecurrentCore

/// Everything besides tensors that a training run needs to continue exactly where it stopped; saved as
/// JSON in a checkpoint.
///
/// Data order: make each epoch's batch order a pure function of a seed and the epoch (as
/// `BucketBatcher.batches(epoch:)` is); then `epoch` and `batchInEpoch` say where to continue, with no
/// generator to save for it. Random numbers that depend on the past (dropout masks, sampling) come from
/// generators saved in `generators`.
public struct TrainingState: Codable, Equatable, Sendable {
    /// The epoch in progress (0-based).
    public var epoch: Int
    /// Batches of `epoch` already done (0 at an epoch boundary).
    public var batchInEpoch: Int
    /// Optimizer steps taken over the whole run.
    public var step: Int
    /// Random generators by name (e.g. `"dropout"` for `LSTM.generator`).
    public var generators: [String: GeneratorState]
    /// The learning-rate schedule's state.
    public var scheduler: SchedulerState?
    /// Early stopping's state.
    public var earlyStopping: EarlyStopping.State?
    /// The best dev metric so far.
    public var bestMetric: Double?
    /// Any other numbers the run wants back (running sums, counters).
    public var values: [String: Double]

    /// Makes a state.
    public init(epoch: Int = 0, batchInEpoch: Int = 0, step: Int = 0, generators: [String: GeneratorState] = [:],
                scheduler: SchedulerState? = nil, earlyStopping: EarlyStopping.State? = nil, bestMetric: Double? = nil,
                values: [String: Double] = [:]) {
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        self.step = step
        self.generators = generators
        self.scheduler = scheduler
        self.earlyStopping = earlyStopping
        self.bestMetric = bestMetric
        self.values = values
    }

    /// The generator saved under `name`.
    /// - Throws: `CheckpointError.invalidValue` when there is none or it is invalid.
    public func generator(_ name: String) throws -> Xoshiro256StarStar {
        guard let saved = generators[name] else {
            throw CheckpointError.invalidValue(name: "generators.\(name)", reason: "the checkpoint has no generator of this name")
        }
        return try saved.generator()
    }
}
