import CRecurrentKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits loops across cores.
///
/// The thread count comes from `RECURRENT_THREADS` (a positive integer) and defaults to the number of
/// active processors. Work smaller than a caller-given grain runs inline on the calling thread, so small
/// tensors never pay for a dispatch.
public enum Parallel {
    /// The number of threads parallel loops may use (≥ 1).
    public static let threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["RECURRENT_THREADS"],
           let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body` over `0..<count` split into at most `availableThreads` contiguous chunks.
    ///
    /// The chunks run on the calling thread and on a pool of `threadCount - 1` long-lived worker
    /// threads. A call made while the pool is busy (from inside `body`, or from another thread at the
    /// same time) runs its chunks one after another on its own thread.
    ///
    /// - Parameters:
    ///   - count: the number of items.
    ///   - grain: the smallest number of items worth giving a thread of its own.
    ///   - body: called with each chunk's range; chunks never overlap and together cover `0..<count`.
    public static func forChunks(count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(availableThreads, max(1, count / max(1, grain)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        WorkerPool.shared.run(chunks: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            body(start..<end)
        }
    }
}

/// Long-lived worker threads that run the chunks of one `Parallel.forChunks` call at a time.
///
/// Why not `DispatchQueue.concurrentPerform`: on this project's 2-core VMs its Linux thread pool was
/// seen to start the second chunk milliseconds late, or to run every chunk on one thread; and any
/// thread that sleeps lets its virtual CPU halt, which then takes up to milliseconds to come back.
/// So, like OpenBLAS and OpenMP runtimes, workers (and a caller waiting for them) spin politely —
/// `sched_yield` in the loop — for up to `spinNanoseconds` before sleeping on a condition variable.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: Parallel.threadCount - 1)

    /// How long a thread spins for new work, or for the end of a call, before sleeping.
    static let spinNanoseconds: UInt64 = 2_000_000

    private let condition = NSCondition()
    private let workers: Int
    // All state is guarded by `condition`; `generation` and `unfinished` are also read without it,
    // atomically, by spinning threads (so they are written with atomic stores).
    private var started = false
    private var busy = false
    private var stopping = false
    private let generation = AtomicWord()
    private let unfinished = AtomicWord()
    private var job: ((Int) -> Void)?
    private var chunks = 0
    private var nextChunk = 0

    init(workers: Int) {
        self.workers = max(0, workers)
    }

    /// Calls `body(chunk)` for every chunk in `0..<chunks`, spread over the caller and the workers;
    /// returns when all have finished.
    func run(chunks: Int, _ body: (Int) -> Void) {
        condition.lock()
        if busy || stopping || workers == 0 || chunks <= 1 {
            condition.unlock()
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        busy = true
        if !started {
            started = true
            for index in 0..<workers {
                // Workers keep the pool alive until `shutdown()` (the shared pool: for the process).
                let thread = Thread { self.workerLoop() }
                thread.name = "recurrent-worker-\(index + 1)"
                thread.start()
            }
        }
        withoutActuallyEscaping(body) { body in
            job = body
            self.chunks = chunks
            nextChunk = 0
            unfinished.store(chunks)
            generation.store(generation.value &+ 1)
            condition.broadcast()
            // The caller works too, then waits for the chunks the workers took.
            while nextChunk < self.chunks {
                let chunk = nextChunk
                nextChunk += 1
                condition.unlock()
                body(chunk)
                condition.lock()
                unfinished.store(unfinished.value - 1)
            }
            if unfinished.value > 0 {
                condition.unlock()
                spin { unfinished.value == 0 }
                condition.lock()
                while unfinished.value > 0 { condition.wait() }
            }
            job = nil
        }
        busy = false
        condition.broadcast()  // for a `shutdown()` waiting on `busy`
        condition.unlock()
    }

    /// Ends the worker threads once they are idle; later calls run inline. For pools other than
    /// `shared` (tests), so that their threads do not outlive them.
    func shutdown() {
        condition.lock()
        while busy { condition.wait() }
        stopping = true
        generation.store(generation.value &+ 1)
        condition.broadcast()
        condition.unlock()
    }

    /// Yields until `done()` or `spinNanoseconds` have passed.
    private func spin(until done: () -> Bool) {
        let start = DispatchTime.now().uptimeNanoseconds
        while !done() {
            if DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds { return }
            sched_yield()
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            spin { generation.value != seen }
            condition.lock()
            while generation.value == seen { condition.wait() }
            seen = generation.value
            if stopping {
                condition.unlock()
                return
            }
            while nextChunk < chunks, let body = job {
                let chunk = nextChunk
                nextChunk += 1
                condition.unlock()
                body(chunk)
                condition.lock()
                // `body` is released before the lock is next given up, so before the caller can
                // return from `withoutActuallyEscaping`.
                unfinished.store(unfinished.value - 1)
                if unfinished.value == 0 { condition.broadcast() }
            }
            condition.unlock()
        }
    }
}
