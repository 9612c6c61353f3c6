/// A fixed-size, zero-initialized block of floats owned by a class, for workspaces and for what a
/// forward pass keeps for its backward pass. Freed when the last reference goes.
final class FloatBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    init(copying source: UnsafePointer<Float>, count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(from: source, count: count)
    }

    deinit { pointer.deallocate() }

    subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    /// Copies the buffer into an array.
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
