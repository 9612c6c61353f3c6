import RecurrentCore

/// A pointer that stands in for the storage of an empty tensor (never read).
private let emptyStorage: UnsafeMutablePointer<Float> = {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
}()

/// Calls `body` with a read pointer to the values of each tensor, valid for the duration of the call.
func withValuePointers<Result>(_ tensors: [Tensor], _ body: ([UnsafePointer<Float>]) -> Result) -> Result {
    var pointers: [UnsafePointer<Float>] = []
    pointers.reserveCapacity(tensors.count)
    func nest(_ index: Int) -> Result {
        if index == tensors.count { return body(pointers) }
        return tensors[index].scalars.withUnsafeBufferPointer { buffer in
            pointers.append(buffer.baseAddress ?? UnsafePointer(emptyStorage))
            return nest(index + 1)
        }
    }
    return nest(0)
}

/// A new float array of `count` values that `body` must write in full through a pointer.
func uninitializedValues(count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    // Capacity ≥ 1: with capacity 0 the standard library stores the count into its shared empty-array singleton, a data race (ThreadSanitizer) when threads do it at once.
    [Float](unsafeUninitializedCapacity: Swift.max(count, 1)) { buffer, initialized in
        body(buffer.baseAddress ?? emptyStorage)
        initialized = count
    }
}
