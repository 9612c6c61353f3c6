import Foundation

/// A thread that serves a queue kept under `condition`, and its orderly end: `stop()` tells the thread to
/// finish what is queued and waits until its body has returned. `DynamicBatcher` and `GenerationWorker` are
/// built on it.
final class WorkerThread: @unchecked Sendable {
    /// Guards the owner's queue and `isStopping`; broadcast it when work arrives.
    let condition = NSCondition()
    /// Set by `stop()`; read under `condition`. The body returns once it is set and the queue is empty.
    private(set) var isStopping = false
    private var finished = false

    private let name: String

    /// A worker named `name` (the thread's name), not yet started.
    init(name: String) { self.name = name }

    /// Starts `body` on the thread. The body waits on `condition` for work and returns when `isStopping`
    /// is set and nothing is left.
    func start(_ body: @escaping () -> Void) {
        let thread = Thread { [self] in
            body()
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    /// Sets `isStopping`, wakes the thread, and returns when its body has returned.
    func stop() {
        condition.lock()
        isStopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
