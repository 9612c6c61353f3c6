import RecurrentCore
import RecurrentData

/// A text cut into `batch` parallel streams for stateful training (char-rnn's and `torch_charlm.py`'s
/// recipe): stream `b` is the `b`-th contiguous slice of the text, and window `w` holds steps
/// `w·bptt ..< (w+1)·bptt` of every stream, so the state at the end of one window belongs to the same text
/// as the start of the next. The tail that does not fill a stream is dropped, and a window needs the one
/// character after it (its last target).
///
/// ```swift
/// let streams = try TextStreams(ids: ids, batch: 32, bptt: 128)
/// let (inputs, targets) = streams.window(0)   // [128, 32] each; targets are inputs shifted by one
/// ```
public struct TextStreams: Sendable {
    /// The ids, `[steps, batch]` row-major: row t holds step t of every stream.
    public let columns: [Int]
    /// Parallel streams.
    public let batch: Int
    /// Steps per window.
    public let bptt: Int
    /// Steps per stream.
    public let steps: Int

    /// Cuts `ids` into streams.
    /// - Throws: `ValidationFailure` when the text is too short for one window.
    public init(ids: [Int], batch: Int, bptt: Int) throws(ValidationFailure) {
        try Check.count(batch, "batchSize", in: 1...Limits.maximumBatchSize)
        try Check.count(bptt, "bptt", in: 1...Limits.maximumSequenceLength * 100)
        let steps = ids.count / batch
        try Check.that(steps >= bptt + 1, "the training text",
                       "\(ids.count) characters are too few for \(batch) streams of \(bptt + 1) characters")
        var columns = [Int](repeating: 0, count: steps * batch)
        for b in 0..<batch {
            for t in 0..<steps { columns[t * batch + b] = ids[b * steps + t] }
        }
        (self.columns, self.batch, self.bptt, self.steps) = (columns, batch, bptt, steps)
    }

    /// Windows per pass (an epoch): each needs `bptt + 1` steps from its start.
    public var windowCount: Int { (steps - 1) / bptt }

    /// Characters trained on per window.
    public var charactersPerWindow: Int { bptt * batch }

    /// The inputs and targets of window `w`: `[bptt, batch]` each.
    public func window(_ w: Int) -> (inputs: IntTensor, targets: IntTensor) {
        precondition(w >= 0 && w < windowCount, "TextStreams: window \(w) of \(windowCount)")
        let start = w * bptt * batch, n = bptt * batch
        return (IntTensor(shape: [bptt, batch], scalars: Array(columns[start..<(start + n)])),
                IntTensor(shape: [bptt, batch], scalars: Array(columns[(start + batch)..<(start + batch + n)])))
    }
}
