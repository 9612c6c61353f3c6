/// Bit-exact conversions between `Float` and the 16-bit float formats of safetensors (F16 and BF16).
///
/// These work on bit patterns, so they behave the same on every platform (Swift's `Float16` type is not
/// available on macOS on Intel). Widening is exact for every input, including subnormals, infinities and
/// NaNs (the NaN payload is kept, shifted into the wider mantissa).
public enum HalfPrecision {
    /// The `Float` equal to the IEEE 754 half-precision number with bit pattern `bits` (exact).
    @inlinable
    public static func float(fromF16Bits bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        if exponent == 0x1F {
            // Infinity (mantissa 0) or NaN (payload kept).
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent != 0 {
            // Normal: rebias the exponent from 15 to 127.
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
        if mantissa == 0 {
            return Float(bitPattern: sign)  // ±0
        }
        // Subnormal: mantissa × 2^-24, exact in Float.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }

    /// The bit pattern of `value` rounded to half precision, to nearest with ties to even (as PyTorch's
    /// `.half()`): values beyond the largest half (65504) round to infinity, tiny ones to subnormals or
    /// zero, and NaN stays NaN (quiet, with the top of its payload).
    @inlinable
    public static func f16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x007F_FFFF

        if exponent == 0xFF {
            if mantissa == 0 { return sign | 0x7C00 }  // infinity
            // NaN: keep the top payload bits, force quiet so the payload cannot become 0 (infinity).
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        // Unbiased exponent; the half has 10 mantissa bits and a minimum normal exponent of -14.
        let e = exponent - 127
        if e > 15 {
            return sign | 0x7C00  // overflow to infinity
        }
        if e >= -14 {
            // Normal half (may round up into the next binade or to infinity; the carry handles both).
            let halfExponent = UInt32(e + 15)
            var result = (halfExponent << 10) | (mantissa >> 13)
            let remainder = mantissa & 0x1FFF
            if remainder > 0x1000 || (remainder == 0x1000 && (result & 1) == 1) {
                result += 1
            }
            return sign | UInt16(truncatingIfNeeded: result)
        }
        // Subnormal half or zero: value = m × 2^-24 with m = full significand shifted right.
        if e < -25 {
            return sign  // below half the smallest subnormal (2^-25): rounds to zero
        }
        // Full 24-bit significand (implicit 1 for normal floats; float subnormals are far below here).
        let significand = mantissa | 0x0080_0000
        // value = significand × 2^(e - 23); in units of 2^-24 this is significand × 2^(e + 1): shift right by -(e + 1).
        let shift = UInt32(-(e + 1))  // 14 ... 24
        var result = significand >> shift
        let remainder = significand & ((1 << shift) - 1)
        let halfway = UInt32(1) << (shift - 1)
        if remainder > halfway || (remainder == halfway && (result & 1) == 1) {
            result += 1  // may become 0x400, the smallest normal: still the right bit pattern
        }
        return sign | UInt16(truncatingIfNeeded: result)
    }

    /// The `Float` whose upper 16 bits are the bfloat16 bit pattern `bits` (exact, payloads kept).
    @inlinable
    public static func float(fromBF16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
