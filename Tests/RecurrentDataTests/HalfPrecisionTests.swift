import Testing
@testable import RecurrentData

@Suite("F16 and BF16 conversions")
struct HalfPrecisionTests {
    @Test("F16 special values widen exactly", arguments: [
        (UInt16(0x0000), Float(0)),
        (0x8000, -Float(0)),
        (0x3C00, 1),
        (0xBC00, -1),
        (0x3555, 0.333251953125),
        (0x7BFF, 65504),                 // largest half
        (0x0400, 0x1p-14),               // smallest normal
        (0x0001, 0x1p-24),               // smallest subnormal
        (0x03FF, 0x1.ff8p-15),           // largest subnormal
        (0x8001, -0x1p-24),
        (0x7C00, .infinity),
        (0xFC00, -.infinity),
    ] as [(UInt16, Float)])
    func f16Specials(_ bits: UInt16, _ expected: Float) {
        let value = HalfPrecision.float(fromF16Bits: bits)
        #expect(value.bitPattern == expected.bitPattern, "\(value) != \(expected)")
        #expect(HalfPrecision.f16Bits(from: value) == bits)
    }

    @Test("F16 NaNs stay NaN with their payload and sign")
    func f16NaN() {
        for bits: UInt16 in [0x7E00, 0x7C01, 0x7D55, 0xFE00, 0xFFFF] {
            let value = HalfPrecision.float(fromF16Bits: bits)
            #expect(value.isNaN)
            #expect(value.sign == (bits & 0x8000 != 0 ? .minus : .plus))
            #expect(value.bitPattern & 0x007F_FFFF == UInt32(bits & 0x3FF) << 13)
        }
        #expect(HalfPrecision.f16Bits(from: .nan) & 0x7E00 == 0x7E00)
        #expect(HalfPrecision.f16Bits(from: Float(bitPattern: 0x7F80_0001)) & 0x7FFF > 0x7C00)  // tiny payload stays NaN
        #expect(HalfPrecision.float(fromF16Bits: HalfPrecision.f16Bits(from: -.nan)).isNaN)
    }

    @Test("F16 to Float round-trips every non-NaN bit pattern")
    func f16RoundTripAll() {
        for bits in UInt16.min...UInt16.max {
            let value = HalfPrecision.float(fromF16Bits: bits)
            if value.isNaN { continue }
            #expect(HalfPrecision.f16Bits(from: value) == bits)
        }
    }

    @Test("Float to F16 rounds to nearest, ties to even", arguments: [
        (Float(1 + 0x1p-11), UInt16(0x3C00)),          // halfway between 1 and next: tie → even (1)
        (Float(1 + 0x1p-11 + 0x1p-23), 0x3C01),        // just above halfway → up
        (Float(1 + 3 * 0x1p-11), 0x3C02),              // halfway between odd and even → even (up)
        (65504, 0x7BFF),
        (65519.996, 0x7BFF),                            // below the overflow threshold
        (65520, 0x7C00),                                // halfway to 2^16: ties to even → infinity
        (1e10, 0x7C00),
        (-1e10, 0xFC00),
        (0x1p-25, 0x0000),                              // half the smallest subnormal: tie → even (0)
        (Float(0x1p-25) * 1.0000001, 0x0001),           // just above → smallest subnormal
        (0x1.8p-24, 0x0002),                            // 1.5 × smallest subnormal: tie → even (2)
        (0x1p-26, 0x0000),
        (-0x1p-26, 0x8000),
        (Float(0x1.ffcp-15), 0x0400),                   // rounds up from the largest subnormal into the smallest normal
        (.leastNonzeroMagnitude, 0x0000),
    ] as [(Float, UInt16)])
    func f16Rounding(_ value: Float, _ bits: UInt16) {
        #expect(HalfPrecision.f16Bits(from: value) == bits, "\(value)")
    }

    #if !(os(macOS) && arch(x86_64))  // Swift's Float16 exists everywhere but macOS on Intel
    @Test("widening agrees with Swift's Float16 for all 65,536 patterns")
    func wideningMatchesFloat16() {
        for bits in UInt16.min...UInt16.max {
            let mine = HalfPrecision.float(fromF16Bits: bits)
            let swift = Float(Float16(bitPattern: bits))
            if swift.isNaN {
                #expect(mine.isNaN)
            } else {
                #expect(mine.bitPattern == swift.bitPattern)
            }
        }
    }

    @Test("narrowing agrees with Swift's Float16 on every tie, its neighbours, and a sweep of all Floats")
    func narrowingMatchesFloat16() {
        func check(_ x: Float) {
            let mine = HalfPrecision.f16Bits(from: x)
            let swift = Float16(x).bitPattern
            if x.isNaN {
                #expect(mine & 0x7C00 == 0x7C00 && mine & 0x3FF != 0)
            } else if mine != swift {
                Issue.record("f16Bits(\(x)) = \(mine), Float16 gives \(swift)")
            }
        }
        // Every midpoint between adjacent halves (exact in Float), and the Floats on either side of it.
        for bits in UInt16(0)..<0x7C00 {
            let low = HalfPrecision.float(fromF16Bits: bits)
            let high = HalfPrecision.float(fromF16Bits: bits + 1)
            let middle = (low + high) / 2
            for x in [middle, middle.nextUp, middle.nextDown, low, -middle, -middle.nextUp] { check(x) }
        }
        // A sweep over Float bit patterns (about 1M values, all exponents).
        var pattern: UInt32 = 0
        while true {
            check(Float(bitPattern: pattern))
            let (next, overflow) = pattern.addingReportingOverflow(4099)
            if overflow { break }
            pattern = next
        }
    }
    #endif

    @Test("BF16 widens exactly: the upper half of a Float")
    func bf16() {
        #expect(HalfPrecision.float(fromBF16Bits: 0x3F80) == 1)
        #expect(HalfPrecision.float(fromBF16Bits: 0xC000) == -2)
        #expect(HalfPrecision.float(fromBF16Bits: 0x7F80) == .infinity)
        #expect(HalfPrecision.float(fromBF16Bits: 0xFF80) == -.infinity)
        #expect(HalfPrecision.float(fromBF16Bits: 0x0001) == Float(bitPattern: 0x0001_0000))  // subnormal
        #expect(HalfPrecision.float(fromBF16Bits: 0x8000).bitPattern == (-Float(0)).bitPattern)
        let nan = HalfPrecision.float(fromBF16Bits: 0x7FC1)
        #expect(nan.isNaN && nan.bitPattern == 0x7FC1_0000)
        for bits in UInt16.min...UInt16.max {
            #expect(HalfPrecision.float(fromBF16Bits: bits).bitPattern >> 16 == UInt32(bits))
        }
    }
}
