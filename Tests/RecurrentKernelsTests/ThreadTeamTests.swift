import Foundation
import Testing
@testable import RecurrentKernels

@Suite struct ThreadTeamTests {
    @Test func everyRankRunsOnceAndTheBarrierSeparatesPhases() {
        let team = ThreadTeam(size: 3)
        for _ in 0..<50 {
            let slots = UnsafeMutablePointer<Int>.allocate(capacity: 3)
            slots.initialize(repeating: 0, count: 3)
            let sums = UnsafeMutablePointer<Int>.allocate(capacity: 3)
            sums.initialize(repeating: -1, count: 3)
            var seenRanks = 0
            team.run(maxRanks: 3) { rank, ranks, barrier in
                if rank == 0 { seenRanks = ranks }
                for round in 1...20 {
                    slots[rank] = round * (rank + 1)
                    barrier.wait()
                    // Every rank sees every other rank's write of this round.
                    var total = 0
                    for r in 0..<ranks { total += slots[r] }
                    sums[rank] = total
                    barrier.wait()
                }
            }
            #expect(seenRanks == 3)
            for r in 0..<3 { #expect(sums[r] == 20 * (1 + 2 + 3)) }
            slots.deallocate()
            sums.deallocate()
        }
    }

    @Test func aNestedRunGetsOneRank() {
        let team = ThreadTeam(size: 2)
        var inner: [Int] = []
        let lock = NSLock()
        team.run(maxRanks: 2) { rank, _, _ in
            team.run(maxRanks: 2) { _, ranks, barrier in
                barrier.wait()  // a barrier of one never blocks
                lock.lock(); inner.append(ranks); lock.unlock()
            }
        }
        #expect(inner == [1, 1])
    }

    @Test func maxRanksLimitsTheTeam() {
        let team = ThreadTeam(size: 4)
        var ranksSeen = 0
        team.run(maxRanks: 2) { rank, ranks, _ in if rank == 0 { ranksSeen = ranks } }
        #expect(ranksSeen == 2)
    }
}
