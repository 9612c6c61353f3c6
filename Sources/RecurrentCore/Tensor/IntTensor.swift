/// An n-dimensional array of integers: token ids, labels, lengths and indices.
///
/// Integer tensors are never differentiated; they select and index into `Tensor`s.
public struct IntTensor: Equatable {
    /// The extent of each axis.
    public let shape: [Int]
    /// The values in row-major order.
    public var scalars: [Int]

    /// Makes an integer tensor from row-major values; `scalars.count` must equal the product of `shape`.
    public init(shape: [Int], scalars: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 } && Shape.count(shape) == scalars.count,
                     "IntTensor: shape \(shape) needs \(Shape.count(shape)) values, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A one-dimensional integer tensor `[values.count]`.
    public init(_ values: [Int]) {
        self.init(shape: [values.count], scalars: values)
    }

    /// A two-dimensional integer tensor from equally long rows.
    public init(_ rows: [[Int]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "IntTensor: rows of different lengths")
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// The number of values.
    public var count: Int { scalars.count }

    /// The values converted to a `Tensor` of the same shape.
    public var asFloat: Tensor { Tensor(shape: shape, scalars: scalars.map(Float.init)) }
}
