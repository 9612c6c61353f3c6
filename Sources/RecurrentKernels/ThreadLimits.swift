import CRecurrentKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Parallel {
    /// The threads a parallel call made now, on this thread, may use (≥ 1): `threadCount`, capped by the
    /// innermost `withThreadLimit`.
    ///
    /// Every splitting decision of the library reads this (`forChunks`, `ThreadTeam.run`, the GEMM split,
    /// the recurrent kernels), so one cap holds for a whole call, however deep.
    public static var availableThreads: Int {
        var threads = threadCount
        if let limit = threadLimit { threads = Swift.min(threads, limit) }
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
