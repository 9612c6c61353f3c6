import Foundation

/// The random number generator of Recurrent: xoshiro256** (Blackman & Vigna), seeded through SplitMix64.
///
/// The sequence depends only on the seed — not on the platform, the thread count or the run — so a seed
/// gives the same initial weights and dropout masks everywhere. Floats are drawn from the top 24 bits
/// (uniform on `[0, 1)` in steps of 2⁻²⁴); normals use the Box–Muller transform in Double.
public struct Xoshiro256StarStar: RandomNumberGenerator {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Seeds the four words of state from `seed` with SplitMix64 (never all zero).
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The four 64-bit words of state, `[s0, s1, s2, s3]`: save them (e.g. in a checkpoint) and pass them to
    /// `init(state:)` to continue the exact same sequence.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// Restores a generator saved with `state`; nil unless `state` is exactly four words, not all zero (the
    /// all-zero state is the one xoshiro cannot leave).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3]
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform Float in `[0, 1)`.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in `[0, 1)`.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal sample (mean 0, standard deviation 1).
    public mutating func nextNormal() -> Float {
        // Box–Muller; 1 − u keeps the logarithm finite.
        let u1 = 1 - nextDouble(), u2 = nextDouble()
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
}
