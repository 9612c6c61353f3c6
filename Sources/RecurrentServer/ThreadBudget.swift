import Foundation
import RecurrentKernels

/// Shares the library's threads between the models' workers: a batch that runs while others run gets its
/// share of `Parallel.threadCount` (at least one thread), so two busy models never put four threads on two
/// cores; a batch alone gets them all.
final class ThreadBudget: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0
    /// The threads in all.
    let total: Int

    init(total: Int = Parallel.threadCount) { self.total = Swift.max(1, total) }

    /// Runs `body` under `Parallel.withThreadLimit` of this batch's share, counted among the running ones.
    func run<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        running += 1
        let share = Swift.max(1, total / running)
        lock.unlock()
        defer {
            lock.lock()
            running -= 1
            lock.unlock()
        }
        return try Parallel.withThreadLimit(share, body)
    }
}
