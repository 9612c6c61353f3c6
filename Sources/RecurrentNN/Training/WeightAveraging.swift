import RecurrentCore

/// Averages the weights of several models of one architecture, key by key ("checkpoint averaging", as in
/// fairseq's `average_checkpoints.py`; with snapshots of one training run this is stochastic weight averaging).
///
/// ```swift
/// let averaged = try WeightAveraging.average([modelA.stateDict(), modelB.stateDict()])
/// try model.load(stateDict: averaged)
/// ```
public enum WeightAveraging {
    /// Why state dicts could not be averaged.
    public enum Failure: Error, CustomStringConvertible, Equatable, Sendable {
        /// Nothing to average.
        case empty
        /// State dict `index` (0-based) lacks `key`, or has it where the first does not.
        case keysDiffer(index: Int, key: String)
        /// `key` has shape `expected` in the first state dict and `found` in state dict `index`.
        case shapeMismatch(index: Int, key: String, expected: [Int], found: [Int])
        /// The weights have a negative or non-finite entry, or do not sum to a positive number.
        case invalidWeights

        public var description: String {
            switch self {
            case .empty: return "no state dicts to average"
            case .keysDiffer(let index, let key): return "state dict \(index + 1) and the first differ at key '\(key)'"
            case .shapeMismatch(let index, let key, let expected, let found):
                return "shape mismatch for '\(key)': the first state dict has \(expected), state dict \(index + 1) has \(found)"
            case .invalidWeights: return "averaging weights must be finite, non-negative and not all zero"
            }
        }
    }

    /// The weighted mean of state dicts, key by key.
    ///
    /// - Parameters:
    ///   - stateDicts: key → tensor; all with the same keys and shapes.
    ///   - weights: one per state dict (normalized to sum to 1); nil for a plain mean.
    /// - Returns: key → tensor of the same shapes, `Σ wₖ·dictₖ[key] / Σ wₖ`.
    /// - Throws: `WeightAveraging.Failure` naming the first offending key (sorted order).
    public static func average(_ stateDicts: [[String: Tensor]], weights: [Double]? = nil) throws(Failure) -> [String: Tensor] {
        guard let first = stateDicts.first else { throw .empty }
        let weights = weights ?? [Double](repeating: 1, count: stateDicts.count)
        let total = weights.reduce(0, +)
        guard weights.count == stateDicts.count, weights.allSatisfy({ $0 >= 0 && $0.isFinite }), total > 0 else {
            throw .invalidWeights
        }
        let keys = first.keys.sorted()
        for (index, dict) in stateDicts.enumerated().dropFirst() {
            if let key = (Set(dict.keys).symmetricDifference(keys)).sorted().first { throw .keysDiffer(index: index, key: key) }
            for key in keys where dict[key]!.shape != first[key]!.shape {
                throw .shapeMismatch(index: index, key: key, expected: first[key]!.shape, found: dict[key]!.shape)
            }
        }
        var result: [String: Tensor] = [:]
        for key in keys {
            var sum = [Double](repeating: 0, count: first[key]!.count)
            for (dict, weight) in zip(stateDicts, weights) {
                let share = weight / total
                dict[key]!.scalars.withUnsafeBufferPointer { values in
                    for i in 0..<values.count { sum[i] += share * Double(values[i]) }
                }
            }
            result[key] = Tensor(shape: first[key]!.shape, scalars: sum.map { Float($0) })
        }
        return result
    }
}
