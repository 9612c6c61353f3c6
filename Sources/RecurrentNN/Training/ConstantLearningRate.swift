/// A learning rate that never changes (for example the schedule inside a `LinearWarmup` that only warms up).
public final class ConstantLearningRate: LearningRateScheduler {
    /// The learning rate.
    public let learningRate: Float

    /// - Parameter learningRate: a finite number ≥ 0.
    public init(_ learningRate: Float) {
        precondition(learningRate >= 0 && learningRate.isFinite, "ConstantLearningRate: learning rate must be a finite number ≥ 0")
        self.learningRate = learningRate
    }

    /// Does nothing.
    public func step() {}

    /// The learning rate.
    public func exportState() -> SchedulerState {
        SchedulerState(kind: "ConstantLearningRate", values: ["lr": Double(learningRate)])
    }

    /// Checks that `state` has the same learning rate.
    /// - Throws: `SchedulerStateError`.
    public func importState(_ state: SchedulerState) throws {
        try state.check(kind: "ConstantLearningRate", settings: ["lr": Double(learningRate)])
    }
}
