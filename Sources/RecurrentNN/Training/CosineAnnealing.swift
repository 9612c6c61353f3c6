import Foundation

/// Cosine annealing from the initial learning rate down to a minimum over `period` steps
/// (`torch.optim.lr_scheduler.CosineAnnealingLR`, closed form):
/// `lr(t) = min + (initial − min) · (1 + cos(π·t / period)) / 2`.
///
/// As in PyTorch, the curve continues past `period` (rising again towards `initial` at `2·period`); use
/// `holdsMinimum` to stay at the minimum instead.
public final class CosineAnnealing: LearningRateScheduler {
    /// The learning rate at step 0.
    public let initialLearningRate: Float
    /// The learning rate at step `period`.
    public let minimumLearningRate: Float
    /// T_max, the number of steps from the initial to the minimum rate.
    public let period: Int
    /// Whether the rate stays at the minimum after `period` steps.
    public let holdsMinimum: Bool
    /// Steps taken.
    public private(set) var stepCount = 0

    /// - Parameters:
    ///   - initialLearningRate: the rate at step 0.
    ///   - period: T_max > 0.
    ///   - minimumLearningRate: η_min ≥ 0 (0 by default).
    ///   - holdsMinimum: stay at η_min after `period` (false: follow the cosine, as PyTorch does).
    public init(initialLearningRate: Float, period: Int, minimumLearningRate: Float = 0, holdsMinimum: Bool = false) {
        precondition(period > 0, "CosineAnnealing: period \(period) must be > 0")
        precondition(initialLearningRate >= 0 && initialLearningRate.isFinite && minimumLearningRate >= 0 && minimumLearningRate.isFinite,
                     "CosineAnnealing: learning rates must be finite numbers ≥ 0")
        self.initialLearningRate = initialLearningRate
        self.minimumLearningRate = minimumLearningRate
        self.period = period
        self.holdsMinimum = holdsMinimum
    }

    /// The learning rate after `step` steps.
    public func learningRate(atStep step: Int) -> Float {
        let t = holdsMinimum ? Swift.min(step, period) : step
        let (high, low) = (Double(initialLearningRate), Double(minimumLearningRate))
        return Float(low + (high - low) * (1 + Foundation.cos(Double.pi * Double(t) / Double(period))) / 2)
    }

    /// The learning rate for the current step.
    public var learningRate: Float { learningRate(atStep: stepCount) }

    /// Moves one step on.
    public func step() { stepCount += 1 }

    private var settings: [String: Double] {
        ["initial_lr": Double(initialLearningRate), "eta_min": Double(minimumLearningRate), "T_max": Double(period),
         "holds_minimum": holdsMinimum ? 1 : 0]
    }

    /// Settings and `step`.
    public func exportState() -> SchedulerState {
        var values = settings
        values["step"] = Double(stepCount)
        return SchedulerState(kind: "CosineAnnealing", values: values)
    }

    /// Continues from `state`.
    /// - Throws: `SchedulerStateError`.
    public func importState(_ state: SchedulerState) throws {
        try state.check(kind: "CosineAnnealing", settings: settings)
        stepCount = try state.counter("step")
    }
}
