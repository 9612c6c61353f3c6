// Inverted dropout: zero each value with probability p and scale the rest by 1/(1 − p).

extension Tensor {
    /// Dropout during training; the identity when `training` is false or `probability` is 0.
    ///
    /// - Parameters:
    ///   - probability: the chance of zeroing each value, in `0..<1`… or exactly 1 (all zeros).
    ///   - training: apply dropout only when true.
    ///   - generator: the source of the mask, so a seed gives the same mask everywhere.
    /// - Returns: the same shape as the input.
    public func dropout(probability: Float, training: Bool, using generator: inout Xoshiro256StarStar) -> Tensor {
        precondition(probability >= 0 && probability <= 1, "dropout: probability \(probability) is not in [0, 1]")
        guard training, probability > 0 else { return self }
        let keep = 1 - probability
        let scale: Float = keep > 0 ? 1 / keep : 0
        // Two 24-bit uniform draws per 64-bit random number (bits 40–63 and 8–31), compared as integers:
        // `u / 2²⁴ >= p` exactly when `u >= ⌈p · 2²⁴⌉`. Branch-free, so random masks cost no mispredictions.
        let threshold = UInt64((Double(probability) * 16_777_216).rounded(.up))
        let n = count
        // Capacity ≥ 1: with capacity 0 the standard library stores the count into its shared empty-array singleton, a data race (ThreadSanitizer) when threads do it at once.
        let maskValues = [Float](unsafeUninitializedCapacity: Swift.max(n, 1)) { buffer, initialized in
            var i = 0
            while i + 1 < n {
                let r = generator.next()
                buffer[i] = r >> 40 >= threshold ? scale : 0
                buffer[i + 1] = (r >> 8) & 0xFF_FFFF >= threshold ? scale : 0
                i += 2
            }
            if i < n { buffer[i] = generator.next() >> 40 >= threshold ? scale : 0 }
            initialized = n
        }
        let mask = Tensor(unchecked: shape, maskValues)
        return self * mask
    }
}
