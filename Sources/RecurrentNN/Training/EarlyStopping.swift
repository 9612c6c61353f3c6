/// Stops training when a dev metric has not improved for `patience` evaluations in a row.
///
/// ```swift
/// let stopper = EarlyStopping(mode: .max, patience: 5)
/// for epoch in 0... {
///     train(epoch)
///     if stopper.record(devAccuracy) { try bestModels.save(…) }   // a new best
///     if stopper.shouldStop { break }
/// }
/// ```
public final class EarlyStopping {
    /// What `state` holds; saved in a checkpoint's JSON.
    public struct State: Codable, Equatable, Sendable {
        /// Smaller or larger is better.
        public var mode: MetricMode
        /// Evaluations without improvement tolerated.
        public var patience: Int
        /// The least improvement that counts.
        public var minimumDelta: Double
        /// The best metric so far (nil before the first).
        public var best: Double?
        /// The 0-based index of the evaluation that gave `best`.
        public var bestIndex: Int?
        /// Evaluations recorded.
        public var count: Int
        /// Evaluations since the last improvement.
        public var badCount: Int
    }

    /// Smaller or larger is better.
    public let mode: MetricMode
    /// Evaluations without improvement tolerated; training should stop after `patience` of them in a row.
    public let patience: Int
    /// An improvement must exceed this.
    public let minimumDelta: Double
    /// The best metric so far (nil before the first evaluation).
    public private(set) var best: Double?
    /// The 0-based index of the evaluation that gave `best`.
    public private(set) var bestIndex: Int?
    /// Evaluations recorded.
    public private(set) var count = 0
    /// Evaluations since the last improvement.
    public private(set) var badCount = 0

    /// - Parameters:
    ///   - mode: `.min` for a loss, `.max` for an accuracy.
    ///   - patience: > 0.
    ///   - minimumDelta: ≥ 0; an improvement must be larger than this.
    public init(mode: MetricMode, patience: Int, minimumDelta: Double = 0) {
        precondition(patience > 0, "EarlyStopping: patience \(patience) must be > 0")
        precondition(minimumDelta >= 0 && minimumDelta.isFinite, "EarlyStopping: minimum delta must be a finite number ≥ 0")
        self.mode = mode
        self.patience = patience
        self.minimumDelta = minimumDelta
    }

    /// Whether `patience` evaluations in a row brought no improvement.
    public var shouldStop: Bool { badCount >= patience }

    /// Records a dev metric.
    /// - Returns: whether it is a new best (the first finite metric always is; NaN never is).
    @discardableResult
    public func record(_ metric: Double) -> Bool {
        defer { count += 1 }
        let improved: Bool
        if metric.isNaN {
            improved = false
        } else if let best {
            improved = mode == .min ? metric < best - minimumDelta : metric > best + minimumDelta
        } else {
            improved = true
        }
        if improved {
            best = metric
            bestIndex = count
            badCount = 0
        } else {
            badCount += 1
        }
        return improved
    }

    /// The settings and progress.
    public var state: State {
        State(mode: mode, patience: patience, minimumDelta: minimumDelta, best: best, bestIndex: bestIndex, count: count, badCount: badCount)
    }

    /// Continues from a saved state.
    /// - Throws: `SchedulerStateError.settingMismatch` when mode, patience or minimum delta differ, or
    ///   `.invalidValue` for negative counts; nothing is changed then.
    public func restore(_ state: State) throws {
        let kind = "EarlyStopping"
        guard state.mode == mode else {
            throw SchedulerStateError.settingMismatch(kind: kind, name: "mode_max", current: mode == .max ? 1 : 0, saved: state.mode == .max ? 1 : 0)
        }
        guard state.patience == patience else {
            throw SchedulerStateError.settingMismatch(kind: kind, name: "patience", current: Double(patience), saved: Double(state.patience))
        }
        guard state.minimumDelta == minimumDelta else {
            throw SchedulerStateError.settingMismatch(kind: kind, name: "minimum_delta", current: minimumDelta, saved: state.minimumDelta)
        }
        guard state.count >= 0, state.badCount >= 0, state.badCount <= state.count, (state.bestIndex ?? 0) >= 0 else {
            throw SchedulerStateError.invalidValue(kind: kind, name: "count", reason: "counts \(state.count), \(state.badCount) are inconsistent")
        }
        best = state.best
        bestIndex = state.bestIndex
        count = state.count
        badCount = state.badCount
    }
}
