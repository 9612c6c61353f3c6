import Foundation

extension GEMM {
    private static let threadingLock = NSLock()
    nonisolated(unsafe) private static var singleThreadedDepth = 0

    /// Runs `body` with the BLAS library limited to one thread, so that several of our own threads can
    /// each run their own small products without the library's threads competing with them for cores.
    ///
    /// Nested and concurrent uses are counted: the library's thread count (`Parallel.threadCount`) is
    /// restored when the last one ends. Libraries without `openblas_set_num_threads` are left alone.
    public static func withSingleThreadedBLAS<Result>(_ body: () throws -> Result) rethrows -> Result {
        guard let setThreads = BLASLoader.shared.library?.setThreads else { return try body() }
        threadingLock.lock()
        if singleThreadedDepth == 0 { setThreads(1) }
        singleThreadedDepth += 1
        threadingLock.unlock()
        defer {
            threadingLock.lock()
            singleThreadedDepth -= 1
            if singleThreadedDepth == 0 { setThreads(Int32(Parallel.threadCount)) }
            threadingLock.unlock()
        }
        return try body()
    }
}
