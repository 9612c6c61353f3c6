import RecurrentCore

/// What training does with a step whose loss or gradient is NaN or infinite.
public enum NonFinitePolicy: String, Codable, Sendable, CaseIterable {
    /// Stop the run with `TrainingDivergedError` (the default): nothing more is saved.
    case stop
    /// Skip the step (no update), count it and go on; stop all the same after
    /// `NonFiniteGuard.maximumConsecutiveSkips` skips in a row.
    case skip
}

/// Why a training run stopped: its loss or gradient stopped being finite.
public struct TrainingDivergedError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The 1-based step (batch) of the whole run at which it happened.
    public var step: Int
    /// `"loss"` or `"gradient norm"`.
    public var quantity: String
    /// The value (NaN or ±infinity).
    public var value: Float
    /// Steps skipped before, under `.skip`.
    public var skippedBefore: Int

    public var description: String {
        let skipped = skippedBefore > 0 ? " after \(skippedBefore) skipped steps" : ""
        return "training diverged: the \(quantity) is \(value) at step \(step)\(skipped); nothing was saved from this step on "
            + "(lower the learning rate, clip gradients, or pass --on-non-finite skip)"
    }
}

/// Checks every training step before the optimizer applies it: a non-finite loss or gradient norm stops the
/// run (or, by policy, skips the step), so a diverged model is never trained on, and never saved.
///
/// ```swift
/// let guard = NonFiniteGuard(policy: .stop)
/// loss.backward()
/// let norm = GradientClipping.clipNorm(of: parameters, maxNorm: 5)
/// if try guard.admit(loss: loss.item, gradientNorm: norm, parameters: parameters) { optimizer.step() }
/// ```
public final class NonFiniteGuard {
    /// The policy.
    public let policy: NonFinitePolicy
    /// Under `.skip`, this many skipped steps in a row stop the run all the same.
    public static let maximumConsecutiveSkips = 100
    /// Steps skipped so far.
    public private(set) var skippedSteps = 0
    /// Steps checked so far.
    public private(set) var steps = 0
    private var consecutiveSkips = 0

    /// Makes a guard.
    public init(policy: NonFinitePolicy = .stop) {
        self.policy = policy
    }

    /// Checks one step, after the backward pass and before the optimizer's step.
    ///
    /// - Parameters:
    ///   - loss: the step's loss.
    ///   - gradientNorm: the total gradient norm (what `GradientClipping.clipNorm` returns), or nil to compute it.
    ///   - parameters: the trained parameters; under `.skip` their gradients are cleared for a skipped step.
    /// - Returns: true when the step may be applied, false when it was skipped.
    /// - Throws: `TrainingDivergedError` under `.stop`, or after too many skips in a row.
    public func admit(loss: Float, gradientNorm: Float? = nil, parameters: [Parameter]) throws -> Bool {
        steps += 1
        var problem: (String, Float)? = loss.isFinite ? nil : ("loss", loss)
        if problem == nil {
            let norm = gradientNorm ?? GradientClipping.totalNorm(of: parameters)
            if !norm.isFinite { problem = ("gradient norm", norm) }
        }
        guard let (quantity, value) = problem else {
            consecutiveSkips = 0
            return true
        }
        let error = TrainingDivergedError(step: steps, quantity: quantity, value: value, skippedBefore: skippedSteps)
        guard policy == .skip, consecutiveSkips + 1 < Self.maximumConsecutiveSkips else { throw error }
        skippedSteps += 1
        consecutiveSkips += 1
        for parameter in parameters { parameter.zeroGrad() }
        return false
    }
}
