import Foundation
import Testing
@testable import RecurrentData

/// A malformed file, the error case it must be rejected with, and words its message must contain.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var expectedCase: String
    var messageContains: [String]

    var testDescription: String { name }

    init(_ name: String, _ bytes: [UInt8], _ expectedCase: String, _ messageContains: [String]) {
        self.name = name
        self.bytes = bytes
        self.expectedCase = expectedCase
        self.messageContains = messageContains
    }

    /// Two valid U8 tensors `a` (2 bytes) and `b` (2 bytes), laid out by the given offsets.
    static func twoTensors(_ a: (Int, Int), _ b: (Int, Int), dataSize: Int = 4) -> [UInt8] {
        let header = "{" + entry("a", "U8", [a.1 - a.0], a.0, a.1) + "," + entry("b", "U8", [b.1 - b.0], b.0, b.1) + "}"
        return safetensorsBytes(header: header, data: [UInt8](repeating: 7, count: dataSize))
    }

    static let all: [MalformedCase] = {
        let f32 = #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let eightBytes = [UInt8](repeating: 0, count: 8)
        func header(_ json: String, data: [UInt8] = []) -> [UInt8] { safetensorsBytes(header: json, data: data) }
        func tensor(_ fields: String, data: [UInt8] = [0, 0, 0, 0]) -> [UInt8] { header(#"{"t":{"# + fields + "}}", data: data) }
        var invalidUTF8 = Array(#"{"t\#u{e9}":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}"#.utf8)
        invalidUTF8[3] = 0xFF  // the first byte of é
        return [
            // Framing
            MalformedCase("empty file", [], "fileTooShort", ["0 bytes", "too short"]),
            MalformedCase("7-byte file", [1, 0, 0, 0, 0, 0, 0], "fileTooShort", ["7 bytes"]),
            MalformedCase("header cut short", Array(safetensorsBytes(header: f32, data: eightBytes).prefix(30)),
                          "headerBeyondEndOfFile", ["header length 54", "beyond the end of the file"]),
            MalformedCase("header length beyond the file", safetensorsBytes(header: f32, data: eightBytes, declaredLength: 1000),
                          "headerBeyondEndOfFile", ["header length 1000", "beyond the end"]),
            MalformedCase("header length 2^63", safetensorsBytes(header: f32, data: eightBytes, declaredLength: 1 << 63),
                          "headerTooLarge", ["9223372036854775808", "100000000"]),
            MalformedCase("header length 2^64-1", safetensorsBytes(header: f32, data: eightBytes, declaredLength: .max),
                          "headerTooLarge", ["18446744073709551615"]),
            MalformedCase("header length 200 MB", safetensorsBytes(header: f32, data: eightBytes, declaredLength: 200_000_000),
                          "headerTooLarge", ["200000000", "exceeds"]),
            MalformedCase("header length just over the limit", safetensorsBytes(header: f32, data: eightBytes, declaredLength: 100_000_001),
                          "headerTooLarge", ["100000001"]),
            MalformedCase("header length at the limit, small file", safetensorsBytes(header: f32, data: eightBytes, declaredLength: 100_000_000),
                          "headerBeyondEndOfFile", ["100000000"]),
            // Header text
            MalformedCase("invalid UTF-8", safetensorsBytes(headerBytes: invalidUTF8), "headerNotUTF8", ["UTF-8", "byte 3"]),
            MalformedCase("not JSON", header("hello, world"), "headerNotJSON", ["not valid JSON"]),
            MalformedCase("truncated JSON", header(#"{"t":{"dtype":"F32""#), "headerNotJSON", ["not valid JSON"]),
            MalformedCase("JSON with garbage after it", header("{} x"), "headerNotJSON", ["'x' after the JSON value"]),
            MalformedCase("NUL padding", header("{}\0\0\0\0\0\0"), "headerNotJSON", ["byte 0x0"]),
            MalformedCase("trailing comma", header(#"{"__metadata__":{"a":"b"},}"#), "headerNotJSON", ["expected a string key"]),
            MalformedCase("leading zero", tensor(#""dtype":"U8","shape":[04],"data_offsets":[0,4]"#), "headerNotJSON", ["leading zeros"]),
            MalformedCase("raw newline in a string", header("{\"__metadata__\":{\"a\":\"x\ny\"}}"), "headerNotJSON", ["control character"]),
            MalformedCase("unpaired surrogate", header(#"{"__metadata__":{"a":"\ud800"}}"#), "headerNotJSON", ["surrogate"]),
            MalformedCase("nesting 100,000 deep", header(String(repeating: "[", count: 100_000)), "headerNotJSON", ["nested deeper than 64"]),
            MalformedCase("JSON array", header("[]"), "headerNotObject", ["an array", "expected an object"]),
            MalformedCase("JSON string", header(#""model""#), "headerNotObject", ["a string"]),
            MalformedCase("JSON number", header("42"), "headerNotObject", ["the number 42"]),
            // Tensor entries
            MalformedCase("tensor entry not an object", header(#"{"t":[1,2]}"#), "tensorEntryNotObject", ["\"t\"", "an array"]),
            MalformedCase("missing data_offsets", tensor(#""dtype":"U8","shape":[4]"#), "missingField", ["\"t\"", "data_offsets"]),
            MalformedCase("missing dtype", tensor(#""shape":[4],"data_offsets":[0,4]"#), "missingField", ["\"t\"", "dtype"]),
            MalformedCase("missing shape", tensor(#""dtype":"U8","data_offsets":[0,4]"#), "missingField", ["\"t\"", "shape"]),
            MalformedCase("extra field", tensor(#""dtype":"U8","shape":[4],"data_offsets":[0,4],"stride":[1]"#),
                          "unexpectedField", ["\"t\"", "\"stride\""]),
            MalformedCase("unknown dtype", tensor(#""dtype":"F31","shape":[4],"data_offsets":[0,4]"#), "unknownDtype", ["\"t\"", "\"F31\""]),
            MalformedCase("lower-case dtype", tensor(#""dtype":"f32","shape":[1],"data_offsets":[0,4]"#), "unknownDtype", ["\"f32\""]),
            MalformedCase("dtype not a string", tensor(#""dtype":4,"shape":[4],"data_offsets":[0,4]"#),
                          "invalidFieldType", ["\"t\"", "dtype is the number 4"]),
            MalformedCase("shape not a list", tensor(#""dtype":"U8","shape":"4","data_offsets":[0,4]"#),
                          "invalidFieldType", ["\"t\"", "shape is a string"]),
            MalformedCase("negative dimension", tensor(#""dtype":"U8","shape":[2,-2],"data_offsets":[0,4]"#),
                          "invalidShape", ["\"t\"", "dimension 1 is -2", "negative"]),
            MalformedCase("fractional dimension", tensor(#""dtype":"U8","shape":[4.0],"data_offsets":[0,4]"#),
                          "invalidShape", ["dimension 0 is 4.0", "not an integer"]),
            MalformedCase("exponent dimension", tensor(#""dtype":"U8","shape":[4e0],"data_offsets":[0,4]"#),
                          "invalidShape", ["not an integer"]),
            MalformedCase("string dimension", tensor(#""dtype":"U8","shape":["4"],"data_offsets":[0,4]"#),
                          "invalidShape", ["dimension 0 is a string"]),
            MalformedCase("dimension beyond UInt64", tensor(#""dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,4]"#),
                          "invalidShape", ["18446744073709551616", "too large"]),
            MalformedCase("dimension beyond Int", tensor(#""dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,4]"#),
                          "invalidShape", ["9223372036854775808", "too large"]),
            MalformedCase("dimensions whose product overflows", tensor(#""dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,4]"#),
                          "sizeOverflow", ["\"t\"", "overflows"]),
            MalformedCase("dimensions × item size overflows", tensor(#""dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]"#),
                          "sizeOverflow", ["F64"]),
            MalformedCase("overflowing dimensions beside a zero", tensor(#""dtype":"U8","shape":[4294967296,4294967296,0],"data_offsets":[0,0]"#, data: []),
                          "sizeOverflow", ["overflows"]),
            MalformedCase("missing offsets value", tensor(#""dtype":"U8","shape":[4],"data_offsets":[0]"#),
                          "invalidOffsets", ["\"t\"", "found 1 values"]),
            MalformedCase("three offsets", tensor(#""dtype":"U8","shape":[4],"data_offsets":[0,4,8]"#),
                          "invalidOffsets", ["found 3 values"]),
            MalformedCase("negative offset", tensor(#""dtype":"U8","shape":[4],"data_offsets":[-1,3]"#),
                          "invalidOffsets", ["begin is -1", "negative"]),
            MalformedCase("offsets not a list", tensor(#""dtype":"U8","shape":[4],"data_offsets":{"begin":0}"#),
                          "invalidFieldType", ["data_offsets is an object"]),
            MalformedCase("huge offset", tensor(#""dtype":"U8","shape":[4],"data_offsets":[0,18446744073709551615]"#),
                          "invalidOffsets", ["end is 18446744073709551615", "too large"]),
            MalformedCase("reversed offsets", tensor(#""dtype":"U8","shape":[4],"data_offsets":[4,0]"#),
                          "reversedOffsets", ["\"t\"", "[4, 0]"]),
            MalformedCase("offsets out of range", tensor(#""dtype":"U8","shape":[8],"data_offsets":[0,8]"#),
                          "offsetsBeyondEndOfData", ["\"t\"", "ends at 8", "4 bytes"]),
            MalformedCase("shape/size mismatch", tensor(#""dtype":"F32","shape":[2],"data_offsets":[0,4]"#),
                          "sizeMismatch", ["\"t\"", "F32 [2] needs 8 bytes", "span 4"]),
            MalformedCase("F4 odd element count", tensor(#""dtype":"F4","shape":[3],"data_offsets":[0,2]"#, data: [0, 0]),
                          "partialByte", ["12 bits"]),
            // Layout
            MalformedCase("hole between tensors", twoTensors((0, 2), (3, 5), dataSize: 5), "dataGap", ["\"b\"", "hole of 1 byte from 2"]),
            MalformedCase("hole at the start", twoTensors((1, 3), (3, 5), dataSize: 5), "dataGap", ["\"a\"", "hole of 1 byte from 0"]),
            MalformedCase("overlapping tensors", twoTensors((0, 3), (2, 4), dataSize: 4), "dataOverlap", ["\"b\"", "overlapping", "\"a\""]),
            MalformedCase("same offsets twice", twoTensors((0, 2), (0, 2), dataSize: 2), "dataOverlap", ["overlapping"]),
            MalformedCase("trailing bytes after the data", twoTensors((0, 2), (2, 4), dataSize: 6), "trailingBytes", ["2 trailing bytes"]),
            MalformedCase("data but no tensors", header("{}", data: [1, 2, 3]), "trailingBytes", ["3 trailing bytes"]),
            // Metadata
            MalformedCase("non-string metadata value", header(#"{"__metadata__":{"epochs":10}}"#),
                          "metadataValueNotString", ["\"epochs\"", "the number 10"]),
            MalformedCase("null metadata value", header(#"{"__metadata__":{"note":null}}"#), "metadataValueNotString", ["null"]),
            MalformedCase("metadata not an object", header(#"{"__metadata__":["a"]}"#), "metadataNotObject", ["an array"]),
            // Duplicates
            MalformedCase("duplicate tensor names", header("{" + entry("w", "U8", [1], 0, 1) + "," + entry("w", "U8", [1], 1, 2) + "}", data: [1, 2]),
                          "duplicateTensor", ["\"w\"", "more than once"]),
            MalformedCase("duplicate field in a tensor", tensor(#""dtype":"U8","dtype":"U8","shape":[4],"data_offsets":[0,4]"#),
                          "duplicateKey", ["\"dtype\"", "tensor \"t\""]),
            MalformedCase("duplicate metadata key", header(#"{"__metadata__":{"a":"1","a":"2"}}"#), "duplicateKey", ["\"a\"", "__metadata__"]),
            MalformedCase("__metadata__ twice", header(#"{"__metadata__":{},"__metadata__":{}}"#), "duplicateKey", ["__metadata__"]),
        ]
    }()
}

@Suite("Malformed safetensors files")
struct MalformedFileTests {
    @Test("each generated malformed file is rejected with the right error", arguments: MalformedCase.all)
    func rejected(_ testCase: MalformedCase) throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("bad.safetensors")
        try Data(testCase.bytes).write(to: url)

        guard let error = thrownError({ () throws(SafeTensorsError) in try SafeTensorsFile(contentsOf: url) }) else { return }
        #expect(caseName(error) == testCase.expectedCase, "\(error)")
        let message = error.description
        for part in testCase.messageContains {
            #expect(message.contains(part), "message \(message) lacks \(part)")
        }
        #expect(!message.contains("\n"), "the message must be one line")

        // The same bytes in memory give the same error.
        let fromMemory = thrownError({ () throws(SafeTensorsError) in try SafeTensorsFile(bytes: testCase.bytes) })
        #expect(fromMemory == error)
    }

    @Test("a missing file, a directory and an unreadable path are reported, not crashed on")
    func unreadable() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let missing = thrownError({ () throws(SafeTensorsError) in try SafeTensorsFile(path: folder.appendingPathComponent("nope").path) })
        #expect(missing.map(caseName) == "unreadable")
        #expect(missing?.description.contains("No such file") == true)
        let directory = thrownError({ () throws(SafeTensorsError) in try SafeTensorsFile(path: folder.path) })
        #expect(directory?.description == "cannot read the file: is a directory")
    }

    @Test("hostile tensor names stay on one line and are cut short in messages")
    func hostileNames() {
        let name = "evil\\n\\u001b[31m" + String(repeating: "x", count: 10_000)
        let bytes = safetensorsBytes(header: "{\"\(name)\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,2]}}", data: [0, 0])
        guard let error = thrownError({ () throws(SafeTensorsError) in try SafeTensorsFile(bytes: bytes) }) else { return }
        #expect(caseName(error) == "sizeMismatch")
        let message = error.description
        #expect(!message.contains("\n") && !message.contains("\u{1b}"))
        #expect(message.contains(#"evil\n\u{1b}[31m"#))
        #expect(message.count < 300)
    }

    @Test("random corruptions of a valid file never crash")
    func fuzz() throws {
        var writer = SafeTensorsWriter(metadata: ["case": #"{"module": "LSTM"}"#])
        try writer.add("weight", shape: [3, 4], floats: (0..<12).map(Float.init))
        try writer.add("half", shape: [5], floats: [1, 2, 3, 4, 5], as: .f16)
        try writer.add("lengths", shape: [2], integers: [3, 1])
        let valid = try writer.serialized()

        var generator = SplitMix64(seed: 1234)
        var rejected = 0
        for _ in 0..<3000 {
            var bytes = valid
            switch generator.next() % 4 {
            case 0:  // flip a few random bytes
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    let i = Int(generator.next() % UInt64(bytes.count))
                    bytes[i] = UInt8(truncatingIfNeeded: generator.next())
                }
            case 1:  // truncate
                bytes.removeLast(Int(generator.next() % UInt64(bytes.count)))
            case 2:  // put a random digit or delimiter into the header
                let i = 8 + Int(generator.next() % UInt64(max(1, bytes.count - 8)))
                if i < bytes.count { bytes[i] = Array("0123456789[]{},:\"-.e ".utf8)[Int(generator.next() % 21)] }
            default:  // append garbage
                bytes += (0..<Int(generator.next() % 9)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            }
            do {
                let file = try SafeTensorsFile(bytes: bytes)
                for info in file.tensors {
                    if info.dtype.convertsToFloat { _ = try? file.floats(info.name) }
                    if info.dtype.convertsToInteger { _ = try? file.integers(info.name) }
                }
                _ = file.summary()
            } catch {
                rejected += 1
                let message = String(describing: error)
                #expect(!message.isEmpty && !message.contains("\n"))
            }
        }
        #expect(rejected > 1000)
    }
}

/// A small deterministic random number generator for the fuzz test.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
