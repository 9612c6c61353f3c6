import Foundation

/// A learning-rate schedule with state: it says which learning rate to use now, and moves on when told.
///
/// The caller chooses the clock: call `step()` once per epoch, or once per batch. Metric-driven schedules
/// (`ReduceOnPlateau`) react to `observe(metric:)`; the others ignore it. A training loop does
/// ```swift
/// schedule.apply(to: optimizer)   // before optimizer.step()
/// optimizer.step()
/// schedule.step()
/// ```
/// `exportState()` / `importState(_:)` let a checkpoint continue the schedule exactly where it was.
public protocol LearningRateScheduler: AnyObject {
    /// The learning rate for the current step.
    var learningRate: Float { get }
    /// Moves the schedule one step on.
    func step()
    /// Reports a metric (for example the dev loss after an epoch); only metric-driven schedules use it.
    func observe(metric: Double)
    /// The schedule's settings and position.
    func exportState() -> SchedulerState
    /// Continues from a state exported by an identically configured schedule.
    /// - Throws: `SchedulerStateError` when the state is for another kind of schedule or other settings;
    ///   nothing is changed then.
    func importState(_ state: SchedulerState) throws
}

extension LearningRateScheduler {
    /// Ignores the metric (schedules that do not depend on one).
    public func observe(metric: Double) {}

    /// Sets `optimizer.learningRate` to this schedule's current learning rate.
    public func apply(to optimizer: Optimizer) {
        optimizer.learningRate = learningRate
    }
}

/// A schedule's settings and position, as numbers (saved in a checkpoint's JSON).
public struct SchedulerState: Codable, Equatable, Sendable {
    /// The schedule's type: `"StepDecay"`, `"CosineAnnealing"`, `"LinearWarmup"`, `"ReduceOnPlateau"`.
    public var kind: String
    /// Settings and counters by name.
    public var values: [String: Double]
    /// The states of wrapped schedules (a warm-up's inner schedule).
    public var inner: [SchedulerState]

    /// Makes a state from its parts.
    public init(kind: String, values: [String: Double], inner: [SchedulerState] = []) {
        self.kind = kind
        self.values = values
        self.inner = inner
    }

    /// Checks that this state is for `kind` with the given settings (which must match exactly).
    func check(kind expected: String, settings: [String: Double]) throws {
        guard kind == expected else { throw SchedulerStateError.kindMismatch(expected: expected, found: kind) }
        for name in settings.keys.sorted() {
            let current = settings[name]!
            guard let saved = values[name] else { throw SchedulerStateError.missingValue(kind: kind, name: name) }
            guard saved == current else {
                throw SchedulerStateError.settingMismatch(kind: kind, name: name, current: current, saved: saved)
            }
        }
    }

    /// A counter: a whole number ≥ 0.
    func counter(_ name: String) throws -> Int {
        guard let value = values[name] else { throw SchedulerStateError.missingValue(kind: kind, name: name) }
        guard value >= 0, value <= 9.0e15, value.rounded() == value else {
            throw SchedulerStateError.invalidValue(kind: kind, name: name, reason: "\(value) is not a whole number ≥ 0")
        }
        return Int(value)
    }

    /// A number (any value, including infinities, unless `finite`).
    func number(_ name: String, finite: Bool = false) throws -> Double {
        guard let value = values[name] else { throw SchedulerStateError.missingValue(kind: kind, name: name) }
        guard !value.isNaN, !finite || value.isFinite else {
            throw SchedulerStateError.invalidValue(kind: kind, name: name, reason: "\(value) is not a finite number")
        }
        return value
    }
}

/// Why a schedule's state could not be imported; each description is one line.
public enum SchedulerStateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The state is for another kind of schedule.
    case kindMismatch(expected: String, found: String)
    /// A setting differs between the state and the schedule.
    case settingMismatch(kind: String, name: String, current: Double, saved: Double)
    /// The state lacks a value.
    case missingValue(kind: String, name: String)
    /// A value is out of range.
    case invalidValue(kind: String, name: String, reason: String)
    /// A wrapping schedule's state does not hold exactly one inner state.
    case innerStateCount(kind: String, found: Int)

    public var description: String {
        switch self {
        case let .kindMismatch(expected, found): return "schedule state is for \(found), not \(expected)"
        case let .settingMismatch(kind, name, current, saved):
            return "\(kind) state has \(name) = \(saved), but the schedule has \(current)"
        case let .missingValue(kind, name): return "\(kind) state lacks '\(name)'"
        case let .invalidValue(kind, name, reason): return "\(kind) state: \(name): \(reason)"
        case let .innerStateCount(kind, found): return "\(kind) state holds \(found) inner schedule states, expected 1"
        }
    }
}
