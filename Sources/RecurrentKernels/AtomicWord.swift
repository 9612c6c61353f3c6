import CRecurrentKernels

/// One machine word shared between threads, read and written atomically (acquire loads, release stores):
/// the counters the worker pool, the thread team and its barrier spin on.
final class AtomicWord: @unchecked Sendable {
    private let word: UnsafeMutablePointer<Int>

    init(_ value: Int = 0) {
        word = .allocate(capacity: 1)
        word.initialize(to: value)
    }

    deinit { word.deallocate() }

    /// The current value.
    var value: Int { rk_atomic_load(word) }

    /// Replaces the value.
    func store(_ value: Int) { rk_atomic_store(word, value) }

    /// Adds `delta` and returns the value before.
    @discardableResult
    func fetchAdd(_ delta: Int) -> Int { rk_atomic_fetch_add(word, delta) }
}
