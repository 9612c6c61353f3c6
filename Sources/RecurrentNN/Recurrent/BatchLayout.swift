/// How the valid time steps of a batch of variable-length sequences are laid out for the fused kernels:
/// PyTorch's packed-sequence layout, computed from the lengths alone so callers never pack anything.
///
/// The batch entries are put in order of decreasing length (`order[k]` is the entry in sorted position
/// `k`), so at time `t` the entries still running are the first `activeRows[t]` of that order. The rows of
/// step `t` are stored together from row `rowOffsets[t]` on: row `rowOffsets[t] + k` holds sorted entry `k`
/// at time `t`. Padding takes no rows, so the kernels neither compute nor store anything for it.
///
/// Without lengths (or when every length is the full `T`) the layout is the identity: `rowOffsets[t] = t·B`,
/// every step has all `B` rows, and the packed rows are exactly the rows of a `[T, B, …]` tensor.
struct BatchLayout {
    /// Time steps T and batch entries B.
    let steps: Int, batch: Int
    /// `[B]`: sorted position → batch entry, or nil for the identity.
    let order: [Int]?
    /// `[T]`: entries still running at each time (non-increasing).
    let activeRows: [Int]
    /// `[T + 1]`: the first row of each step; `rowOffsets[T]` is the number of rows.
    let rowOffsets: [Int]

    /// Rows in the packed layout: the sum of the lengths.
    var rows: Int { rowOffsets[steps] }
    /// Whether packed rows are the rows of `[T, B, …]` unchanged.
    var isIdentity: Bool { order == nil }

    /// - Parameters:
    ///   - lengths: `[B]` lengths, each in `1...steps`, in any order; nil when all are `steps`.
    init(steps: Int, batch: Int, lengths: [Int]?) {
        self.steps = steps
        self.batch = batch
        guard let lengths, lengths.contains(where: { $0 != steps }) else {
            order = nil
            activeRows = [Int](repeating: batch, count: steps)
            rowOffsets = (0...steps).map { $0 * batch }
            return
        }
        precondition(lengths.count == batch, "BatchLayout: \(lengths.count) lengths for a batch of \(batch)")
        // Stable, so equal lengths keep their batch order.
        let sorted = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        order = sorted
        var active = [Int](repeating: 0, count: steps)
        for length in lengths { for t in 0..<length { active[t] += 1 } }
        activeRows = active
        var offsets = [0]
        for t in 0..<steps { offsets.append(offsets[t] + active[t]) }
        rowOffsets = offsets
    }

    /// Copies the valid rows of a `[T, B, width]` tensor into packed rows `[rows, width]`.
    func pack(_ source: UnsafePointer<Float>, width: Int, into packed: UnsafeMutablePointer<Float>) {
        for t in 0..<steps {
            for k in 0..<activeRows[t] {
                (packed + (rowOffsets[t] + k) * width).update(from: source + (t * batch + entry(k)) * width, count: width)
            }
        }
    }

    /// Writes packed rows `[rows, width]` back to `[T, B, width]`, with zeros for the padding.
    func unpack(_ packed: UnsafePointer<Float>, width: Int, into target: UnsafeMutablePointer<Float>) {
        for t in 0..<steps {
            let n = activeRows[t]
            for k in 0..<n {
                (target + (t * batch + entry(k)) * width).update(from: packed + (rowOffsets[t] + k) * width, count: width)
            }
            for k in n..<batch { (target + (t * batch + entry(k)) * width).update(repeating: 0, count: width) }
        }
    }

    /// Reorders the rows of a `[B, width]` state into sorted order.
    func sortRows(_ source: UnsafePointer<Float>, width: Int, into target: UnsafeMutablePointer<Float>) {
        for k in 0..<batch { (target + k * width).update(from: source + entry(k) * width, count: width) }
    }

    /// Puts the rows of a sorted `[B, width]` state back in batch order.
    func unsortRows(_ source: UnsafePointer<Float>, width: Int, into target: UnsafeMutablePointer<Float>) {
        for k in 0..<batch { (target + entry(k) * width).update(from: source + k * width, count: width) }
    }

    /// The batch entry in sorted position `k`.
    @inline(__always) func entry(_ k: Int) -> Int { order?[k] ?? k }

    /// Splits the sorted entries into at most `parts` contiguous ranges with about equal numbers of valid
    /// steps (the longest entries come first, so equal counts of entries would not balance the work).
    func balancedSlices(_ parts: Int) -> [Range<Int>] {
        guard parts > 1, batch > 1 else { return [0..<batch] }
        guard !isIdentity else {
            return (0..<parts).map { batch * $0 / parts ..< batch * ($0 + 1) / parts }.filter { !$0.isEmpty }
        }
        // Valid steps of sorted entry k: the number of t with activeRows[t] > k.
        var stepsOf = [Int](repeating: 0, count: batch)
        for t in 0..<steps { for k in 0..<activeRows[t] { stepsOf[k] += 1 } }
        let total = rows
        var slices: [Range<Int>] = [], start = 0, done = 0
        for part in 1..<parts {
            // Take entries while that brings the slices' running total closer to part/parts of the work.
            var end = start
            while end < batch - (parts - part) && abs((done + stepsOf[end]) * parts - total * part) < abs(done * parts - total * part) {
                done += stepsOf[end]
                end += 1
            }
            if end > start { slices.append(start..<end) }
            start = end
        }
        if start < batch { slices.append(start..<batch) }
        return slices
    }
}
