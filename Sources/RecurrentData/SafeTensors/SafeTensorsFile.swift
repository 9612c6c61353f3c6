import Foundation

/// A safetensors file opened for reading: its header is read and fully validated when it is opened, and
/// tensor data is read from the file only when asked for (with `pread`, so nothing is allocated from a
/// size the file declares before it is checked against the real file size).
///
/// ```swift
/// let file = try SafeTensorsFile(path: "lstm.safetensors")
/// let weights = try file.floats("weight_ih_l0")   // [4 * hidden * input], row-major
/// let shape = try file.shape("weight_ih_l0")      // [4 * hidden, input]
/// ```
///
/// Values are row-major (C order), little-endian on disk. All throwing members throw `SafeTensorsError`.
/// An instance is immutable; reading tensors from several threads at once is safe.
public final class SafeTensorsFile: @unchecked Sendable {
    /// What the header says about one tensor.
    public struct TensorInfo: Equatable, Sendable {
        /// The tensor's name (a PyTorch `state_dict` key such as `"encoder.weight_ih_l0"`).
        public var name: String
        /// Its element type.
        public var dtype: SafeTensorsDType
        /// Its shape, outermost dimension first; `[]` for a scalar.
        public var shape: [Int]
        /// The number of elements: the product of `shape` (1 for a scalar).
        public var elementCount: Int
        /// The number of bytes of its data.
        public var byteCount: Int
        /// Where its data lies, relative to the start of the data section (the header's `data_offsets`).
        public var dataOffsets: Range<Int>

        /// Creates a description of one tensor (the reader makes these; public for tests and tools).
        public init(name: String, dtype: SafeTensorsDType, shape: [Int], elementCount: Int, byteCount: Int, dataOffsets: Range<Int>) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.elementCount = elementCount
            self.byteCount = byteCount
            self.dataOffsets = dataOffsets
        }
    }

    /// The tensors in the order their data is stored in the file.
    public let tensors: [TensorInfo]
    /// The `__metadata__` of the header (string to string), empty when it has none.
    public let metadata: [String: String]
    /// The length of the JSON header in bytes (as declared in the first 8 bytes, padding included).
    public let headerLength: Int
    /// The total size of the file in bytes: 8 + `headerLength` + the data.
    public var fileSize: Int { source.size }

    private let source: any ByteSource
    private let indexByName: [String: Int]

    /// Opens and validates the safetensors file at `url` (a file URL).
    /// - Throws: `SafeTensorsError` if the file cannot be read or is not a valid safetensors file.
    public convenience init(contentsOf url: URL) throws(SafeTensorsError) {
        try self.init(path: url.path)
    }

    /// Opens and validates the safetensors file at `path`.
    /// - Throws: `SafeTensorsError` if the file cannot be read or is not a valid safetensors file.
    public convenience init(path: String) throws(SafeTensorsError) {
        try self.init(source: FileByteSource(path: path))
    }

    /// Validates a safetensors file held in memory.
    /// - Parameter bytes: the whole file.
    /// - Throws: `SafeTensorsError` if `bytes` is not a valid safetensors file.
    public convenience init(bytes: [UInt8]) throws(SafeTensorsError) {
        try self.init(source: MemoryByteSource(bytes))
    }

    private init(source: any ByteSource) throws(SafeTensorsError) {
        let size = source.size
        guard size >= 8 else { throw .fileTooShort(byteCount: size) }
        let lengthBytes = try source.bytes(at: 0, count: 8)
        var declared: UInt64 = 0
        for (i, byte) in lengthBytes.enumerated() {
            declared |= UInt64(byte) << (8 * UInt64(i))
        }
        guard declared <= SafeTensorsFormat.maximumHeaderLength else { throw .headerTooLarge(declaredLength: declared) }
        // declared ≤ 1e8, so it converts to Int; size ≥ 8 so size - 8 cannot underflow.
        let headerLength = Int(declared)
        guard headerLength <= size - 8 else { throw .headerBeyondEndOfFile(declaredLength: declared, fileSize: size) }
        let headerBytes = try source.bytes(at: 8, count: headerLength)
        let header = try SafeTensorsHeader.decode(headerBytes, dataSize: size - 8 - headerLength)

        self.source = source
        self.headerLength = headerLength
        self.tensors = header.tensors
        self.metadata = header.metadata
        var index: [String: Int] = [:]
        for (i, info) in header.tensors.enumerated() { index[info.name] = i }
        self.indexByName = index
    }

    // MARK: Names and shapes

    /// The tensor names in the order their data is stored in the file (files written by the reference
    /// implementation, and by `SafeTensorsWriter`, store them by decreasing dtype size, then by name).
    public var names: [String] { tensors.map(\.name) }

    /// The tensor names sorted in ascending order.
    public var sortedNames: [String] { names.sorted() }

    /// Whether the file has a tensor called `name`.
    public func contains(_ name: String) -> Bool {
        indexByName[name] != nil
    }

    /// What the header says about tensor `name`.
    /// - Throws: `SafeTensorsError.tensorNotFound` naming it if there is no such tensor.
    public func info(_ name: String) throws(SafeTensorsError) -> TensorInfo {
        guard let index = indexByName[name] else { throw .tensorNotFound(name: name) }
        return tensors[index]
    }

    /// The shape of tensor `name`, outermost dimension first (`[]` for a scalar).
    /// - Throws: `SafeTensorsError.tensorNotFound` naming it if there is no such tensor.
    public func shape(_ name: String) throws(SafeTensorsError) -> [Int] {
        try info(name).shape
    }

    // MARK: Data

    /// The raw little-endian bytes of tensor `name`.
    /// - Returns: `info(name).byteCount` bytes.
    /// - Throws: `SafeTensorsError.tensorNotFound`, or `.unreadable` if the file cannot be read.
    public func bytes(_ name: String) throws(SafeTensorsError) -> [UInt8] {
        let info = try info(name)
        return try source.bytes(at: 8 + headerLength + info.dataOffsets.lowerBound, count: info.byteCount)
    }

    /// The values of tensor `name` as `Float`, row-major: `shape(name).reduce(1, *)` elements.
    ///
    /// F32 is returned as stored; F16 and BF16 are widened exactly (subnormals, infinities and NaN included);
    /// F64 is rounded to nearest; I64, I32, I16, I8 and U8 are converted (integers beyond 2^24 round).
    /// - Throws: `SafeTensorsError.tensorNotFound`, `.unsupportedConversion` for other dtypes (BOOL, U16,
    ///   U32, U64, C64, the 4-, 6- and 8-bit floats), or `.unreadable`.
    public func floats(_ name: String) throws(SafeTensorsError) -> [Float] {
        let info = try info(name)
        guard info.dtype.convertsToFloat else {
            throw .unsupportedConversion(tensor: name, dtype: info.dtype, target: "Float")
        }
        let raw = try bytes(name)
        let count = info.elementCount
        switch info.dtype {
        case .f32: return decode(raw, count, UInt32.self) { Float(bitPattern: $0) }
        case .f16: return decode(raw, count, UInt16.self) { HalfPrecision.float(fromF16Bits: $0) }
        case .bf16: return decode(raw, count, UInt16.self) { HalfPrecision.float(fromBF16Bits: $0) }
        case .f64: return decode(raw, count, UInt64.self) { Float(Double(bitPattern: $0)) }
        case .i64: return decode(raw, count, UInt64.self) { Float(Int64(bitPattern: $0)) }
        case .i32: return decode(raw, count, UInt32.self) { Float(Int32(bitPattern: $0)) }
        case .i16: return decode(raw, count, UInt16.self) { Float(Int16(bitPattern: $0)) }
        case .i8: return decode(raw, count, UInt8.self) { Float(Int8(bitPattern: $0)) }
        case .u8: return decode(raw, count, UInt8.self) { Float($0) }
        default: throw .unsupportedConversion(tensor: name, dtype: info.dtype, target: "Float")
        }
    }

    /// The values of tensor `name` as `Int64`, row-major: `shape(name).reduce(1, *)` elements.
    ///
    /// I64, I32, I16, I8 and U8 convert exactly; BOOL gives 0 or 1.
    /// - Throws: `SafeTensorsError.tensorNotFound`, `.unsupportedConversion` for float and other dtypes,
    ///   `.invalidBool` if a BOOL byte is neither 0 nor 1, or `.unreadable`.
    public func integers(_ name: String) throws(SafeTensorsError) -> [Int64] {
        let info = try info(name)
        guard info.dtype.convertsToInteger else {
            throw .unsupportedConversion(tensor: name, dtype: info.dtype, target: "Int64")
        }
        let raw = try bytes(name)
        let count = info.elementCount
        switch info.dtype {
        case .i64: return decode(raw, count, UInt64.self) { Int64(bitPattern: $0) }
        case .i32: return decode(raw, count, UInt32.self) { Int64(Int32(bitPattern: $0)) }
        case .i16: return decode(raw, count, UInt16.self) { Int64(Int16(bitPattern: $0)) }
        case .i8: return decode(raw, count, UInt8.self) { Int64(Int8(bitPattern: $0)) }
        case .u8: return decode(raw, count, UInt8.self) { Int64($0) }
        case .bool:
            if let bad = raw.firstIndex(where: { $0 > 1 }) {
                throw .invalidBool(tensor: name, index: bad, byte: raw[bad])
            }
            return decode(raw, count, UInt8.self) { Int64($0) }
        default: throw .unsupportedConversion(tensor: name, dtype: info.dtype, target: "Int64")
        }
    }
}

/// Converts `count` little-endian values of type `Raw` packed in `bytes` (which holds at least
/// `count * Raw.bitWidth / 8` bytes, as validated from the header).
@inline(__always)
private func decode<Raw: FixedWidthInteger, Value>(_ bytes: [UInt8], _ count: Int, _: Raw.Type,
                                                   _ convert: (Raw) -> Value) -> [Value] {
    let stride = MemoryLayout<Raw>.size
    assert(bytes.count == count * stride, "tensor byte count was validated against its shape")
    let available = min(count, bytes.count / stride)  // equal to count; never read out of bounds regardless
    // Capacity ≥ 1: with capacity 0 the standard library stores the count into its shared empty-array singleton, a data race (ThreadSanitizer) when threads do it at once.
    return [Value](unsafeUninitializedCapacity: Swift.max(available, 1)) { output, initialized in
        bytes.withUnsafeBytes { input in
            for i in 0..<available {
                let raw = Raw(littleEndian: input.loadUnaligned(fromByteOffset: i * stride, as: Raw.self))
                output.initializeElement(at: i, to: convert(raw))
            }
        }
        initialized = available
    }
}
