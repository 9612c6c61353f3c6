import RecurrentKernels

/// An n-dimensional array of `Float` values, row-major, with value semantics and optional gradients.
///
/// Copies share storage until one of them is written (copy-on-write through Swift's `Array`).
/// A tensor that takes part in differentiation carries a reference to its node on the gradient tape;
/// copies of a tensor share that node, so `parameter.grad` is visible through every copy, as in PyTorch.
///
/// ```swift
/// var w = Tensor.normal([3, 4], using: &rng).requiringGradient()
/// let y = (x.matmul(w.transposed())).tanh().sum()
/// y.backward()
/// print(w.grad!.shape)  // [3, 4]
/// ```
public struct Tensor {
    /// The extent of each axis; `[]` for a scalar.
    public private(set) var shape: [Int]
    /// The values in row-major order; `scalars.count == shape.reduce(1, *)`.
    public internal(set) var scalars: [Float]
    /// This tensor's node on the gradient tape, or nil when it takes no part in differentiation.
    public internal(set) var gradNode: GradNode?

    /// Makes a tensor from row-major values.
    ///
    /// - Parameters:
    ///   - shape: the extent of each axis; every entry ≥ 0.
    ///   - scalars: `shape.reduce(1, *)` values in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(Shape.count(shape) == scalars.count,
                     "Tensor: shape \(shape) needs \(Shape.count(shape)) values, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
        self.gradNode = nil
    }

    /// Makes a one-dimensional tensor `[values.count]`.
    public init(_ values: [Float]) {
        self.init(shape: [values.count], scalars: values)
    }

    /// Makes a two-dimensional tensor `[rows.count, rows[0].count]` from equally long rows.
    public init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "Tensor: rows of different lengths")
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// Makes a scalar (zero-dimensional) tensor.
    public init(scalar: Float) {
        self.init(shape: [], scalars: [scalar])
    }

    /// Internal initializer that skips validation (callers guarantee the count).
    @usableFromInline
    init(unchecked shape: [Int], _ scalars: [Float]) {
        self.shape = shape
        self.scalars = scalars
        self.gradNode = nil
    }

    /// The number of axes.
    public var rank: Int { shape.count }
    /// The number of values.
    public var count: Int { scalars.count }

    /// The single value of a tensor with one element (any shape whose product is 1).
    public var item: Float {
        precondition(scalars.count == 1, "Tensor.item: tensor of shape \(shape) has \(scalars.count) values")
        return scalars[0]
    }

    /// The value at a full multi-index, e.g. `t[1, 2]` for a matrix.
    public subscript(indices: Int...) -> Float {
        get { scalars[Shape.offset(of: indices, in: shape)] }
        set {
            precondition(gradNode == nil || gradNode!.isLeaf, "Tensor: cannot write into a tensor computed on the tape")
            scalars[Shape.offset(of: indices, in: shape)] = newValue
        }
    }

    /// The values as nested arrays are awkward in Swift; this gives a 2-D tensor's rows.
    public var rows: [[Float]] {
        precondition(rank == 2, "Tensor.rows: needs a matrix, got shape \(shape)")
        let columns = shape[1]
        return (0..<shape[0]).map { Array(scalars[$0 * columns ..< ($0 + 1) * columns]) }
    }
}

extension Tensor: CustomStringConvertible {
    /// A short description: shape and up to the first eight values.
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        let more = scalars.count > 8 ? ", …" : ""
        return "Tensor(shape: \(shape), [\(shown)\(more)])"
    }
}

extension Tensor {
    /// Whether two tensors have the same shape and every pair of values satisfies
    /// `|a − b| ≤ absoluteTolerance + relativeTolerance · |b|` (NaNs never match).
    public func isApproximatelyEqual(to other: Tensor, relativeTolerance: Float = 1e-5, absoluteTolerance: Float = 1e-6) -> Bool {
        guard shape == other.shape else { return false }
        return maxViolation(other, relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance) <= 0
    }

    /// The largest `|a − b| − (absoluteTolerance + relativeTolerance · |b|)` over all value pairs, or
    /// `.infinity` when a value is NaN; ≤ 0 means every pair is within tolerance.
    public func maxViolation(_ other: Tensor, relativeTolerance: Float, absoluteTolerance: Float) -> Float {
        precondition(shape == other.shape, "maxViolation: shapes \(shape) and \(other.shape) differ")
        var worst = -Float.infinity
        for i in 0..<scalars.count {
            let a = scalars[i], b = other.scalars[i]
            if a.isNaN || b.isNaN { return .infinity }
            worst = Swift.max(worst, Swift.abs(a - b) - (absoluteTolerance + relativeTolerance * Swift.abs(b)))
        }
        return worst
    }

    /// The largest absolute difference between two same-shaped tensors.
    public func maxAbsoluteDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "maxAbsoluteDifference: shapes \(shape) and \(other.shape) differ")
        var worst: Float = 0
        for i in 0..<scalars.count {
            let d = Swift.abs(scalars[i] - other.scalars[i])
            if d.isNaN { return .nan }
            worst = Swift.max(worst, d)
        }
        return worst
    }
}
