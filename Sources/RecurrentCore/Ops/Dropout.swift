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
        var maskValues = [Float](repeating: 0, count: count)
        for i in 0..<count where generator.nextFloat() >= probability { maskValues[i] = scale }
        let mask = Tensor(unchecked: shape, maskValues)
        return self * mask
    }
}
