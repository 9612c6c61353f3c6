import Foundation

/// Why a model worker did not run a request (answered 503).
public enum WorkerFailure: Error, CustomStringConvertible, Sendable {
    /// The server is shutting down.
    case stopped
    /// More requests are waiting than the worker's queue holds.
    case busy(queued: Int)

    public var description: String {
        switch self {
        case .stopped: return "the server is shutting down"
        case .busy(let queued): return "the server is busy (\(queued) requests waiting); try again"
        }
    }
}

/// Merges concurrent requests for one model into batched calls, on one thread of its own.
///
/// Requests wait in a queue. The worker takes the oldest one, then waits until `window` has passed since
/// that request arrived, or until `maximumBatch` are waiting, and runs them as one call of `process`.
/// Requests that queued up while the previous call ran are already past their window, so under load
/// batches form without extra delay, and a lone request waits at most `window`. With `maximumBatch` 1 (or
/// a zero window on an idle server) every request runs alone: batching off.
///
/// The model is only ever used from the worker thread, so models that are not safe to share between
/// threads (all of ours keep per-call scratch space) need no locks of their own.
public final class DynamicBatcher<Input: Sendable, Output: Sendable>: @unchecked Sendable {
    public typealias Failure = WorkerFailure

    /// The name (for the thread and the metrics).
    public let name: String
    /// How long the oldest waiting request may wait for company, in seconds.
    public let window: TimeInterval
    /// The most requests one call takes.
    public let maximumBatch: Int
    /// The most requests that may wait; more are refused with `Failure.busy`.
    public let maximumQueue: Int

    private typealias Pending = (input: Input, arrived: TimeInterval, continuation: CheckedContinuation<Output, Error>)
    private let worker: WorkerThread
    private var condition: NSCondition { worker.condition }
    private var pending: [Pending] = []
    private let process: ([Input]) -> [Result<Output, Error>]
    private let didRun: (Int) -> Void

    /// Starts the worker thread.
    ///
    /// - Parameters:
    ///   - name: names the thread.
    ///   - window: seconds a request may wait for others (e.g. 0.002).
    ///   - maximumBatch: ≥ 1; 1 turns batching off.
    ///   - maximumQueue: ≥ 1.
    ///   - didRun: told each batch's size, after it ran (metrics).
    ///   - process: runs a batch; returns one result per input, in order.
    public init(name: String, window: TimeInterval, maximumBatch: Int, maximumQueue: Int = 4096,
                didRun: @escaping (Int) -> Void = { _ in },
                process: @escaping ([Input]) -> [Result<Output, Error>]) {
        precondition(window >= 0 && maximumBatch >= 1 && maximumQueue >= 1, "DynamicBatcher: bad settings")
        self.name = name
        self.window = window
        self.maximumBatch = maximumBatch
        self.maximumQueue = maximumQueue
        self.process = process
        self.didRun = didRun
        worker = WorkerThread(name: "batcher-\(name)")
        worker.start { [self] in loop() }  // the worker keeps its owner alive until it stops
    }

    /// Runs `input` in the next batch and returns its output.
    /// - Throws: `Failure` when stopped or full, or what `process` returned for it.
    public func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if worker.isStopping {
                condition.unlock()
                continuation.resume(throwing: Failure.stopped)
                return
            }
            if pending.count >= maximumQueue {
                let queued = pending.count
                condition.unlock()
                continuation.resume(throwing: Failure.busy(queued: queued))
                return
            }
            pending.append((input, ProcessInfo.processInfo.systemUptime, continuation))
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Stops taking requests, runs those already waiting, and returns when the worker has ended.
    public func shutdown() { worker.stop() }

    private func loop() {
        condition.lock()
        while true {
            while pending.isEmpty && !worker.isStopping { condition.wait() }
            if pending.isEmpty {  // stopping, nothing left
                condition.unlock()
                return
            }
            let deadline = pending[0].arrived + window
            while pending.count < maximumBatch && !worker.isStopping {
                let left = deadline - ProcessInfo.processInfo.systemUptime
                if left <= 0 { break }
                _ = condition.wait(until: Date(timeIntervalSinceNow: left))
            }
            let batch = Array(pending.prefix(maximumBatch))
            pending.removeFirst(batch.count)
            condition.unlock()
            var results = process(batch.map(\.input))
            if results.count != batch.count {
                results = batch.map { _ in .failure(Failure.stopped) }  // a bug in `process`: fail loudly, never hang
            }
            for (item, result) in zip(batch, results) { item.continuation.resume(with: result) }
            didRun(batch.count)
            condition.lock()
        }
    }
}
