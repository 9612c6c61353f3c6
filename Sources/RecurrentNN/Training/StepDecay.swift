import Foundation

/// Multiplies the learning rate by γ every `stepSize` steps (`torch.optim.lr_scheduler.StepLR`), or at each
/// milestone (`MultiStepLR`): `lr(t) = initial · γ^k`, where k counts the boundaries passed after t steps.
///
/// Computed in closed form in Double, so no rounding accumulates and resuming gives the same values.
public final class StepDecay: LearningRateScheduler {
    /// The learning rate before the first decay.
    public let initialLearningRate: Float
    /// γ, the factor applied at each boundary.
    public let gamma: Float
    /// Decay every this many steps (0 when `milestones` are used).
    public let stepSize: Int
    /// Decay at these step counts (sorted, empty when `stepSize` is used).
    public let milestones: [Int]
    /// Steps taken (`step()` calls).
    public private(set) var stepCount = 0

    /// Decays every `stepSize` steps.
    ///
    /// - Parameters:
    ///   - initialLearningRate: the rate for steps `0..<stepSize`.
    ///   - stepSize: > 0.
    ///   - gamma: the factor, ≥ 0 (0.1 by default).
    public init(initialLearningRate: Float, stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0, "StepDecay: step size \(stepSize) must be > 0")
        precondition(gamma >= 0 && gamma.isFinite, "StepDecay: gamma \(gamma) must be a finite number ≥ 0")
        precondition(initialLearningRate >= 0 && initialLearningRate.isFinite, "StepDecay: learning rate must be a finite number ≥ 0")
        self.initialLearningRate = initialLearningRate
        self.stepSize = stepSize
        self.gamma = gamma
        self.milestones = []
    }

    /// Decays when the step count reaches each milestone.
    ///
    /// - Parameters:
    ///   - initialLearningRate: the rate before the first milestone.
    ///   - milestones: step counts > 0, strictly increasing.
    ///   - gamma: the factor, ≥ 0.
    public init(initialLearningRate: Float, milestones: [Int], gamma: Float = 0.1) {
        precondition(!milestones.isEmpty && milestones[0] > 0 && zip(milestones, milestones.dropFirst()).allSatisfy { $0 < $1 },
                     "StepDecay: milestones \(milestones) must be positive and strictly increasing")
        precondition(gamma >= 0 && gamma.isFinite, "StepDecay: gamma \(gamma) must be a finite number ≥ 0")
        precondition(initialLearningRate >= 0 && initialLearningRate.isFinite, "StepDecay: learning rate must be a finite number ≥ 0")
        self.initialLearningRate = initialLearningRate
        self.stepSize = 0
        self.gamma = gamma
        self.milestones = milestones
    }

    /// The learning rate after `step` steps.
    public func learningRate(atStep step: Int) -> Float {
        let decays = stepSize > 0 ? step / stepSize : milestones.prefix { $0 <= step }.count
        return Float(Double(initialLearningRate) * Foundation.pow(Double(gamma), Double(decays)))
    }

    /// The learning rate for the current step.
    public var learningRate: Float { learningRate(atStep: stepCount) }

    /// Moves one step on.
    public func step() { stepCount += 1 }

    private var settings: [String: Double] {
        var values = ["initial_lr": Double(initialLearningRate), "gamma": Double(gamma), "step_size": Double(stepSize)]
        for (i, milestone) in milestones.enumerated() { values["milestone_\(i)"] = Double(milestone) }
        values["milestone_count"] = Double(milestones.count)
        return values
    }

    /// Settings and `step`.
    public func exportState() -> SchedulerState {
        var values = settings
        values["step"] = Double(stepCount)
        return SchedulerState(kind: "StepDecay", values: values)
    }

    /// Continues from `state`.
    /// - Throws: `SchedulerStateError`.
    public func importState(_ state: SchedulerState) throws {
        try state.check(kind: "StepDecay", settings: settings)
        stepCount = try state.counter("step")
    }
}
