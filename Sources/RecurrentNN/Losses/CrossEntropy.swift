import Foundation
import RecurrentCore

/// The cross-entropy loss between logits and class indices, averaged over the targets that are not
/// ignored: `torch.nn.functional.cross_entropy` with `reduction='mean'` and no class weights.
///
/// With `p = softmax(logits row)` and `ε = labelSmoothing`, a row with target `t` costs
/// `(1 − ε)·(−log p_t) + ε·(1/C)·Σ_c (−log p_c)`; rows whose target is `ignoreIndex` cost nothing and are
/// not counted. One fused node of the tape: the gradient is `(p − (1 − ε)·onehot(t) − ε/C) / count` on
/// counted rows, 0 on ignored ones.
///
/// When every target is ignored the loss is NaN (0/0) and the gradient is zero, as in PyTorch.
///
/// - Parameters:
///   - logits: `[N, C]` unnormalized scores; or `[..., C]` (e.g. `[batch, seq, C]`), flattened to
///     `[N, C]` — the class axis is the last one (PyTorch puts it at axis 1 for higher ranks).
///   - targets: `[N]` class indices in `0..<C` or `ignoreIndex`; for `[..., C]` logits, shaped `[...]`.
///   - ignoreIndex: the target value that marks a row to skip (PyTorch's default −100).
///   - labelSmoothing: `ε` in `[0, 1]`.
/// - Returns: the mean loss, a scalar `[]`.
/// - Throws: `LossError` when the shapes disagree, a target is out of range, or `ε` is outside `[0, 1]`.
public func crossEntropy(logits: Tensor, targets: IntTensor, ignoreIndex: Int = -100, labelSmoothing: Float = 0) throws -> Tensor {
    guard logits.rank >= 1, let classes = logits.shape.last, classes > 0 else {
        throw LossError.shape(name: "logits", expected: "[N, C] with C > 0", found: logits.shape)
    }
    let rowShape = Array(logits.shape.dropLast())
    guard targets.shape == rowShape || (logits.rank == 1 && targets.shape == [1]) else {
        throw LossError.shape(name: "targets", expected: "\(rowShape) (the logits' shape without the class axis)", found: targets.shape)
    }
    guard labelSmoothing >= 0 && labelSmoothing <= 1 else { throw LossError.labelSmoothing(labelSmoothing) }
    for (i, t) in targets.scalars.enumerated() where t != ignoreIndex && (t < 0 || t >= classes) {
        throw LossError.targetOutOfRange(index: i, target: t, classCount: classes)
    }
    let rows = targets.count
    let epsilon = Double(labelSmoothing)
    // Forward: per row log-sum-exp, then the two parts of the loss (accumulated in Double).
    var logSumExps = [Float](repeating: 0, count: rows)
    var nll = 0.0, smooth = 0.0
    var counted = 0
    logits.scalars.withUnsafeBufferPointer { x in
        for r in 0..<rows where targets.scalars[r] != ignoreIndex {
            let row = x.baseAddress! + r * classes
            var best = -Float.infinity
            for c in 0..<classes { best = Swift.max(best, row[c]) }
            var total = 0.0, rowSum = 0.0
            for c in 0..<classes {
                total += Foundation.exp(Double(row[c] - best))
                rowSum += Double(row[c])
            }
            let logSumExp = Foundation.log(total) + Double(best)
            logSumExps[r] = Float(logSumExp)
            nll += logSumExp - Double(row[targets.scalars[r]])
            smooth += Double(classes) * logSumExp - rowSum
            counted += 1
        }
    }
    let loss = ((1 - epsilon) * nll + epsilon * smooth / Double(classes)) / Double(counted)
    let shape = logits.shape
    return Tensor.record("cross_entropy", inputs: [logits], output: Tensor(scalar: Float(loss))) { upstream, _ in
        var grad = [Float](repeating: 0, count: rows * classes)
        guard counted > 0 else { return [Tensor(shape: shape, scalars: grad)] }
        let g = upstream.scalars[0] / Float(counted)
        let hit = Float(1 - epsilon), spread = Float(epsilon / Double(classes))
        logits.scalars.withUnsafeBufferPointer { x in
            for r in 0..<rows where targets.scalars[r] != ignoreIndex {
                let offset = r * classes, logSumExp = logSumExps[r]
                for c in 0..<classes { grad[offset + c] = g * (Foundation.exp(x[offset + c] - logSumExp) - spread) }
                grad[offset + targets.scalars[r]] -= g * hit
            }
        }
        return [Tensor(shape: shape, scalars: grad)]
    }
}
