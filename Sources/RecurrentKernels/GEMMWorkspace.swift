/// A scratch buffer that one thread reuses across many products, so a loop of products (one per time
/// step) allocates once instead of once per product. Not for sharing between threads.
public final class GEMMWorkspace {
    private var storage: UnsafeMutablePointer<Float>?
    private var capacity = 0

    public init() {}

    deinit { storage?.deallocate() }

    /// At least `count` floats, 64-byte aligned, valid until the next call.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity || storage == nil {
            storage?.deallocate()
            capacity = Swift.max(count, capacity * 2)
            storage = FallbackGEMM.allocateFloats(capacity)
        }
        return storage!
    }
}
