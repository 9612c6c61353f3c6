import RecurrentCore

/// An n-dimensional array of booleans: the one way masks are passed to the attention layers.
///
/// What `true` means is set by the argument that receives the mask, following PyTorch:
/// `scaledDotProductAttention(mask:)` and `AttentionMask.allowed` take `true` = may attend, while
/// `MultiheadAttention`'s `keyPaddingMask` and `attentionMask` take `true` = ignore / not allowed.
/// `inverted` converts between the two. Masks broadcast like tensors (trailing axes aligned, extent 1 repeats).
public struct BoolMask: Equatable {
    /// The extent of each axis.
    public let shape: [Int]
    /// The values in row-major order; `values.count == shape.reduce(1, *)`.
    public let values: [Bool]

    /// Makes a mask from row-major values; `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Bool]) {
        precondition(shape.allSatisfy { $0 >= 0 } && Shape.count(shape) == values.count,
                     "BoolMask: shape \(shape) needs \(Shape.count(shape)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// A one-dimensional mask `[values.count]`.
    public init(_ values: [Bool]) { self.init(shape: [values.count], values: values) }

    /// A two-dimensional mask `[rows.count, rows[0].count]` from equally long rows.
    public init(_ rows: [[Bool]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "BoolMask: rows of different lengths")
        self.init(shape: [rows.count, columns], values: rows.flatMap { $0 })
    }

    /// A mask shaped like `integers`, true where a value is non-zero (e.g. a uint8 0/1 mask from a file).
    public init(_ integers: IntTensor) {
        self.init(shape: integers.shape, values: integers.scalars.map { $0 != 0 })
    }

    /// A mask shaped like `tensor`, true where a value is non-zero.
    public init(nonZeroOf tensor: Tensor) {
        self.init(shape: tensor.shape, values: tensor.scalars.map { $0 != 0 })
    }

    /// A mask of `shape` with every value `value`.
    public static func full(_ shape: [Int], _ value: Bool) -> BoolMask {
        BoolMask(shape: shape, values: [Bool](repeating: value, count: Shape.count(shape)))
    }

    /// `[lengths.count, keyCount]`: row `b` is true at positions `0..<lengths[b]` (the valid, non-padding
    /// keys) and false after. Lengths outside `0...keyCount` are clamped.
    public static func lengths(_ lengths: [Int], keyCount: Int) -> BoolMask {
        var values = [Bool](repeating: false, count: lengths.count * keyCount)
        for (b, length) in lengths.enumerated() {
            for j in 0..<Swift.min(Swift.max(length, 0), keyCount) { values[b * keyCount + j] = true }
        }
        return BoolMask(shape: [lengths.count, keyCount], values: values)
    }

    /// `[queryCount, keyCount]`, true where key `j ≤` query `i`: PyTorch's `is_causal`
    /// (`torch.ones(Lq, Lk).tril()`, aligned at the top left when the counts differ).
    public static func causal(queryCount: Int, keyCount: Int) -> BoolMask {
        var values = [Bool](repeating: false, count: queryCount * keyCount)
        for i in 0..<queryCount {
            for j in 0..<Swift.min(i + 1, keyCount) { values[i * keyCount + j] = true }
        }
        return BoolMask(shape: [queryCount, keyCount], values: values)
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// Every value negated (turns "true = ignore" into "true = may attend" and back).
    public var inverted: BoolMask { BoolMask(shape: shape, values: values.map { !$0 }) }

    /// The same values with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> BoolMask { BoolMask(shape: newShape, values: values) }

    /// As a float tensor of 0 and 1 (for `Tensor.maskedFill` and arithmetic).
    public var asFloat: Tensor { Tensor(shape: shape, scalars: values.map { $0 ? 1 : 0 }) }

    /// Whether this mask broadcasts to `target` (its trailing axes each equal or 1, and no more axes).
    public func broadcasts(to target: [Int]) -> Bool { Shape.broadcast(shape, target) == target }

    /// The logical AND of two masks, broadcast to their common shape; nil when the shapes are incompatible.
    public func and(_ other: BoolMask) -> BoolMask? {
        guard let target = Shape.broadcast(shape, other.shape) else { return nil }
        let a = expanded(to: target), b = other.expanded(to: target)
        return BoolMask(shape: target, values: zip(a.values, b.values).map { $0 && $1 })
    }

    /// This mask repeated to the larger shape `target` (which it must broadcast to).
    public func expanded(to target: [Int]) -> BoolMask {
        precondition(broadcasts(to: target), "BoolMask: \(shape) does not broadcast to \(target)")
        if shape == target { return self }
        let strides = broadcastStrides(to: target)
        let count = Shape.count(target)
        var result = [Bool](repeating: false, count: count)
        var index = [Int](repeating: 0, count: target.count)
        for flat in 0..<count {
            var offset = 0
            for axis in 0..<target.count { offset += index[axis] * strides[axis] }
            result[flat] = values[offset]
            var axis = target.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < target[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return BoolMask(shape: target, values: result)
    }

    /// Strides for reading this mask as if it had the shape `target` it broadcasts to (0 on repeated axes).
    func broadcastStrides(to target: [Int]) -> [Int] { Self.broadcastStrides(of: shape, to: target) }

    /// Strides for reading row-major values of `shape` as if they had the shape `target` (0 on repeated axes).
    static func broadcastStrides(of shape: [Int], to target: [Int]) -> [Int] {
        let own = Shape.strides(shape)
        let lead = target.count - shape.count
        var result = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count where shape[i] != 1 { result[i + lead] = own[i] }
        return result
    }
}
