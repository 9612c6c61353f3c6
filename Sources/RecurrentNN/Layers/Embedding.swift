import RecurrentCore
import RecurrentData

/// PyTorch's `nn.Embedding`: a table of vectors looked up by id, key `weight` `[count, dimension]`,
/// initialized from N(0, 1) as PyTorch does. With `paddingIndex`, that row starts at zero and never
/// receives a gradient (the lookup still returns whatever the row holds, as PyTorch's does).
public final class Embedding: Module {
    /// `[count, dimension]`.
    public let weight: Parameter
    /// The id whose row is not trained, or nil.
    public let paddingIndex: Int?

    /// Makes a table.
    /// - Parameters:
    ///   - count: ids `0..<count`, 1…`Limits.maximumVocabulary`.
    ///   - dimension: vector size, 1…`Limits.maximumWidth`.
    ///   - paddingIndex: an id in `0..<count`, or nil.
    ///   - seed: seeds the initialization.
    /// - Throws: `LayerError.configuration` for sizes out of range.
    public init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil, seed: UInt64 = 0) throws {
        do {
            try Check.count(count, "count", in: 1...Limits.maximumVocabulary)
            try Check.count(dimension, "dimension", in: 1...Limits.maximumWidth)
            try Check.parameterCount(Double(count) * Double(dimension), "Embedding")
            if let paddingIndex { try Check.count(paddingIndex, "paddingIndex", in: 0...(count - 1)) }
        } catch {
            throw LayerError.configuration(layer: "Embedding", reason: error.description)
        }
        var generator = Xoshiro256StarStar(seed: seed)
        var table = Tensor.normal([count, dimension], using: &generator).scalars
        if let paddingIndex { for j in 0..<dimension { table[paddingIndex * dimension + j] = 0 } }
        weight = Parameter(Tensor(shape: [count, dimension], scalars: table))
        self.paddingIndex = paddingIndex
    }

    /// Ids `0..<count`.
    public var count: Int { weight.shape[0] }
    /// Vector size.
    public var dimension: Int { weight.shape[1] }

    public var namedParameters: [(key: String, parameter: Parameter)] { [("weight", weight)] }

    /// Looks ids up.
    /// - Parameter ids: any shape `[...]`, each in `0..<count`.
    /// - Returns: `[..., dimension]`.
    /// - Throws: `LayerError.input` naming the first id out of range.
    public func callAsFunction(_ ids: IntTensor) throws -> Tensor {
        if let index = ids.scalars.firstIndex(where: { $0 < 0 || $0 >= count }) {
            throw LayerError.input(layer: "Embedding", reason: "id \(ids.scalars[index]) at position \(index) is not in 0..<\(count)")
        }
        let gathered = Tensor.embedding(weight.value, ids: ids)
        guard let paddingIndex, ids.scalars.contains(paddingIndex) else { return gathered }
        // The padding row's lookups pass their value on but no gradient back.
        let keep = Tensor(shape: ids.shape + [1], scalars: ids.scalars.map { $0 == paddingIndex ? 0 : 1 })
        return Tensor.record("embedding_padding", inputs: [gathered], output: gathered.detached()) { upstream, _ in
            [upstream * keep]
        }
    }
}
