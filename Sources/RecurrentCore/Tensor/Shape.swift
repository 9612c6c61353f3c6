/// Shape arithmetic shared by the tensor operations: element counts, strides, broadcasting, axes.
public enum Shape {
    /// The number of elements of a shape (1 for a scalar `[]`).
    @inlinable
    public static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape { n *= d }
        return n
    }

    /// Row-major strides: `strides[i]` is how far apart consecutive indices of axis `i` are.
    @inlinable
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = step
            step *= shape[i]
        }
        return strides
    }

    /// The flat offset of a full multi-index.
    public static func offset(of indices: [Int], in shape: [Int]) -> Int {
        precondition(indices.count == shape.count, "index \(indices) has \(indices.count) axes; shape \(shape) has \(shape.count)")
        var offset = 0
        for (axis, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[axis], "index \(indices) out of range for shape \(shape)")
            offset = offset * shape[axis] + index
        }
        return offset
    }

    /// Resolves a possibly negative axis (`-1` = last) against a rank, trapping with a clear message
    /// when it is out of range.
    @inlinable
    public static func axis(_ axis: Int, rank: Int, _ op: String) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < max(rank, 1), "\(op): axis \(axis) out of range for rank \(rank)")
        return resolved
    }

    /// The broadcast of two shapes (NumPy/PyTorch rules: align trailing axes; each pair equal or 1),
    /// or nil when they are incompatible.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { result[i] = da }
            else if da == 1 { result[i] = db }
            else { return nil }
        }
        return result
    }

    /// Strides for reading a tensor of `shape` as if it had the (broadcast) shape `target`:
    /// broadcast axes get stride 0.
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let lead = target.count - shape.count
        var result = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count where shape[i] != 1 || target[i + lead] == 1 {
            result[i + lead] = shape[i] == 1 ? 0 : own[i]
        }
        return result
    }
}
