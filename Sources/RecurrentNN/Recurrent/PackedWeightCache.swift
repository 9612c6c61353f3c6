import Foundation
import RecurrentKernels

/// Packed per-step weights kept between inference calls of one layer direction, so repeated calls with
/// unchanged weights (serving a model) skip re-packing. An entry is tied to the parameter versions it was
/// built from and to the thread split (rank of ranks) it serves.
final class PackedWeightCache: @unchecked Sendable {
    private let lock = NSLock()
    private var versions: [Int] = []
    private var entries: [Int: PackedMatrix] = [:]

    /// The packed matrix `slot` (0: hidden weights, 1: input weights) for `rank` of `ranks` built from
    /// parameters at `versions`, building it on a miss.
    func packed(slot: Int = 0, rank: Int, ranks: Int, versions current: [Int], build: () -> PackedMatrix) -> PackedMatrix {
        let key = slot << 32 | ranks << 16 | rank
        lock.lock()
        if versions != current {
            versions = current
            entries.removeAll()
        }
        if let hit = entries[key] {
            lock.unlock()
            return hit
        }
        lock.unlock()
        let made = build()
        lock.lock()
        if versions == current { entries[key] = made }
        lock.unlock()
        return made
    }
}
