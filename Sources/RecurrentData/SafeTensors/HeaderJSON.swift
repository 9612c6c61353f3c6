/// A JSON value as parsed from a safetensors header, keeping what `JSONSerialization` loses: object members
/// in their order with duplicates kept (so the caller can reject them, naming the key) and numbers as exact
/// integers with overflow detected.
enum HeaderJSON: Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([HeaderJSON])
    case object([JSONMember])

    /// "an object", "a string", ... for messages.
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number(let n): return "the number \(n.text.count > 40 ? String(n.text.prefix(40)) + "…" : n.text)"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// One `"key": value` pair of a JSON object.
struct JSONMember: Equatable {
    var key: String
    var value: HeaderJSON
}

/// A JSON number: its text, and its exact value when it is written as an integer.
struct JSONNumber: Equatable {
    /// What an integer-looking number is worth.
    enum IntegerValue: Equatable {
        /// Written as an integer in 0 ... UInt64.max.
        case nonNegative(UInt64)
        /// Written as an integer in Int64.min ... -0.
        case negative(Int64)
        /// Written as an integer, but beyond UInt64 (positive) or Int64 (negative).
        case outOfRange
        /// Has a fraction or an exponent.
        case notAnInteger
    }

    /// The number exactly as written.
    var text: String
    /// The exact integer value, or why there is none.
    var integer: IntegerValue
}

/// Why the header is not valid JSON, and where (byte offset in the header).
struct JSONSyntaxError: Error, Equatable {
    var reason: String
    var byteOffset: Int
}

/// A strict RFC 8259 JSON parser for safetensors headers.
///
/// It expects UTF-8 that has already been validated. It accepts exactly one value surrounded by optional
/// whitespace (space, tab, LF, CR; safetensors pads headers with spaces), rejects leading zeros, `+`, bare
/// `.5`, raw control characters in strings, invalid escapes and unpaired surrogates, and nests at most
/// `maximumDepth` arrays/objects so hostile input cannot exhaust the stack. It never traps.
struct HeaderJSONParser {
    /// The deepest nesting of arrays and objects accepted (a safetensors header needs 3).
    static let maximumDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses `bytes` (valid UTF-8) as one JSON value.
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> HeaderJSON {
        var result: Result<HeaderJSON, JSONSyntaxError> = .failure(JSONSyntaxError(reason: "empty", byteOffset: 0))
        bytes.withUnsafeBufferPointer { buffer in
            var parser = HeaderJSONParser(bytes: buffer)
            do throws(JSONSyntaxError) {
                parser.skipWhitespace()
                let value = try parser.parseValue()
                parser.skipWhitespace()
                if parser.index < buffer.count {
                    throw parser.error("unexpected \(parser.describeByte()) after the JSON value")
                }
                result = .success(value)
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: Values

    private mutating func parseValue() throws(JSONSyntaxError) -> HeaderJSON {
        guard index < bytes.count else { throw error("unexpected end of the header, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected \(describeByte()), expected a value")
        }
    }

    private mutating func enterContainer() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw error("arrays and objects nested deeper than \(Self.maximumDepth) levels")
        }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> HeaderJSON {
        try enterContainer()
        index += 1  // {
        var members: [JSONMember] = []
        skipWhitespace()
        if peek(UInt8(ascii: "}")) {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")) else { throw error("expected a string key, found \(describeByte())") }
            let key = try parseString()
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw error("expected ':' after a key, found \(describeByte())") }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            members.append(JSONMember(key: key, value: value))
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                index += 1
            } else if peek(UInt8(ascii: "}")) {
                index += 1
                depth -= 1
                return .object(members)
            } else {
                throw error("expected ',' or '}' in an object, found \(describeByte())")
            }
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> HeaderJSON {
        try enterContainer()
        index += 1  // [
        var elements: [HeaderJSON] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                index += 1
            } else if peek(UInt8(ascii: "]")) {
                index += 1
                depth -= 1
                return .array(elements)
            } else {
                throw error("expected ',' or ']' in an array, found \(describeByte())")
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let start = index
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected -> Bool in
            guard bytes.count - index >= count else { return false }
            for i in 0..<count where bytes[index + i] != expected[i] { return false }
            return true
        }
        guard matches else {
            index = start
            throw error("unexpected \(describeByte()), expected a value")
        }
        index += count
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONNumber {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw error("expected a digit after '-'")
        }
        // Integer part, accumulated exactly with overflow detection.
        var magnitude: UInt64 = 0
        var overflow = false
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw error("numbers must not have leading zeros")
            }
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                let digit = UInt64(bytes[index] &- UInt8(ascii: "0"))
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(digit)
                if o1 || o2 { overflow = true } else { magnitude = sum }
                index += 1
            }
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("expected a digit after '.'") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("expected a digit in the exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        let value: JSONNumber.IntegerValue
        if !isInteger {
            value = .notAnInteger
        } else if overflow {
            value = .outOfRange
        } else if negative {
            // Int64.min has magnitude 2^63.
            if magnitude <= UInt64(Int64.max) {
                value = .negative(-Int64(magnitude))
            } else if magnitude == UInt64(Int64.max) + 1 {
                value = .negative(Int64.min)
            } else {
                value = .outOfRange
            }
        } else {
            value = .nonNegative(magnitude)
        }
        return JSONNumber(text: text, integer: value)
    }

    // MARK: Strings

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character \(describeByte()) inside a string must be escaped") }
            index += 1
        }
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            }
            if byte < 0x20 { throw error("control character \(describeByte()) inside a string must be escaped") }
            if byte != UInt8(ascii: "\\") {
                utf8.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): utf8.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): utf8.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): utf8.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                let scalar = try parseUnicodeEscape()
                utf8.append(contentsOf: Array(String(scalar).utf8))
            default:
                index -= 1
                throw error("invalid escape '\\\(describeByte())' in a string")
            }
        }
        throw error("unterminated string")
    }

    /// After `\u`: four hex digits, or a surrogate pair `\uD8xx\uDCxx`.
    private mutating func parseUnicodeEscape() throws(JSONSyntaxError) -> Unicode.Scalar {
        let first = try parseHex4()
        switch first {
        case 0xD800...0xDBFF:
            guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("unpaired surrogate \\u\(String(first, radix: 16)) in a string")
            }
            index += 2
            let second = try parseHex4()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw error("unpaired surrogate \\u\(String(first, radix: 16)) in a string")
            }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else { throw error("invalid \\u escape") }
            return scalar
        case 0xDC00...0xDFFF:
            throw error("unpaired surrogate \\u\(String(first, radix: 16)) in a string")
        default:
            guard let scalar = Unicode.Scalar(first) else { throw error("invalid \\u escape") }
            return scalar
        }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw error("expected four hex digits after \\u") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("expected four hex digits after \\u, found \(describeByte())")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    // MARK: Helpers

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func peek(_ byte: UInt8) -> Bool {
        index < bytes.count && bytes[index] == byte
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// The byte at the current position for a message: `'x'`, `byte 0x01`, or "end of header".
    private func describeByte() -> String {
        guard index < bytes.count else { return "end of header" }
        let byte = bytes[index]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    private func error(_ reason: String) -> JSONSyntaxError {
        JSONSyntaxError(reason: reason, byteOffset: index)
    }
}
