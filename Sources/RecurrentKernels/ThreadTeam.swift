import CRecurrentKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A team of threads that run one body together — every rank on its own thread at the same time — so
/// that ranks may wait for each other at a `TeamBarrier`, as in an OpenMP parallel region.
///
/// This is for step-synchronous loops (a recurrent layer whose every time step is split across threads):
/// one team run per layer instead of one fork and join per step. The team's `size - 1` worker threads
/// spin briefly for work, then sleep.
public final class ThreadTeam: @unchecked Sendable {
    /// The process-wide team of `Parallel.threadCount` threads; its runs follow `Parallel.availableThreads`.
    public static let shared = ThreadTeam(size: Parallel.threadCount, followsAvailableThreads: true)

    /// The most ranks a run can have (the caller plus the workers).
    public let size: Int
    /// Whether runs are capped by `Parallel.availableThreads` (the shared team) or only by `size` and `maxRanks`.
    let followsAvailableThreads: Bool

    private let condition = NSCondition()
    private var busy = false
    private var started = false
    private let generation = AtomicWord()
    private let unfinished = AtomicWord()
    fileprivate var job: ((Int) -> Void)?

    /// A team of `size` ranks (≥ 1). Its worker threads start with the first run and never end, so make
    /// teams once (the library uses `shared`).
    init(size: Int, followsAvailableThreads: Bool = false) {
        self.size = Swift.max(1, size)
        self.followsAvailableThreads = followsAvailableThreads
    }

    /// Runs `body(rank, ranks, barrier)` once for every rank in `0..<ranks`, each on its own thread, all at once;
    /// returns when all have finished.
    ///
    /// `ranks` is `min(maxRanks, size)` — and at most `Parallel.availableThreads` for the shared team — or 1
    /// when the team is already running (a nested or concurrent call): `body` must divide its work by the
    /// `ranks` it is given.
    ///
    /// - Parameters:
    ///   - maxRanks: the most ranks worth using.
    ///   - work: the run's size in any unit proportional to its arithmetic (multiply-adds); when given, the
    ///     shared team times its runs of this size and gives them one rank when that is faster (`RankChooser`).
    ///   - body: `(rank, ranks, barrier)`; every rank must call `barrier.wait()` the same number of times.
    public func run(maxRanks: Int, work: Int = 0, _ body: (_ rank: Int, _ ranks: Int, _ barrier: TeamBarrier) -> Void) {
        let ranks = Swift.min(maxRanks, size, followsAvailableThreads ? Parallel.availableThreads : size)
        // The shared team times its runs and may give a run one rank (`RankChooser`).
        let chooser = followsAvailableThreads && work > 0 && ranks > 1 ? RankChooser.shared : nil
        let wholeTeam = chooser?.useTeam(work: work) ?? true
        let start = DispatchTime.now().uptimeNanoseconds
        condition.lock()
        if busy || ranks <= 1 || !wholeTeam {
            let alone = !busy
            condition.unlock()
            body(0, 1, TeamBarrier(count: 1))
            if alone, let chooser {
                chooser.record(work: work, team: false, nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            }
            return
        }
        defer { chooser?.record(work: work, team: true, nanoseconds: DispatchTime.now().uptimeNanoseconds - start) }
        busy = true
        if !started {
            started = true
            for index in 1..<size {
                // Strong: a worker that starts after a private team was released (as in tests) must not
                // read a freed object. Workers keep their team alive for the life of the process.
                let thread = Thread { self.workerLoop(rank: index) }
                thread.name = "recurrent-team-\(index)"
                thread.start()
            }
        }
        let barrier = TeamBarrier(count: ranks)
        withoutActuallyEscaping({ (rank: Int) in if rank < ranks { body(rank, ranks, barrier) } }) { job in
            self.job = job
            unfinished.store(size - 1)
            generation.store(generation.value &+ 1)
            condition.broadcast()
            condition.unlock()
            job(0)
            TeamBarrier.spin { unfinished.value == 0 }
            condition.lock()
            while unfinished.value > 0 { condition.wait() }
            self.job = nil
        }
        busy = false
        condition.unlock()
    }

    /// How long an idle worker spins for the next run before it sleeps: long enough for back-to-back
    /// calls (a layer after a layer), short enough that a worker left idle — the `RankChooser` giving runs
    /// one rank on a busy machine — soon stops taking a core from the caller.
    static let workerSpinNanoseconds: UInt64 = 300_000

    private func workerLoop(rank: Int) {
        var seen = 0
        while true {
            TeamBarrier.spin(limit: Self.workerSpinNanoseconds) { generation.value != seen }
            condition.lock()
            while generation.value == seen { condition.wait() }
            seen = generation.value
            condition.unlock()
            runJob(rank: rank)
            condition.lock()
            if unfinished.fetchAdd(-1) == 1 { condition.broadcast() }
            condition.unlock()
        }
    }
}

extension ThreadTeam {
    /// Runs the current job; its reference is released when this returns, before the worker reports
    /// that it has finished (the caller's closure must not outlive `run`).
    @inline(never)
    fileprivate func runJob(rank: Int) {
        if let body = job { body(rank) }
    }
}

/// A reusable barrier for the ranks of one `ThreadTeam.run`: `wait()` returns once every rank has called it.
public final class TeamBarrier: @unchecked Sendable {
    /// The number of ranks that meet at the barrier.
    public let count: Int
    private let arrived = AtomicWord()
    private let phase = AtomicWord()

    init(count: Int) {
        self.count = count
    }

    /// Blocks (spinning, then yielding) until all `count` ranks have arrived.
    public func wait() { wait(whileWaiting: { false }) }

    /// Like `wait()`, but while the other ranks are still working, calls `work` (a small piece of work that
    /// does not depend on them) until they have all arrived or `work` returns false (nothing left to do).
    public func wait(whileWaiting work: () -> Bool) {
        guard count > 1 else { return }
        let current = phase.value
        if arrived.fetchAdd(1) == count - 1 {
            arrived.store(0)
            phase.store(current &+ 1)
            return
        }
        while phase.value == current {
            if !work() {
                TeamBarrier.spin { phase.value != current }
                return
            }
        }
    }

    /// How long a waiting thread busy-waits before it starts yielding the core: a step of a small layer
    /// takes a few microseconds, and a system call per check would cost as much as the step.
    static let busyWaitNanoseconds: UInt64 = 50_000

    /// Spins until `done()`: busy-waiting (with the CPU's spin hint) for `busyWaitNanoseconds`, then
    /// `sched_yield` so a waiting thread gives way to others; gives up after `limit` nanoseconds when one is set.
    static func spin(limit: UInt64? = nil, until done: () -> Bool) {
        for _ in 0..<64 {
            if done() { return }
            rk_cpu_relax()
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var checks = 0
        while !done() {
            checks += 1
            if checks & 63 != 0 {
                rk_cpu_relax()
                continue
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            if let limit, elapsed > limit { return }
            if elapsed > busyWaitNanoseconds { sched_yield() }
        }
    }
}
