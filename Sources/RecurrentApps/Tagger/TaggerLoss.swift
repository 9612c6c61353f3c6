import Foundation
import RecurrentCore

// The tagger's loss as one fused tape node. (A general `crossEntropy` is coming to RecurrentNN; this stays
// the tagger's own until the two are unified.)

extension Tensor {
    /// The mean negative log-likelihood of `targets` under `softmax(self)` over the rows whose target is not
    /// negative (PyTorch's `cross_entropy(logits, targets, ignore_index=-1)`), as one tape node.
    ///
    /// - Parameters:
    ///   - targets: `[rows]` class ids in `0..<classes`, or a negative value for rows to ignore (padding).
    /// - Returns: a scalar; 0 when every row is ignored. The gradient of a row is `(softmax − one-hot) / N`.
    /// - Precondition: `self` is `[..., classes]` with `rows` rows in all.
    func taggerCrossEntropy(targets: [Int]) -> Tensor {
        let classes = shape[rank - 1]
        let rows = count / Swift.max(classes, 1)
        precondition(targets.count == rows, "taggerCrossEntropy: \(targets.count) targets for \(rows) rows")
        let used = targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        // Softmax of every used row, kept for the backward pass.
        var probabilities = [Float](repeating: 0, count: count)
        var total: Double = 0
        scalars.withUnsafeBufferPointer { x in
            probabilities.withUnsafeMutableBufferPointer { p in
                for r in 0..<rows where targets[r] >= 0 {
                    precondition(targets[r] < classes, "taggerCrossEntropy: target \(targets[r]) ≥ \(classes) classes")
                    let base = r * classes
                    var m = -Float.infinity
                    for k in 0..<classes { m = Swift.max(m, x[base + k]) }
                    var sum: Float = 0
                    for k in 0..<classes {
                        let e = Foundation.exp(x[base + k] - m)
                        p[base + k] = e
                        sum += e
                    }
                    let inverse = 1 / sum
                    for k in 0..<classes { p[base + k] *= inverse }
                    total += Double(Foundation.log(sum) + m - x[base + targets[r]])
                }
            }
        }
        let scale: Float = used > 0 ? 1 / Float(used) : 0
        let loss = Tensor(scalar: Float(total) * scale)
        let inputShape = shape
        return Tensor.record("tagger_cross_entropy", inputs: [self], output: loss) { g, _ in
            let factor = g.item * scale
            var grad = probabilities
            for r in 0..<rows {
                let base = r * classes
                if targets[r] >= 0 {
                    for k in 0..<classes { grad[base + k] *= factor }
                    grad[base + targets[r]] -= factor
                }
            }
            return [Tensor(shape: inputShape, scalars: grad)]
        }
    }
}
