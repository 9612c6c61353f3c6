import Foundation
import RecurrentCore
import RecurrentData

/// How to pick the next token from a model's scores.
public struct SamplingOptions: Codable, Equatable, Sendable {
    /// Divides the logits before the softmax: below 1 sharper, above 1 flatter; 0 picks the most likely
    /// token (greedy).
    public var temperature: Float = 1
    /// Draw only among the `topK` most likely tokens (0: all).
    public var topK: Int = 0
    /// Nucleus sampling: draw only among the fewest most likely tokens whose probabilities add up to at
    /// least `topP` (1: all).
    public var topP: Float = 1
    /// Seeds the draws: the same seed, model and prompt give the same text.
    public var seed: UInt64 = 0

    /// The defaults: temperature 1, no top-k or top-p cut, seed 0.
    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        (self.temperature, self.topK, self.topP, self.seed) = (temperature, topK, topP, seed)
    }

    /// The largest temperature accepted.
    public static let maximumTemperature: Double = 100

    /// Checks every option.
    /// - Throws: `ValidationFailure` naming it (`temperature` in 0…100, `topK` in 0…10,000,000, `topP` in (0, 1]).
    public func validate() throws(ValidationFailure) {
        try Check.number(temperature, "temperature", in: 0...Self.maximumTemperature)
        try Check.count(topK, "topK", in: 0...Limits.maximumVocabulary)
        try Check.that(topP.isFinite && topP > 0 && topP <= 1, "topP", "\(topP) is out of range; it must be in (0, 1]")
    }
}

/// Draws tokens from logits under `SamplingOptions`, with its own seeded generator. Greedy and plain
/// draws allocate nothing after the first one; top-k and top-p sort the vocabulary each draw.
///
/// ```swift
/// var sampler = TokenSampler(options: SamplingOptions(temperature: 0.8, topK: 20, seed: 7))
/// let next = logits.withUnsafeBufferPointer { sampler.sample(logits: $0) }
/// ```
public struct TokenSampler {
    /// The options.
    public let options: SamplingOptions
    /// The generator of the draws; copy the sampler to fork it.
    public var generator: Xoshiro256StarStar
    private var probabilities: [Float] = []
    private var order: [Int32] = []

    /// Makes a sampler seeded by `options.seed`.
    public init(options: SamplingOptions) {
        self.options = options
        generator = Xoshiro256StarStar(seed: options.seed)
    }

    /// Picks a token.
    /// - Parameter logits: `[vocabulary]` scores (finite).
    /// - Returns: an index into `logits`.
    public mutating func sample(logits: UnsafeBufferPointer<Float>) -> Int {
        let n = logits.count
        precondition(n > 0, "TokenSampler: no logits")
        if options.temperature == 0 || options.topK == 1 {
            var best = 0
            for i in 1..<n where logits[i] > logits[best] { best = i }
            return best
        }
        if probabilities.count != n {
            probabilities = [Float](repeating: 0, count: n)
            order = (0..<Int32(n)).map { $0 }
        }
        let inverse = 1 / options.temperature
        var maximum = -Float.infinity
        for i in 0..<n { maximum = Swift.max(maximum, logits[i]) }
        var total: Float = 0
        for i in 0..<n {
            let p = Foundation.exp((logits[i] - maximum) * inverse)
            probabilities[i] = p
            total += p
        }
        var candidates = n
        let cuts = (options.topK > 0 && options.topK < n) || options.topP < 1
        if cuts {
            for i in 0..<n { order[i] = Int32(i) }
            let p = probabilities
            // Most likely first; ties by index, so the order (and the draw) is the same everywhere.
            order.sort { p[Int($0)] != p[Int($1)] ? p[Int($0)] > p[Int($1)] : $0 < $1 }
            if options.topK > 0 { candidates = Swift.min(candidates, options.topK) }
            if options.topP < 1 {
                var cumulative: Float = 0
                var kept = 0
                while kept < candidates {
                    cumulative += p[Int(order[kept])] / total
                    kept += 1
                    if cumulative >= options.topP { break }
                }
                candidates = kept
            }
            total = 0
            for k in 0..<candidates { total += probabilities[Int(order[k])] }
        }
        var u = Float(generator.nextDouble()) * total
        if cuts {
            for k in 0..<candidates {
                let i = Int(order[k])
                u -= probabilities[i]
                if u < 0 { return i }
            }
            return Int(order[candidates - 1])
        }
        for i in 0..<n {
            u -= probabilities[i]
            if u < 0 { return i }
        }
        var last = n - 1
        while last > 0 && probabilities[last] == 0 { last -= 1 }
        return last
    }
}
