import Foundation

// Softmax and log-softmax along an axis, computed stably (subtracting the maximum).

extension Tensor {
    /// `exp(x) / Σ exp(x)` along `axis` (default: the last); same shape as the input.
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "softmax")
        let out = rawSoftmax(alongAxis: a, log: false)
        return Tensor.record("softmax", inputs: [self], output: out) { g, _ in
            // dx = y ⊙ (g − Σ g⊙y)
            let dot = g.zipped(out, *).rawSum(alongAxis: a, keepingDimension: true)
            return [g.broadcastZipped(dot, "softmax", -).zipped(out, *)]
        }
    }

    /// `x − log Σ exp(x)` along `axis` (default: the last); same shape as the input.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "logSoftmax")
        let out = rawSoftmax(alongAxis: a, log: true)
        return Tensor.record("log_softmax", inputs: [self], output: out) { g, _ in
            // dx = g − softmax ⊙ Σ g
            let total = g.rawSum(alongAxis: a, keepingDimension: true)
            let probabilities = out.mapped { Foundation.exp($0) }
            return [g.zipped(probabilities.broadcastZipped(total, "logSoftmax", *), -)]
        }
    }

    func rawSoftmax(alongAxis axis: Int, log: Bool) -> Tensor {
        let (outer, extent, inner) = split3(axis)
        return scalars.withUnsafeBufferPointer { src in
            Tensor.build(shape) { dst in
                for o in 0..<outer {
                    for i in 0..<inner {
                        let base = o * extent * inner + i
                        var m = -Float.infinity  // a fully masked row (all −∞) gives NaN, as in PyTorch
                        for k in 0..<extent { m = Swift.max(m, src[base + k * inner]) }
                        var total: Float = 0
                        for k in 0..<extent {
                            let e = Foundation.exp(src[base + k * inner] - m)
                            dst[base + k * inner] = e
                            total += e
                        }
                        if log {
                            let logTotal = Foundation.log(total) + m
                            for k in 0..<extent { dst[base + k * inner] = src[base + k * inner] - logTotal }
                        } else {
                            let scale = 1 / total
                            for k in 0..<extent { dst[base + k * inner] *= scale }
                        }
                    }
                }
            }
        }
    }
}
