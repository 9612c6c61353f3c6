// Ways to make tensors: constants, ranges and random values.

extension Tensor {
    /// A tensor of `shape` filled with `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        Tensor(shape: shape, scalars: [Float](repeating: value, count: Shape.count(shape)))
    }

    /// A tensor of `shape` filled with zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }

    /// A tensor of `shape` filled with ones.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    /// `[start, start + step, …]` below `end`: shape `[count]`.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange: step must not be zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor([Float]((0..<n).map { start + Float($0) * step }))
    }

    /// Values drawn uniformly from `[low, high)`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, using generator: inout Xoshiro256StarStar) -> Tensor {
        let width = high - low
        return Tensor(shape: shape, scalars: (0..<Shape.count(shape)).map { _ in low + width * generator.nextFloat() })
    }

    /// Values drawn from a normal distribution.
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using generator: inout Xoshiro256StarStar) -> Tensor {
        Tensor(shape: shape, scalars: (0..<Shape.count(shape)).map { _ in mean + standardDeviation * generator.nextNormal() })
    }
}
