import Foundation
import Testing
@testable import RecurrentKernels

@Suite("Thread limits and contention")
struct ThreadLimitTests {
    @Test func aLimitCapsTheCallsInsideItOnItsThreadOnly() {
        #expect(Parallel.threadLimit == nil)
        Parallel.withThreadLimit(1) {
            #expect(Parallel.threadLimit == 1 && Parallel.availableThreads == 1)
            var chunks = 0
            Parallel.forChunks(count: 1000, grain: 1) { _ in chunks += 1 }
            #expect(chunks == 1, "a capped call runs in one chunk")
            var ranksSeen = 0
            ThreadTeam.shared.run(maxRanks: 8) { rank, ranks, _ in if rank == 0 { ranksSeen = ranks } }
            #expect(ranksSeen == 1, "the shared team follows the cap")
            Parallel.withThreadLimit(4) { #expect(Parallel.threadLimit == 1, "a nested limit cannot raise the cap") }
            // Another thread has no cap.
            final class Box: @unchecked Sendable { var limit: Int? = -1 }
            let box = Box(), done = DispatchSemaphore(value: 0)
            Thread { box.limit = Parallel.threadLimit; done.signal() }.start()
            done.wait()
            #expect(box.limit == nil)
        }
        #expect(Parallel.threadLimit == nil, "the cap ends with the call")
        Parallel.withThreadLimit(0) { #expect(Parallel.threadLimit == 1, "limits below 1 count as 1") }
    }

    /// The chooser takes the choice whose recent runs of that size were faster per unit of work, tries the
    /// other one run in `exploreEvery`, and keeps sizes apart.
    @Test(.enabled(if: RankChooser.isEnabled))
    func theChooserTakesTheFasterAndStillExplores() {
        let chooser = RankChooser()
        let work = 1 << 20
        #expect(chooser.useTeam(work: work), "nothing measured: the team first")
        chooser.record(work: work, team: true, nanoseconds: 4_000_000)
        #expect(!chooser.useTeam(work: work), "then one rank, to measure it")
        chooser.record(work: work, team: false, nanoseconds: 1_000_000)
        var choices: [Bool] = []
        for _ in 0..<(2 * chooser.exploreEvery) { choices.append(chooser.useTeam(work: work)) }
        #expect(choices.filter { $0 }.count == 2, "one rank is faster here; the team is tried once in \(chooser.exploreEvery)")
        // The load changes: the team becomes faster; a few measurements (the median of the kept ones) turn it.
        for _ in 0..<RankChooser.kept { chooser.record(work: work, team: true, nanoseconds: 500_000) }
        #expect(chooser.useTeam(work: work + 1) || chooser.useTeam(work: work + 2))
        // A single outlier does not decide.
        chooser.record(work: work, team: true, nanoseconds: 50_000_000)
        let afterOutlier = (0..<4).map { _ in chooser.useTeam(work: work) }
        #expect(afterOutlier.filter { $0 }.count >= 3)
        // Another size has its own measurements.
        #expect(chooser.useTeam(work: 1 << 10), "an unmeasured size starts with the team")
        let counts = chooser.counts
        #expect(counts.team == 1 + RankChooser.kept + 1 && counts.single == 1)
    }

    /// The shared team, told the size of its runs, gives a run one rank when that has been faster.
    @Test(.enabled(if: RankChooser.isEnabled))
    func theSharedTeamFollowsTheChooser() {
        let work = (1 << 40) + 12345   // a size no layer uses
        RankChooser.shared.record(work: work, team: true, nanoseconds: 1 << 40)
        RankChooser.shared.record(work: work, team: false, nanoseconds: 1)
        var ranksSeen: [Int] = []
        for _ in 0..<4 {
            ThreadTeam.shared.run(maxRanks: 2, work: work) { rank, ranks, _ in if rank == 0 { ranksSeen.append(ranks) } }
        }
        #expect(ranksSeen.filter { $0 == 1 }.count >= 3, "one rank was faster for this size: \(ranksSeen)")
    }
}
