import RecurrentCore

/// Which encoder positions each query of an `Attention` layer may attend: any combination of key
/// lengths (padding), a causal bound and a boolean mask. A key must be allowed by every part given.
///
/// ```swift
/// let context = try attention(decoderState: s, encoderStates: h, mask: .lengths([5, 3]))
/// let both = AttentionMask.lengths([5, 3]).combined(with: .causal)
/// ```
public struct AttentionMask {
    /// `[batch]` valid key counts: positions `≥ keyLengths[b]` of batch entry `b` are padding. Nil for none.
    public var keyLengths: [Int]?
    /// Query `i` may attend only keys `j ≤ i` (top-left aligned, as PyTorch's `is_causal`). Meant for a
    /// sequence of queries over the same positions; a single decoder state is query 0 (key 0 only).
    public var isCausal: Bool
    /// True = may attend. Broadcastable to the weights: `[batch, Lk]` for a single decoder state
    /// `[batch, dq]`, `[batch, Lq, Lk]` for a sequence `[batch, Lq, dq]`. Nil for none.
    public var allowed: BoolMask?

    /// Makes a mask from its parts (the default allows everything).
    public init(keyLengths: [Int]? = nil, isCausal: Bool = false, allowed: BoolMask? = nil) {
        self.keyLengths = keyLengths
        self.isCausal = isCausal
        self.allowed = allowed
    }

    /// No mask: every key may be attended.
    public static var none: AttentionMask { AttentionMask() }
    /// Padding: batch entry `b` may attend keys `0..<lengths[b]` (each length in `0...Lk`).
    public static func lengths(_ lengths: [Int]) -> AttentionMask { AttentionMask(keyLengths: lengths) }
    /// Causal: query `i` may attend keys `j ≤ i`.
    public static var causal: AttentionMask { AttentionMask(isCausal: true) }
    /// A boolean mask, true = may attend (see `allowed` for its shape).
    public static func allowed(_ mask: BoolMask) -> AttentionMask { AttentionMask(allowed: mask) }

    /// Both masks at once: a key is allowed when both allow it.
    ///
    /// When both have key lengths (equally many), the shorter length of each entry wins; when both have
    /// boolean masks, they are combined with AND (they must broadcast together).
    public func combined(with other: AttentionMask) -> AttentionMask {
        var result = AttentionMask(isCausal: isCausal || other.isCausal)
        switch (keyLengths, other.keyLengths) {
        case let (a?, b?):
            precondition(a.count == b.count, "AttentionMask.combined: \(a.count) and \(b.count) key lengths")
            result.keyLengths = zip(a, b).map { Swift.min($0, $1) }
        case let (a, b): result.keyLengths = a ?? b
        }
        switch (allowed, other.allowed) {
        case let (a?, b?):
            guard let both = a.and(b) else { preconditionFailure("AttentionMask.combined: masks \(a.shape) and \(b.shape) do not broadcast") }
            result.allowed = both
        case let (a, b): result.allowed = a ?? b
        }
        return result
    }

    /// The boolean part and the lengths as one "may attend" mask broadcastable to `[batch, Lq, Lk]`
    /// (nil when neither is given); the causal bound stays separate.
    ///
    /// - Parameter singleQuery: the query was one decoder state `[batch, dq]` (masks are then `[batch, Lk]`).
    /// - Throws: `AttentionError` for lengths of the wrong count or range, or a mask of the wrong shape.
    func resolved(batch: Int, queries: Int, keys: Int, singleQuery: Bool) throws -> BoolMask? {
        var result: BoolMask? = nil
        if let keyLengths {
            guard keyLengths.count == batch else { throw AttentionError.lengthsCount(expected: batch, found: keyLengths.count) }
            for (i, length) in keyLengths.enumerated() where length < 0 || length > keys {
                throw AttentionError.lengthOutOfRange(index: i, length: length, keyCount: keys)
            }
            result = BoolMask.lengths(keyLengths, keyCount: keys).reshaped([batch, 1, keys])
        }
        if let allowed {
            let expected = singleQuery ? [batch, keys] : [batch, queries, keys]
            guard allowed.broadcasts(to: expected) else { throw AttentionError.maskShape(name: "mask", found: allowed.shape, target: expected) }
            // A single query's mask [batch, Lk] gains the query axis: [batch, 1, Lk].
            let shaped = singleQuery ? allowed.expanded(to: expected).reshaped([batch, 1, keys]) : allowed
            result = result.map { $0.and(shaped)! } ?? shaped
        }
        return result
    }
}
