import Foundation

/// A fixed-size, zero-initialized block of floats owned by a class, for workspaces and for what a
/// forward pass keeps for its backward pass. Freed when the last reference goes — large ones into
/// `FloatBufferPool`, for the next call of the same shape.
final class FloatBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    /// A buffer of `count` floats, zeroed unless `zeroed` is false (for buffers that are fully written
    /// before they are read, such as a GEMM's output with β = 0).
    init(count: Int, zeroed: Bool = true) {
        self.count = count
        pointer = FloatBufferPool.shared.take(count: Swift.max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: Swift.max(count, 1)) }
    }

    init(copying source: UnsafePointer<Float>, count: Int) {
        self.count = count
        pointer = FloatBufferPool.shared.take(count: Swift.max(count, 1))
        pointer.initialize(from: source, count: count)
    }

    deinit { FloatBufferPool.shared.give(pointer, count: Swift.max(count, 1)) }

    subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    /// Copies the buffer into an array.
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// Keeps freed large `FloatBuffer` blocks for reuse by the next buffer of the same size.
///
/// A training step allocates the same large workspaces every time (a layer's gate tape is steps × batch ×
/// gates × hidden floats: 32 MB for the language model's window). Blocks that large are above glibc's
/// mmap threshold, so each would be mapped fresh and its pages faulted in and zeroed by the kernel on
/// every step — 7% of a language-model training step, measured with perf. Blocks of at least
/// `minimumCount` floats are kept instead, up to `capacityBytes` in all (the oldest freed first when full).
/// Thread-safe: buffers are freed on worker threads too.
final class FloatBufferPool: @unchecked Sendable {
    static let shared = FloatBufferPool()

    /// The smallest block kept, in floats (1 MiB): smaller ones are served well by malloc.
    let minimumCount = 1 << 18
    /// The most bytes of free blocks kept.
    let capacityBytes = 512 << 20

    private let lock = NSLock()
    private var free: [(count: Int, pointer: UnsafeMutablePointer<Float>)] = []
    private var freeBytes = 0

    /// An uninitialized block of `count` floats: a kept one of exactly that size, or a new one.
    func take(count: Int) -> UnsafeMutablePointer<Float> {
        if count >= minimumCount {
            lock.lock()
            if let index = free.lastIndex(where: { $0.count == count }) {
                let block = free.remove(at: index)
                freeBytes -= count * MemoryLayout<Float>.stride
                lock.unlock()
                return block.pointer
            }
            lock.unlock()
        }
        return .allocate(capacity: count)
    }

    /// Takes back a block from `take(count:)`: kept when large, else freed.
    func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let bytes = count * MemoryLayout<Float>.stride
        guard count >= minimumCount, bytes <= capacityBytes else {
            pointer.deallocate()
            return
        }
        var evicted: [UnsafeMutablePointer<Float>] = []
        lock.lock()
        while freeBytes + bytes > capacityBytes, !free.isEmpty {
            let oldest = free.removeFirst()
            freeBytes -= oldest.count * MemoryLayout<Float>.stride
            evicted.append(oldest.pointer)
        }
        free.append((count, pointer))
        freeBytes += bytes
        lock.unlock()
        for block in evicted { block.deallocate() }
    }
}
