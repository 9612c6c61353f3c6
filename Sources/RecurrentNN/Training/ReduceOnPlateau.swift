/// Lowers the learning rate when a metric stops improving (`torch.optim.lr_scheduler.ReduceLROnPlateau`).
///
/// After each `observe(metric:)`: a metric better than the best so far (by more than `threshold`) resets
/// the count of bad observations, anything else (NaN included) adds one; during a cooldown the count
/// stays 0; when it exceeds `patience`, the rate becomes `max(rate · factor, minimumLearningRate)` (if that
/// lowers it by more than `epsilon`) and a cooldown of `cooldown` observations starts.
///
/// `step()` does nothing: this schedule moves only on metrics.
public final class ReduceOnPlateau: LearningRateScheduler {
    /// How `threshold` is applied.
    public enum ThresholdMode: String, Codable, Sendable {
        /// Better means beyond `best · (1 ∓ threshold)`.
        case relative = "rel"
        /// Better means beyond `best ∓ threshold`.
        case absolute = "abs"
    }

    /// Whether smaller or larger metrics are better.
    public let mode: MetricMode
    /// The factor applied to the rate at a reduction, in [0, 1).
    public let factor: Double
    /// Bad observations tolerated before a reduction.
    public let patience: Int
    /// The least improvement that counts.
    public let threshold: Double
    /// Relative or absolute threshold.
    public let thresholdMode: ThresholdMode
    /// Observations to wait after a reduction before counting bad ones again.
    public let cooldown: Int
    /// The rate never goes below this.
    public let minimumLearningRate: Double
    /// Reductions smaller than this are skipped.
    public let epsilon: Double

    /// The current rate, in Double (PyTorch keeps it as a Python float).
    public private(set) var currentLearningRate: Double
    /// The best metric so far (±infinity before the first observation).
    public private(set) var best: Double
    /// Bad observations since the last improvement or reduction.
    public private(set) var badObservations = 0
    /// Observations left in the cooldown.
    public private(set) var cooldownRemaining = 0
    /// Observations so far.
    public private(set) var observationCount = 0

    /// - Parameters:
    ///   - initialLearningRate: the starting rate.
    ///   - mode: `.min` (a loss) or `.max` (an accuracy).
    ///   - factor: in [0, 1) (0.1 by default).
    ///   - patience: ≥ 0 (10 by default).
    ///   - threshold: ≥ 0 (1e-4 by default).
    ///   - thresholdMode: `.relative` (default) or `.absolute`.
    ///   - cooldown: ≥ 0.
    ///   - minimumLearningRate: ≥ 0.
    ///   - epsilon: ≥ 0 (1e-8 by default).
    public init(initialLearningRate: Float, mode: MetricMode = .min, factor: Double = 0.1, patience: Int = 10,
                threshold: Double = 1e-4, thresholdMode: ThresholdMode = .relative, cooldown: Int = 0,
                minimumLearningRate: Double = 0, epsilon: Double = 1e-8) {
        precondition(initialLearningRate >= 0 && initialLearningRate.isFinite, "ReduceOnPlateau: learning rate must be a finite number ≥ 0")
        precondition(factor >= 0 && factor < 1, "ReduceOnPlateau: factor \(factor) must be in [0, 1)")
        precondition(patience >= 0 && cooldown >= 0, "ReduceOnPlateau: patience and cooldown must be ≥ 0")
        precondition(threshold >= 0 && threshold.isFinite, "ReduceOnPlateau: threshold \(threshold) must be a finite number ≥ 0")
        precondition(minimumLearningRate >= 0 && minimumLearningRate.isFinite && epsilon >= 0,
                     "ReduceOnPlateau: minimum learning rate and epsilon must be ≥ 0")
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minimumLearningRate = minimumLearningRate
        self.epsilon = epsilon
        self.currentLearningRate = Double(initialLearningRate)
        self.best = mode == .min ? .infinity : -.infinity
    }

    /// The current rate.
    public var learningRate: Float { Float(currentLearningRate) }

    /// Does nothing (this schedule moves on metrics).
    public func step() {}

    /// Whether `metric` beats `best` by more than the threshold.
    public func isImprovement(_ metric: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .relative): return metric < best * (1 - threshold)
        case (.min, .absolute): return metric < best - threshold
        case (.max, .relative): return metric > best * (threshold + 1)
        case (.max, .absolute): return metric > best + threshold
        }
    }

    /// Records a metric; lowers the rate after too many observations without improvement.
    public func observe(metric: Double) {
        observationCount += 1
        if isImprovement(metric) {
            best = metric
            badObservations = 0
        } else {
            badObservations += 1
        }
        if cooldownRemaining > 0 {
            cooldownRemaining -= 1
            badObservations = 0
        }
        if badObservations > patience {
            let reduced = Swift.max(currentLearningRate * factor, minimumLearningRate)
            if currentLearningRate - reduced > epsilon { currentLearningRate = reduced }
            cooldownRemaining = cooldown
            badObservations = 0
        }
    }

    private var settings: [String: Double] {
        ["mode_max": mode == .max ? 1 : 0, "factor": factor, "patience": Double(patience), "threshold": threshold,
         "threshold_abs": thresholdMode == .absolute ? 1 : 0, "cooldown": Double(cooldown), "min_lr": minimumLearningRate,
         "eps": epsilon]
    }

    /// Settings, `lr`, `best`, `num_bad_epochs`, `cooldown_counter` and `observations`.
    public func exportState() -> SchedulerState {
        var values = settings
        values["lr"] = currentLearningRate
        values["best"] = best
        values["num_bad_epochs"] = Double(badObservations)
        values["cooldown_counter"] = Double(cooldownRemaining)
        values["observations"] = Double(observationCount)
        return SchedulerState(kind: "ReduceOnPlateau", values: values)
    }

    /// Continues from `state`.
    /// - Throws: `SchedulerStateError`.
    public func importState(_ state: SchedulerState) throws {
        try state.check(kind: "ReduceOnPlateau", settings: settings)
        let lr = try state.number("lr", finite: true)
        guard lr >= 0 else { throw SchedulerStateError.invalidValue(kind: "ReduceOnPlateau", name: "lr", reason: "\(lr) is negative") }
        let best = try state.number("best")
        let bad = try state.counter("num_bad_epochs")
        let cooldown = try state.counter("cooldown_counter")
        let observations = try state.counter("observations")
        currentLearningRate = lr
        self.best = best
        badObservations = bad
        cooldownRemaining = cooldown
        observationCount = observations
    }
}
