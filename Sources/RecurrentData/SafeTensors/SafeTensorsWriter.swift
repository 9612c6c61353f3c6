import Foundation

/// Collects tensors and metadata and writes them as a safetensors file.
///
/// ```swift
/// var writer = SafeTensorsWriter(metadata: ["format": "pt"])
/// try writer.add("weight", shape: [4, 3], floats: w)              // F32
/// try writer.add("embedding", shape: [100, 8], floats: e, as: .f16) // stored as F16
/// try writer.add("lengths", shape: [3], integers: [5, 2, 4])        // I64
/// try writer.write(to: url)
/// ```
///
/// The output is deterministic and laid out as the reference implementation lays it out: the header lists
/// `__metadata__` (keys sorted) then the tensors in data order; the data is ordered by decreasing dtype size
/// (I64, then F32, then F16) and then by name, so every tensor starts at a multiple of its element size;
/// the header is padded with spaces to a multiple of 8 bytes. For tensors the reference can write, the
/// bytes are identical to `safetensors.torch.save_file` with the same metadata.
public struct SafeTensorsWriter: Sendable {
    /// How `add(_:shape:floats:as:)` stores `Float` values.
    public enum FloatFormat: Sendable {
        /// F32, exactly.
        case f32
        /// F16, rounded to nearest with ties to even. A finite value that F16 cannot hold (|x| ≥ 65520, which
        /// would round to infinity) is an error, not an infinity; infinities and NaNs are kept as they are.
        case f16
        /// Matrices as I8 with one F32 scale per row (a quarter of the size of F32): see `Int8Rows`.
        /// Tensors of fewer than two dimensions are stored as F16.
        case int8Rows
    }

    private enum Values: Sendable {
        case float32([Float])
        case float16([Float])
        case int64([Int64])
        case int8([Int8])

        var dtype: SafeTensorsDType {
            switch self {
            case .float32: return .f32
            case .float16: return .f16
            case .int64: return .i64
            case .int8: return .i8
            }
        }
    }

    private struct Entry: Sendable {
        var shape: [Int]
        var values: Values
        var byteCount: Int
    }

    /// The `__metadata__` to write (string to string); empty writes none.
    public var metadata: [String: String]
    private var entries: [String: Entry] = [:]

    /// Creates an empty writer.
    /// - Parameter metadata: the `__metadata__` to write.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Adds a float tensor.
    /// - Parameters:
    ///   - name: its name; must not be `__metadata__` nor already added.
    ///   - shape: its shape, e.g. `[rows, columns]`; `[]` for a scalar.
    ///   - floats: `shape.reduce(1, *)` values, row-major.
    ///   - format: `.f32` (default), `.f16`, or `.int8Rows` (a matrix becomes `name` in I8 plus
    ///     `name` + `Int8Rows.scaleSuffix` in F32, one scale per row).
    /// - Throws: `SafeTensorsError.invalidTensorToWrite` if the name is taken or reserved, a dimension is
    ///   negative, the value count does not match the shape, (`.f16`) a finite value overflows F16, or
    ///   (`.int8Rows`) a value is not finite.
    public mutating func add(_ name: String, shape: [Int], floats: [Float], as format: FloatFormat = .f32) throws(SafeTensorsError) {
        switch format {
        case .f32: try add(name, shape: shape, count: floats.count, values: .float32(floats))
        case .f16:
            try Self.checkHalfRange(floats, name: name)
            try add(name, shape: shape, count: floats.count, values: .float16(floats))
        case .int8Rows:
            guard shape.count >= 2 else {
                try Self.checkHalfRange(floats, name: name)
                try add(name, shape: shape, count: floats.count, values: .float16(floats))
                return
            }
            guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == floats.count else {
                try add(name, shape: shape, count: floats.count, values: .float32(floats))  // reports the mismatch
                return
            }
            guard floats.allSatisfy(\.isFinite) else {
                throw .invalidTensorToWrite(name: name, reason: "int8 storage needs finite values")
            }
            let scaleName = name + Int8Rows.scaleSuffix
            guard entries[scaleName] == nil else { throw .invalidTensorToWrite(name: scaleName, reason: "a tensor of this name was already added") }
            let (values, scales) = Int8Rows.quantize(floats, rows: shape[0])
            try add(name, shape: shape, count: values.count, values: .int8(values))
            try add(scaleName, shape: [shape[0]], count: scales.count, values: .float32(scales))
        }
    }

    /// The smallest magnitude that rounds to infinity in F16 (65504 is the largest finite half).
    static let halfOverflow: Float = 65520

    /// Refuses finite values that F16 would turn into infinities.
    private static func checkHalfRange(_ floats: [Float], name: String) throws(SafeTensorsError) {
        if let index = floats.firstIndex(where: { $0.isFinite && Swift.abs($0) >= halfOverflow }) {
            throw .invalidTensorToWrite(name: name, reason: "value \(index) (\(floats[index])) is beyond F16's range ±65504; store it as F32")
        }
    }

    /// Adds an I64 tensor.
    /// - Parameters:
    ///   - name: its name; must not be `__metadata__` nor already added.
    ///   - shape: its shape; `[]` for a scalar.
    ///   - integers: `shape.reduce(1, *)` values, row-major.
    /// - Throws: `SafeTensorsError.invalidTensorToWrite` as for floats.
    public mutating func add(_ name: String, shape: [Int], integers: [Int64]) throws(SafeTensorsError) {
        try add(name, shape: shape, count: integers.count, values: .int64(integers))
    }

    private mutating func add(_ name: String, shape: [Int], count: Int, values: Values) throws(SafeTensorsError) {
        guard name != "__metadata__" else {
            throw .invalidTensorToWrite(name: name, reason: "the name __metadata__ is reserved for the metadata")
        }
        guard entries[name] == nil else { throw .invalidTensorToWrite(name: name, reason: "a tensor of this name was already added") }
        var elements = 1
        for dimension in shape {
            guard dimension >= 0 else {
                throw .invalidTensorToWrite(name: name, reason: "shape \(shapeText(shape)) has a negative dimension")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .invalidTensorToWrite(name: name, reason: "shape \(shapeText(shape)) overflows") }
            elements = product
        }
        guard elements == count else {
            throw .invalidTensorToWrite(name: name, reason: "shape \(shapeText(shape)) holds \(elements) values but \(count) were given")
        }
        // count values of an array in memory, at most 8 bytes each: the byte count cannot overflow.
        entries[name] = Entry(shape: shape, values: values, byteCount: count * (values.dtype.bitWidth / 8))
    }

    /// The tensor names in the order their data will be written (decreasing dtype size, then name).
    public var names: [String] {
        entries.keys.sorted { a, b in
            let (sa, sb) = (entries[a]?.values.dtype.bitWidth ?? 0, entries[b]?.values.dtype.bitWidth ?? 0)
            return sa != sb ? sa > sb : a < b
        }
    }

    /// The whole file as bytes.
    /// - Throws: `SafeTensorsError.headerTooLarge` if the header would exceed the 100 MB limit.
    public func serialized() throws(SafeTensorsError) -> [UInt8] {
        var output: [UInt8] = []
        try emit { (chunk: [UInt8]) throws(SafeTensorsError) in output.append(contentsOf: chunk) }
        return output
    }

    /// Writes the file to `url` atomically: the data goes to a temporary file in the same folder, which is
    /// flushed and then renamed over `url`. On failure the temporary file is removed and any previous file
    /// at `url` is left unchanged. A replaced file keeps its permissions. (If `url` is a symbolic link, the
    /// link is replaced, not its target.)
    /// - Throws: `SafeTensorsError.writeFailed` on I/O errors, `.headerTooLarge` if the header would exceed
    ///   the 100 MB limit.
    public func write(to url: URL) throws(SafeTensorsError) {
        try write(toPath: url.path)
    }

    /// Writes the file to `path` atomically (see `write(to:)`).
    /// - Throws: `SafeTensorsError.writeFailed` on I/O errors, `.headerTooLarge` if the header would exceed
    ///   the 100 MB limit.
    public func write(toPath path: String) throws(SafeTensorsError) {
        let header = try headerBytes()  // fail before touching the disk
        try AtomicFileWriter.write(to: path) { (sink: inout FileSink) throws(SafeTensorsError) in
            try emit(header: header) { (chunk: [UInt8]) throws(SafeTensorsError) in try sink.write(chunk) }
        }
    }

    // MARK: Encoding

    private func emit(header precomputed: [UInt8]? = nil, _ send: ([UInt8]) throws(SafeTensorsError) -> Void) throws(SafeTensorsError) {
        let header: [UInt8]
        if let precomputed { header = precomputed } else { header = try headerBytes() }
        var length: [UInt8] = []
        let n = UInt64(header.count)
        for i in 0..<8 { length.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        try send(length)
        try send(header)
        for name in names {
            guard let entry = entries[name] else { continue }
            try send(encode(entry.values))
        }
    }

    /// The JSON header padded with spaces to a multiple of 8 bytes.
    private func headerBytes() throws(SafeTensorsError) -> [UInt8] {
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += jsonString("__metadata__") + ":{"
            json += metadata.keys.sorted().map { key in jsonString(key) + ":" + jsonString(metadata[key] ?? "") }
                .joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for name in names {
            guard let entry = entries[name] else { continue }
            if !first { json += "," }
            first = false
            let end = offset + entry.byteCount
            json += jsonString(name) + ":{\"dtype\":\"\(entry.values.dtype.rawValue)\",\"shape\":["
            json += entry.shape.map(String.init).joined(separator: ",")
            json += "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var bytes = Array(json.utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
        guard UInt64(bytes.count) <= SafeTensorsFormat.maximumHeaderLength else {
            throw .headerTooLarge(declaredLength: UInt64(bytes.count))
        }
        return bytes
    }

    private func encode(_ values: Values) -> [UInt8] {
        switch values {
        case .float32(let floats): return littleEndianBytes(floats) { $0.bitPattern }
        case .float16(let floats): return littleEndianBytes(floats) { HalfPrecision.f16Bits(from: $0) }
        case .int64(let integers): return littleEndianBytes(integers) { UInt64(bitPattern: $0) }
        case .int8(let integers): return integers.map { UInt8(bitPattern: $0) }
        }
    }
}

/// `values` converted by `bits` and stored little-endian, `Raw.bitWidth / 8` bytes each.
@inline(__always)
private func littleEndianBytes<Value, Raw: FixedWidthInteger>(_ values: [Value], _ bits: (Value) -> Raw) -> [UInt8] {
    let stride = MemoryLayout<Raw>.size
    // Capacity ≥ 1: with capacity 0 the standard library stores the count into its shared empty-array singleton, a data race (ThreadSanitizer) when threads do it at once.
    return [UInt8](unsafeUninitializedCapacity: Swift.max(values.count * stride, 1)) { output, initialized in
        let raw = UnsafeMutableRawBufferPointer(output)
        for (i, value) in values.enumerated() {
            raw.storeBytes(of: bits(value).littleEndian, toByteOffset: i * stride, as: Raw.self)
        }
        initialized = values.count * stride
    }
}

/// `text` as a JSON string literal, escaped as serde_json escapes it (so headers match the reference's):
/// `\"`, `\\`, `\b \f \n \r \t`, other control characters as `\u00xx`; everything else as UTF-8.
func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\u{08}": result += "\\b"
        case "\u{0C}": result += "\\f"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}
