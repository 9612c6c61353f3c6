/// The element types of the safetensors format, spelled as in the header (`"F32"`).
///
/// All the official dtypes are recognised so that their sizes are validated; `SafeTensorsFile.floats(_:)`
/// converts F32, F16, BF16, F64, I64, I32, I16, I8 and U8, and `SafeTensorsFile.integers(_:)` converts I64,
/// I32, I16, I8, U8 and BOOL.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    /// Boolean, one byte per element (0 or 1).
    case bool = "BOOL"
    /// 4-bit float (E2M1), two elements per byte.
    case f4 = "F4"
    /// 6-bit float (E2M3), packed.
    case f6E2M3 = "F6_E2M3"
    /// 6-bit float (E3M2), packed.
    case f6E3M2 = "F6_E3M2"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// 8-bit float (E5M2).
    case f8E5M2 = "F8_E5M2"
    /// 8-bit float (E4M3).
    case f8E4M3 = "F8_E4M3"
    /// 8-bit exponent-only float (E8M0, scales).
    case f8E8M0 = "F8_E8M0"
    /// 8-bit float (E4M3, "fnuz" variant without negative zero).
    case f8E4M3FNUZ = "F8_E4M3FNUZ"
    /// 8-bit float (E5M2, "fnuz" variant without negative zero).
    case f8E5M2FNUZ = "F8_E5M2FNUZ"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// IEEE 754 half precision.
    case f16 = "F16"
    /// bfloat16 (the upper half of a Float32).
    case bf16 = "BF16"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Unsigned 32-bit integer.
    case u32 = "U32"
    /// IEEE 754 single precision.
    case f32 = "F32"
    /// Complex number of two F32 (real, imaginary).
    case c64 = "C64"
    /// IEEE 754 double precision.
    case f64 = "F64"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Unsigned 64-bit integer.
    case u64 = "U64"

    /// Bits per element: 4 for F4, 6 for the F6 types, otherwise 8 × the byte size.
    public var bitWidth: Int {
        switch self {
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Whether `SafeTensorsFile.floats(_:)` converts this dtype to `Float`.
    public var convertsToFloat: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .i64, .i32, .i16, .i8, .u8: return true
        default: return false
        }
    }

    /// Whether `SafeTensorsFile.integers(_:)` converts this dtype to `Int64`.
    public var convertsToInteger: Bool {
        switch self {
        case .i64, .i32, .i16, .i8, .u8, .bool: return true
        default: return false
        }
    }
}
