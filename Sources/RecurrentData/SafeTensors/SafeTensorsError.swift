/// Everything that can go wrong reading or writing a safetensors file.
///
/// Each case's `description` is one line (file-derived strings are quoted and escaped, so a hostile tensor
/// name cannot break it) that says what is wrong and, where there is one, which tensor. It never contains the
/// file's path: the caller knows which file it opened and prefixes it (`recurrent inspect` prints
/// `FILE: description`).
///
/// Offsets in the messages are relative to the start of the data section (after the header), as in the
/// header's `data_offsets`.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    // MARK: Files

    /// The file could not be opened or read (`reason` is the system's explanation).
    case unreadable(path: String, reason: String)
    /// The file could not be written; the previous file at `path`, if any, is left as it was.
    case writeFailed(path: String, reason: String)

    // MARK: Framing

    /// The file is shorter than the 8-byte header length that starts every safetensors file.
    case fileTooShort(byteCount: Int)
    /// The declared header length exceeds the 100,000,000-byte limit (or, when writing, the header would).
    case headerTooLarge(declaredLength: UInt64)
    /// The declared header length runs past the end of the file.
    case headerBeyondEndOfFile(declaredLength: UInt64, fileSize: Int)
    /// The header bytes are not valid UTF-8 (`byteOffset` counts from the start of the header).
    case headerNotUTF8(byteOffset: Int)
    /// The header is not valid JSON (`byteOffset` counts from the start of the header).
    case headerNotJSON(reason: String, byteOffset: Int)
    /// The header is valid JSON but not an object (`found` names what it is, e.g. "an array").
    case headerNotObject(found: String)

    // MARK: Header entries

    /// Two header entries have the same tensor name.
    case duplicateTensor(name: String)
    /// A key appears twice inside one JSON object (`location` says which: the header, a tensor, the metadata).
    case duplicateKey(key: String, location: String)
    /// A tensor's entry is not a JSON object.
    case tensorEntryNotObject(tensor: String, found: String)
    /// A tensor's entry lacks one of `dtype`, `shape`, `data_offsets`.
    case missingField(tensor: String, field: String)
    /// A tensor's entry has a field other than `dtype`, `shape`, `data_offsets`.
    case unexpectedField(tensor: String, field: String)
    /// A tensor's field has the wrong JSON type (e.g. `shape` is a string).
    case invalidFieldType(tensor: String, field: String, expected: String, found: String)
    /// A tensor's `dtype` is not one of the safetensors dtypes.
    case unknownDtype(tensor: String, dtype: String)
    /// A tensor's `shape` has an element that is not a non-negative integer fitting in `Int`.
    case invalidShape(tensor: String, reason: String)
    /// A tensor's `data_offsets` is not exactly two non-negative integers fitting in `Int`.
    case invalidOffsets(tensor: String, reason: String)
    /// A tensor's `data_offsets` has begin > end.
    case reversedOffsets(tensor: String, begin: Int, end: Int)
    /// A tensor's byte size (elements × item size) overflows `Int`.
    case sizeOverflow(tensor: String, dtype: SafeTensorsDType, shape: [Int])
    /// A tensor of a sub-byte dtype (F4, F6) does not fill a whole number of bytes.
    case partialByte(tensor: String, dtype: SafeTensorsDType, shape: [Int], bits: Int)
    /// A tensor's `data_offsets` span a different number of bytes than its shape and dtype need.
    case sizeMismatch(tensor: String, dtype: SafeTensorsDType, shape: [Int], expectedBytes: Int, declaredBytes: Int)
    /// A tensor's data ends past the end of the file's data section.
    case offsetsBeyondEndOfData(tensor: String, end: Int, dataSize: Int)
    /// There are unused bytes between the previous tensor (or the start of the data section) and this tensor.
    case dataGap(tensor: String, begin: Int, expectedBegin: Int)
    /// This tensor's data overlaps the previous tensor's data.
    case dataOverlap(tensor: String, other: String, begin: Int, otherEnd: Int)
    /// The file continues after the last tensor's data.
    case trailingBytes(count: Int, dataEnd: Int)
    /// `__metadata__` is not a JSON object.
    case metadataNotObject(found: String)
    /// A `__metadata__` value is not a string.
    case metadataValueNotString(key: String, found: String)

    // MARK: Access

    /// No tensor of this name is in the file.
    case tensorNotFound(name: String)
    /// The tensor's dtype cannot be converted to what was asked for (`target` is "Float" or "Int64").
    case unsupportedConversion(tensor: String, dtype: SafeTensorsDType, target: String)
    /// A BOOL tensor holds a byte other than 0 or 1 (at element `index`).
    case invalidBool(tensor: String, index: Int, byte: UInt8)

    // MARK: Writing

    /// A tensor handed to the writer is inconsistent (shape vs. value count, negative dimension, reserved or
    /// repeated name).
    case invalidTensorToWrite(name: String, reason: String)

    /// One line saying what is wrong (and which tensor), without the file's path.
    public var description: String {
        switch self {
        case let .unreadable(_, reason):
            return "cannot read the file: \(reason)"
        case let .writeFailed(_, reason):
            return "cannot write the file: \(reason)"
        case let .fileTooShort(byteCount):
            return "file is \(bytes(byteCount)), too short for the 8-byte header length"
        case let .headerTooLarge(declaredLength):
            return "header length \(declaredLength) exceeds the limit of \(SafeTensorsFormat.maximumHeaderLength) bytes"
        case let .headerBeyondEndOfFile(declaredLength, fileSize):
            let available = max(0, fileSize - 8)
            return "header length \(declaredLength) goes beyond the end of the file (only \(bytes(available)) follow the length field)"
        case let .headerNotUTF8(byteOffset):
            return "header is not valid UTF-8 (at header byte \(byteOffset))"
        case let .headerNotJSON(reason, byteOffset):
            return "header is not valid JSON: \(reason) (at header byte \(byteOffset))"
        case let .headerNotObject(found):
            return "header JSON is \(found), expected an object"
        case let .duplicateTensor(name):
            return "tensor \(quoted(name)) appears more than once in the header"
        case let .duplicateKey(key, location):
            return "key \(quoted(key)) appears more than once in \(location)"
        case let .tensorEntryNotObject(tensor, found):
            return "tensor \(quoted(tensor)): entry is \(found), expected an object with dtype, shape and data_offsets"
        case let .missingField(tensor, field):
            return "tensor \(quoted(tensor)): missing field \(quoted(field))"
        case let .unexpectedField(tensor, field):
            return "tensor \(quoted(tensor)): unexpected field \(quoted(field)) (allowed: dtype, shape, data_offsets)"
        case let .invalidFieldType(tensor, field, expected, found):
            return "tensor \(quoted(tensor)): \(field) is \(found), expected \(expected)"
        case let .unknownDtype(tensor, dtype):
            return "tensor \(quoted(tensor)): unknown dtype \(quoted(dtype))"
        case let .invalidShape(tensor, reason):
            return "tensor \(quoted(tensor)): invalid shape: \(reason)"
        case let .invalidOffsets(tensor, reason):
            return "tensor \(quoted(tensor)): invalid data_offsets: \(reason)"
        case let .reversedOffsets(tensor, begin, end):
            return "tensor \(quoted(tensor)): data_offsets [\(begin), \(end)] begin after they end"
        case let .sizeOverflow(tensor, dtype, shape):
            return "tensor \(quoted(tensor)): size of \(dtype.rawValue) \(shapeText(shape)) overflows"
        case let .partialByte(tensor, dtype, shape, bits):
            return "tensor \(quoted(tensor)): \(dtype.rawValue) \(shapeText(shape)) takes \(bits) bits, not a whole number of bytes"
        case let .sizeMismatch(tensor, dtype, shape, expectedBytes, declaredBytes):
            return "tensor \(quoted(tensor)): \(dtype.rawValue) \(shapeText(shape)) needs \(expectedBytes) bytes but data_offsets span \(declaredBytes)"
        case let .offsetsBeyondEndOfData(tensor, end, dataSize):
            return "tensor \(quoted(tensor)): data ends at \(end), beyond the end of the data section (\(dataSize) bytes)"
        case let .dataGap(tensor, begin, expectedBegin):
            return "tensor \(quoted(tensor)): data starts at \(begin), leaving a hole of \(bytes(begin - expectedBegin)) from \(expectedBegin)"
        case let .dataOverlap(tensor, other, begin, otherEnd):
            return "tensor \(quoted(tensor)): data starts at \(begin), overlapping tensor \(quoted(other)) which ends at \(otherEnd)"
        case let .trailingBytes(count, dataEnd):
            return "\(bytes(count, "trailing byte")) after the last tensor's data (which ends at \(dataEnd))"
        case let .metadataNotObject(found):
            return "__metadata__ is \(found), expected an object of strings"
        case let .metadataValueNotString(key, found):
            return "__metadata__ value for \(quoted(key)) is \(found), expected a string"
        case let .tensorNotFound(name):
            return "no tensor named \(quoted(name))"
        case let .unsupportedConversion(tensor, dtype, target):
            return "tensor \(quoted(tensor)): cannot convert \(dtype.rawValue) to \(target)"
        case let .invalidBool(tensor, index, byte):
            return "tensor \(quoted(tensor)): BOOL element \(index) is byte \(byte), expected 0 or 1"
        case let .invalidTensorToWrite(name, reason):
            return "cannot write tensor \(quoted(name)): \(reason)"
        }
    }
}

/// Constants of the safetensors format.
public enum SafeTensorsFormat {
    /// The largest header length accepted, in bytes (the reference implementation's limit).
    public static let maximumHeaderLength: UInt64 = 100_000_000
}

/// "1 byte", "3 bytes" (or another noun).
private func bytes(_ count: Int, _ noun: String = "byte") -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// A shape as `[2, 3]`.
func shapeText(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

/// `text` in double quotes with JSON-style escapes for quotes, backslashes and control characters, cut to
/// about `limit` characters: file-derived strings in messages stay on one line and stay short.
func quoted(_ text: String, limit: Int = 120) -> String {
    var result = "\""
    var count = 0
    for scalar in text.unicodeScalars {
        if count >= limit {
            result += "…"
            break
        }
        result += escapedForDisplay(scalar)
        count += 1
    }
    return result + "\""
}

/// `text` with control characters escaped (`\n`, `\u{1b}`), for one-line display; quotes are kept as they are.
func escapedControlCharacters(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        if scalar == "\"" || scalar == "\\" {
            result.unicodeScalars.append(scalar)
        } else {
            result += escapedForDisplay(scalar)
        }
    }
    return result
}

private func escapedForDisplay(_ scalar: Unicode.Scalar) -> String {
    switch scalar {
    case "\"": return "\\\""
    case "\\": return "\\\\"
    case "\n": return "\\n"
    case "\r": return "\\r"
    case "\t": return "\\t"
    default:
        // C0 and C1 controls, DEL, and the line/paragraph separators.
        let v = scalar.value
        if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029 {
            return "\\u{" + String(v, radix: 16) + "}"
        }
        return String(scalar)
    }
}
