/// A linear warm-up in front of, or on top of, any other schedule: the learning rate is scaled by a factor
/// that rises linearly from `startFactor` to 1 over `warmupSteps` steps
/// (`factor(t) = startFactor + (1 − startFactor) · min(t, warmupSteps) / warmupSteps`, PyTorch's `LinearLR`).
///
/// - `.sequential` (PyTorch's `SequentialLR`): the wrapped schedule waits until the warm-up is over, then
///   starts from its own step 0; during the warm-up the rate is `factor(t) ·` its initial rate.
/// - `.chained` (`ChainedScheduler`): both run from step 0; the rate is `factor(t) ·` the wrapped rate.
///
/// `observe(metric:)` is passed on, so a warm-up can wrap `ReduceOnPlateau`.
public final class LinearWarmup: LearningRateScheduler {
    /// How the warm-up combines with the wrapped schedule.
    public enum Mode: String, Codable, Sendable {
        /// The wrapped schedule starts after the warm-up.
        case sequential
        /// The wrapped schedule runs from step 0; the warm-up factor multiplies its rate.
        case chained
    }

    /// The schedule that sets the rate after (or under) the warm-up.
    public let wrapped: LearningRateScheduler
    /// Steps over which the factor rises to 1.
    public let warmupSteps: Int
    /// The factor at step 0.
    public let startFactor: Float
    /// How the warm-up combines with `wrapped`.
    public let mode: Mode
    /// Steps taken.
    public private(set) var stepCount = 0

    /// - Parameters:
    ///   - warmupSteps: > 0.
    ///   - startFactor: in [0, 1] (PyTorch's default is 1/3; 0 starts from a zero rate).
    ///   - mode: `.sequential` (default) or `.chained`.
    ///   - wrapped: the schedule to warm up.
    public init(warmupSteps: Int, startFactor: Float = 0, mode: Mode = .sequential, wrapping wrapped: LearningRateScheduler) {
        precondition(warmupSteps > 0, "LinearWarmup: warm-up steps \(warmupSteps) must be > 0")
        precondition(startFactor >= 0 && startFactor <= 1, "LinearWarmup: start factor \(startFactor) must be in [0, 1]")
        self.wrapped = wrapped
        self.warmupSteps = warmupSteps
        self.startFactor = startFactor
        self.mode = mode
    }

    /// The warm-up factor after `step` steps (1 from `warmupSteps` on).
    public func factor(atStep step: Int) -> Double {
        let start = Double(startFactor)
        return start + (1 - start) * Double(Swift.min(step, warmupSteps)) / Double(warmupSteps)
    }

    /// The learning rate for the current step.
    public var learningRate: Float {
        if mode == .sequential && stepCount >= warmupSteps { return wrapped.learningRate }
        return Float(factor(atStep: stepCount) * Double(wrapped.learningRate))
    }

    /// Moves one step on (and the wrapped schedule too, unless it is still waiting for the warm-up to end).
    public func step() {
        if mode == .chained || stepCount >= warmupSteps { wrapped.step() }
        stepCount += 1
    }

    /// Passes the metric to the wrapped schedule.
    public func observe(metric: Double) {
        wrapped.observe(metric: metric)
    }

    private var settings: [String: Double] {
        ["warmup_steps": Double(warmupSteps), "start_factor": Double(startFactor), "chained": mode == .chained ? 1 : 0]
    }

    /// Settings, `step`, and the wrapped schedule's state as the one inner state.
    public func exportState() -> SchedulerState {
        var values = settings
        values["step"] = Double(stepCount)
        return SchedulerState(kind: "LinearWarmup", values: values, inner: [wrapped.exportState()])
    }

    /// Continues from `state` (the wrapped schedule from the inner state).
    /// - Throws: `SchedulerStateError`.
    public func importState(_ state: SchedulerState) throws {
        try state.check(kind: "LinearWarmup", settings: settings)
        guard state.inner.count == 1 else { throw SchedulerStateError.innerStateCount(kind: "LinearWarmup", found: state.inner.count) }
        let steps = try state.counter("step")
        try wrapped.importState(state.inner[0])  // all or nothing, and the last thing that can fail
        stepCount = steps
    }
}
