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

    /// A rank that loses its core (here: sleeps 5 ms) between two barriers makes the wait at the second
    /// barrier a stall; the shared team and parallel loops then run on one thread for a while.
    @Test func aStalledBarrierIsReportedAndCallsFallBackToOneThread() {
        let team = ThreadTeam(size: 2)
        let before = Contention.stallCount
        team.run(maxRanks: 2) { rank, _, barrier in
            barrier.wait()
            if rank == 1 { usleep(5_000) }
            barrier.wait()
        }
        #expect(Contention.stallCount > before, "the 5 ms wait was seen")
        if Contention.isEnabled {
            #expect(Contention.isContended)
            #expect(Parallel.availableThreads == 1)
        }
        Contention.reset()
        #expect(!Contention.isContended)
    }
}
