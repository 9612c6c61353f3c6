import Foundation

/// Chooses, for each size of work, whether the shared thread team runs a job on all its ranks or on one,
/// by timing both on this machine, now.
///
/// A step-synchronous loop (`ThreadTeam`, one barrier per time step) is only as fast as its slowest rank.
/// On a quiet machine two ranks beat one even for a layer of 64 units at batch 1; when other processes
/// take the cores, a rank is descheduled for a whole time slice while the step it holds up takes
/// microseconds, and every rank waits for it — the team can become many times slower than one thread.
/// Which one wins depends on the load and on the size of the work, so the chooser measures: runs of the
/// same size (work rounded down to a power of two) keep their last nanoseconds per unit of work with the
/// team and with one rank; a run takes the one with the lower median, and every `exploreEvery`-th run of a
/// size takes the other, so a change of load is noticed. A job run on one rank leaves the workers idle; they
/// sleep instead of spinning. `RECURRENT_ADAPTIVE_THREADS=0` turns this off (the team always).
public final class RankChooser: @unchecked Sendable {
    /// The chooser of `ThreadTeam.shared`.
    public static let shared = RankChooser()

    /// Whether choices are made (`RECURRENT_ADAPTIVE_THREADS`, on unless `0`).
    public static let isEnabled: Bool = ProcessInfo.processInfo.environment["RECURRENT_ADAPTIVE_THREADS"] != "0"

    /// One run of a size in this many tries the slower choice.
    let exploreEvery = 16
    /// Measurements kept per size and choice; their median is compared (a run whose rank was descheduled
    /// can take 50 times as long: one such outlier must not decide).
    static let kept = 7

    private struct Samples {
        var values = [Double](repeating: 0, count: RankChooser.kept)
        var count = 0
        mutating func add(_ value: Double) {
            values[count % values.count] = value
            count += 1
        }
        var median: Double? {
            guard count > 0 else { return nil }
            let recent = values.prefix(Swift.min(count, values.count)).sorted()
            return recent[recent.count / 2]
        }
    }
    private struct Size {
        var team = Samples(), single = Samples()   // nanoseconds per unit of work
        var runs = 0
    }
    private let lock = NSLock()
    private var sizes = [Size](repeating: Size(), count: 64)
    private var singleRuns = 0, teamRuns = 0

    init() {}

    /// Whether a run of `work` units should use the whole team.
    func useTeam(work: Int) -> Bool {
        guard RankChooser.isEnabled, work > 0 else { return true }
        let index = Self.sizeIndex(work)
        lock.lock()
        defer { lock.unlock() }
        sizes[index].runs += 1
        let size = sizes[index]
        guard let team = size.team.median else { return true }
        guard let single = size.single.median else { return false }
        let teamIsFaster = team <= single
        return size.runs % exploreEvery == 0 ? !teamIsFaster : teamIsFaster
    }

    /// Records how long a run of `work` units took, with the team or on one rank.
    func record(work: Int, team: Bool, nanoseconds: UInt64) {
        guard RankChooser.isEnabled, work > 0 else { return }
        let perUnit = Double(nanoseconds) / Double(work)
        let index = Self.sizeIndex(work)
        lock.lock()
        defer { lock.unlock() }
        if team {
            teamRuns += 1
            sizes[index].team.add(perUnit)
        } else {
            singleRuns += 1
            sizes[index].single.add(perUnit)
        }
    }

    /// Runs with the team and on one rank so far (diagnostics: `recurrent bench` prints them per case).
    public var counts: (team: Int, single: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (teamRuns, singleRuns)
    }

    /// Forgets every measurement (tests).
    func reset() {
        lock.lock()
        sizes = [Size](repeating: Size(), count: 64)
        lock.unlock()
    }

    private static func sizeIndex(_ work: Int) -> Int { Swift.min(63, Int.bitWidth - 1 - work.leadingZeroBitCount) }
}
