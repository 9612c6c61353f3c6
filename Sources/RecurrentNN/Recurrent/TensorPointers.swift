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

/// A new float array of `count` zeros, filled by `body` through a pointer.
func makeValues(count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { buffer in body(buffer.baseAddress ?? emptyStorage) }
    return values
}
