import CRecurrentKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Parallel {
    /// The threads a parallel call made now, on this thread, may use (≥ 1): `threadCount`, capped by the
    /// innermost `withThreadLimit`, and 1 while `Contention` has seen the machine oversubscribed.
    ///
    /// Every splitting decision of the library reads this (`forChunks`, `ThreadTeam.run`, the GEMM split,
    /// the recurrent kernels), so one cap holds for a whole call, however deep.
    public static var availableThreads: Int {
        var threads = threadCount
        if let limit = threadLimit { threads = Swift.min(threads, limit) }
        if threads > 1 && Contention.isContended { threads = 1 }
        return threads
    }

    /// The cap of the innermost `withThreadLimit` on this thread; nil outside one.
    public static var threadLimit: Int? {
        let raw = Int(bitPattern: pthread_getspecific(ThreadLimitKey.key))
        return raw > 0 ? raw : nil
    }

    /// Runs `body` with the library's parallel work capped at `limit` threads (at least 1) on this thread:
    /// a server gives each batch its share of the cores this way. Nested calls can only lower the cap.
    ///
    /// - Parameters:
    ///   - limit: the most threads, ≥ 1 (smaller values count as 1).
    ///   - body: runs on the calling thread.
    public static func withThreadLimit<T>(_ limit: Int, _ body: () throws -> T) rethrows -> T {
        let previous = threadLimit
        let cap = Swift.max(1, Swift.min(limit, previous ?? Int.max))
        pthread_setspecific(ThreadLimitKey.key, UnsafeRawPointer(bitPattern: cap))
        defer { pthread_setspecific(ThreadLimitKey.key, previous.flatMap { UnsafeRawPointer(bitPattern: $0) }) }
        return try body()
    }
}

/// The per-thread slot of `Parallel.withThreadLimit`'s cap (0 / nil: none).
private enum ThreadLimitKey {
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "Parallel: no thread-local key for thread limits")
        return key
    }()
}

/// Notices when the machine has fewer free cores than the library's threads, and makes parallel calls run
/// on one thread for a while.
///
/// A step-synchronous loop (`ThreadTeam`, one barrier per time step) is only as fast as its slowest rank:
/// when another process takes a core, a rank is descheduled for a whole time slice (milliseconds) while
/// the step it holds up takes microseconds, and every step waits for it. So a barrier wait far longer than
/// any step (`stallNanoseconds`) is taken as proof of oversubscription: for the next `backoffNanoseconds`,
/// `Parallel.availableThreads` is 1 — no team, no split, and the idle workers go to sleep instead of
/// spinning. Then the threads are tried again. Set `RECURRENT_ADAPTIVE_THREADS=0` to turn this off.
public enum Contention {
    /// A barrier wait longer than this is a stall (a step of our layers is microseconds).
    static let stallNanoseconds: UInt64 = 1_000_000
    /// How long a stall makes calls run on one thread.
    static let backoffNanoseconds: UInt64 = 500_000_000

    /// Whether stalls are acted on (`RECURRENT_ADAPTIVE_THREADS`, on unless `0`).
    public static let isEnabled: Bool = ProcessInfo.processInfo.environment["RECURRENT_ADAPTIVE_THREADS"] != "0"

    private static let lastStall = AtomicWord(-1)
    private static let stalls = AtomicWord(0)

    /// Whether a stall was seen in the last `backoffNanoseconds`.
    public static var isContended: Bool {
        let last = lastStall.value
        guard last >= 0 else { return false }
        return DispatchTime.now().uptimeNanoseconds &- UInt64(last) < backoffNanoseconds
    }

    /// Stalls seen since the process started (diagnostics and tests).
    public static var stallCount: Int { stalls.value }

    /// Records a stall now (the barrier calls this).
    static func reportStall() {
        stalls.fetchAdd(1)
        guard isEnabled else { return }
        lastStall.store(Int(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds))
    }

    /// Forgets the last stall (tests).
    static func reset() { lastStall.store(-1) }
}
