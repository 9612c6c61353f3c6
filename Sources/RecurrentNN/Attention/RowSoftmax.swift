// Vectorized row kernels shared by the attention layers: a fast `exp` on SIMD lanes and the masked,
// NaN-free softmax of one row of scores (forward and backward).

/// Lanes processed at once by the row kernels.
typealias FloatLanes = SIMD8<Float>

enum RowSoftmax {
    /// Below this, `exp` returns exactly 0 (the true value is under 1e-38, so a softmax never notices).
    static let underflow: Float = -87.3

    /// `exp(x)` on every lane, for `x ≤ 88.7` (the softmax calls it on `x − max ≤ 0`): Cody–Waite reduction
    /// `x = n·ln2 + r`, a degree-6 polynomial for `eʳ` (Cephes `expf`), and `2ⁿ` through the exponent bits.
    /// Relative error about 2 float ulps. Lanes below `underflow` (including −∞) give exactly 0; NaN stays NaN.
    @inline(__always)
    static func exp(_ x: FloatLanes) -> FloatLanes {
        // Round x·log2(e) to the nearest integer n with the 1.5·2²³ trick: adding it leaves n in the low bits.
        let magic = FloatLanes(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = FloatLanes(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let er = p * (r * r) + r + 1
        // 2ⁿ: the integer n sits in the low mantissa bits of `shifted` (bits of 1.5·2²³ are 0x4B40_0000).
        // Below `underflow` the exponent would wrap; those lanes are replaced by 0.
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self)
        let scale = unsafeBitCast((bits &+ (127 &- 0x4B40_0000)) &<< 23, to: FloatLanes.self)
        return (er * scale).replacing(with: 0, where: x .< FloatLanes(repeating: underflow))
    }

    /// `exp` of one value through the vector path (so every element of a row is rounded alike).
    @inline(__always)
    static func exp(_ x: Float) -> Float { exp(FloatLanes(repeating: x))[0] }

    /// The largest lane (the generic `max()` is not inlined).
    @inline(__always)
    static func largestLane(_ v: FloatLanes) -> Float {
        let half = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
        let pair = half.lowHalf.replacing(with: half.highHalf, where: half.highHalf .> half.lowHalf)
        return Swift.max(pair[0], pair[1])
    }

    /// Lane-wise maximum (a compare and a blend; `pointwiseMax` is not vectorized).
    @inline(__always)
    static func lanesMax(_ a: FloatLanes, _ b: FloatLanes) -> FloatLanes { a.replacing(with: b, where: b .> a) }


    /// Softmax of one row in place, over the first `limit` entries; entries from `limit` on, and entries
    /// whose `allowed` value is false, become exactly 0.
    ///
    /// - Parameters:
    ///   - row: `[count]` scores in, weights out.
    ///   - count: the row length.
    ///   - limit: entries at or beyond it are masked (a causal bound); `count` for none.
    ///   - allowed: `[count]` values read with stride `allowedStride` (0 broadcasts one value), or nil.
    ///   - normalize: divide by the sum; when false the row keeps `exp(x − max)` and the caller scales.
    /// - Returns: `1 / Σ exp(x − max)`, or 0 when every entry was masked (the row is then all zeros, never NaN).
    @inline(__always)
    @discardableResult
    static func forward(_ row: UnsafeMutablePointer<Float>, count: Int, limit: Int,
                        allowed: UnsafePointer<Bool>?, allowedStride: Int, normalize: Bool = true) -> Float {
        var end = Swift.min(limit, count)
        if let allowed {
            if allowedStride == 0 {
                if !allowed[0] { end = 0 }
            } else {
                for j in 0..<end where !allowed[j] { row[j] = -.infinity }
            }
        }
        // The maximum over the unmasked entries.
        var best = -Float.infinity
        var j = 0
        if end >= 8 {
            var lanes = FloatLanes(repeating: -.infinity)
            while j + 8 <= end {
                lanes = lanesMax(lanes, load(row + j))
                j += 8
            }
            best = largestLane(lanes)
        }
        while j < end { best = Swift.max(best, row[j]); j += 1 }
        guard best > -.infinity else {
            row.update(repeating: 0, count: count)
            return 0
        }
        // Exponentials and their sum.
        let shift = FloatLanes(repeating: best)
        var sums = FloatLanes(repeating: 0)
        j = 0
        while j + 8 <= end {
            let e = exp(load(row + j) - shift)
            store(e, row + j)
            sums += e
            j += 8
        }
        var total = sums.sum()
        while j < end {
            let e = exp(row[j] - best)
            row[j] = e
            total += e
            j += 1
        }
        // Normalize; zero the causally masked tail.
        let inverse = 1 / total
        if normalize {
            let lanes = FloatLanes(repeating: inverse)
            j = 0
            while j + 8 <= end {
                store(load(row + j) * lanes, row + j)
                j += 8
            }
            while j < end { row[j] *= inverse; j += 1 }
        }
        if end < count { (row + end).update(repeating: 0, count: count - end) }
        return inverse
    }

    /// The softmax backward of one row: `ds = p ⊙ (dp − Σ dp ⊙ p)`, written over `dp`.
    ///
    /// - Parameters:
    ///   - p: `[count]` softmax weights (0 where masked, so masked entries get 0).
    ///   - dp: `[count]` gradient of the weights in, gradient of the scores out.
    @inline(__always)
    static func backward(_ p: UnsafePointer<Float>, _ dp: UnsafeMutablePointer<Float>, count: Int) {
        var lanes = FloatLanes(repeating: 0)
        var j = 0
        while j + 8 <= count {
            lanes += load(p + j) * load(dp + j)
            j += 8
        }
        var dot = lanes.sum()
        while j < count { dot += p[j] * dp[j]; j += 1 }
        let shift = FloatLanes(repeating: dot)
        j = 0
        while j + 8 <= count {
            store(load(p + j) * (load(dp + j) - shift), dp + j)
            j += 8
        }
        while j < count { dp[j] = p[j] * (dp[j] - dot); j += 1 }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> FloatLanes {
        UnsafeRawPointer(p).loadUnaligned(as: FloatLanes.self)
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> FloatLanes { load(UnsafePointer(p)) }

    @inline(__always)
    static func store(_ v: FloatLanes, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: FloatLanes.self)
    }
}
