import Foundation
#if canImport(Glibc)
import Glibc
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

    /// Runs `body` over `0..<count` split into at most `threadCount` contiguous chunks.
    ///
    /// - Parameters:
    ///   - count: the number of items.
    ///   - grain: the smallest number of items worth giving a thread of its own.
    ///   - body: called with each chunk's range; chunks never overlap and together cover `0..<count`.
    @inlinable
    public static func forChunks(count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threadCount, max(1, count / max(1, grain)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                body(start..<end)
            }
        }
    }
}
