/// The decoded and validated header of a safetensors file: its tensors in data order and its metadata.
///
/// `decode` checks everything the reference implementation (huggingface/safetensors) checks, and more:
/// duplicate names and keys, unknown fields, exact integers, dimension products that overflow even when
/// another dimension is 0, and which problem it is (hole, overlap, out of range, trailing bytes).
struct SafeTensorsHeader {
    /// The tensors sorted by where their data lies (begin, end, then header order).
    var tensors: [SafeTensorsFile.TensorInfo]
    /// `__metadata__`, or empty when absent.
    var metadata: [String: String]

    private static let tensorFields: Set<String> = ["dtype", "shape", "data_offsets"]
    private static let metadataKey = "__metadata__"

    /// Decodes the header bytes (after the 8-byte length) of a file whose data section is `dataSize` bytes.
    static func decode(_ headerBytes: [UInt8], dataSize: Int) throws(SafeTensorsError) -> SafeTensorsHeader {
        if let badOffset = firstInvalidUTF8Offset(headerBytes) {
            throw .headerNotUTF8(byteOffset: badOffset)
        }
        let json: HeaderJSON
        do {
            json = try HeaderJSONParser.parse(headerBytes)
        } catch {
            throw .headerNotJSON(reason: error.reason, byteOffset: error.byteOffset)
        }
        guard case .object(let members) = json else {
            throw .headerNotObject(found: json.kindDescription)
        }

        var metadata: [String: String]? = nil
        var tensors: [(info: SafeTensorsFile.TensorInfo, headerIndex: Int)] = []
        var seenNames = Set<String>()
        tensors.reserveCapacity(members.count)
        for member in members {
            if member.key == metadataKey {
                guard metadata == nil else { throw .duplicateKey(key: metadataKey, location: "the header") }
                metadata = try decodeMetadata(member.value)
                continue
            }
            guard seenNames.insert(member.key).inserted else { throw .duplicateTensor(name: member.key) }
            let info = try decodeTensor(name: member.key, member.value, dataSize: dataSize)
            tensors.append((info, tensors.count))
        }

        // Lay the tensors out by offsets and check they tile the data section exactly.
        tensors.sort { a, b in
            let (ra, rb) = (a.info.dataOffsets, b.info.dataOffsets)
            if ra.lowerBound != rb.lowerBound { return ra.lowerBound < rb.lowerBound }
            if ra.upperBound != rb.upperBound { return ra.upperBound < rb.upperBound }
            return a.headerIndex < b.headerIndex
        }
        var expectedBegin = 0
        var previousName: String? = nil
        for (info, _) in tensors {
            let range = info.dataOffsets
            if range.lowerBound > expectedBegin {
                throw .dataGap(tensor: info.name, begin: range.lowerBound, expectedBegin: expectedBegin)
            }
            if range.lowerBound < expectedBegin, let previousName {
                throw .dataOverlap(tensor: info.name, other: previousName, begin: range.lowerBound, otherEnd: expectedBegin)
            }
            expectedBegin = range.upperBound
            previousName = info.name
        }
        // Each end was checked against dataSize, so only trailing bytes remain possible.
        if expectedBegin < dataSize {
            throw .trailingBytes(count: dataSize - expectedBegin, dataEnd: expectedBegin)
        }
        return SafeTensorsHeader(tensors: tensors.map(\.info), metadata: metadata ?? [:])
    }

    // MARK: Entries

    private static func decodeMetadata(_ value: HeaderJSON) throws(SafeTensorsError) -> [String: String] {
        guard case .object(let members) = value else { throw .metadataNotObject(found: value.kindDescription) }
        var metadata: [String: String] = [:]
        metadata.reserveCapacity(members.count)
        for member in members {
            guard case .string(let text) = member.value else {
                throw .metadataValueNotString(key: member.key, found: member.value.kindDescription)
            }
            guard metadata.updateValue(text, forKey: member.key) == nil else {
                throw .duplicateKey(key: member.key, location: "__metadata__")
            }
        }
        return metadata
    }

    private static func decodeTensor(name: String, _ value: HeaderJSON, dataSize: Int) throws(SafeTensorsError) -> SafeTensorsFile.TensorInfo {
        guard case .object(let members) = value else {
            throw .tensorEntryNotObject(tensor: name, found: value.kindDescription)
        }
        var fields: [String: HeaderJSON] = [:]
        for member in members {
            guard tensorFields.contains(member.key) else { throw .unexpectedField(tensor: name, field: member.key) }
            guard fields.updateValue(member.value, forKey: member.key) == nil else {
                throw .duplicateKey(key: member.key, location: "tensor \(quoted(name))")
            }
        }
        guard let dtypeValue = fields["dtype"] else { throw .missingField(tensor: name, field: "dtype") }
        guard let shapeValue = fields["shape"] else { throw .missingField(tensor: name, field: "shape") }
        guard let offsetsValue = fields["data_offsets"] else { throw .missingField(tensor: name, field: "data_offsets") }

        // dtype
        guard case .string(let dtypeName) = dtypeValue else {
            throw .invalidFieldType(tensor: name, field: "dtype", expected: "a string", found: dtypeValue.kindDescription)
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw .unknownDtype(tensor: name, dtype: dtypeName)
        }

        // shape
        guard case .array(let dimensionValues) = shapeValue else {
            throw .invalidFieldType(tensor: name, field: "shape", expected: "a list of integers", found: shapeValue.kindDescription)
        }
        var shape: [Int] = []
        shape.reserveCapacity(dimensionValues.count)
        for (axis, dimensionValue) in dimensionValues.enumerated() {
            switch nonNegativeInt(dimensionValue) {
            case .success(let dimension): shape.append(dimension)
            case .failure(let problem): throw .invalidShape(tensor: name, reason: "dimension \(axis) \(problem.text)")
            }
        }

        // data_offsets
        guard case .array(let offsetValues) = offsetsValue else {
            throw .invalidFieldType(tensor: name, field: "data_offsets", expected: "a list of two integers", found: offsetsValue.kindDescription)
        }
        guard offsetValues.count == 2 else {
            throw .invalidOffsets(tensor: name, reason: "expected 2 integers [begin, end], found \(offsetValues.count) values")
        }
        var offsets: [Int] = []
        for (position, offsetValue) in zip(["begin", "end"], offsetValues) {
            switch nonNegativeInt(offsetValue) {
            case .success(let offset): offsets.append(offset)
            case .failure(let problem): throw .invalidOffsets(tensor: name, reason: "\(position) \(problem.text)")
            }
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else { throw .reversedOffsets(tensor: name, begin: begin, end: end) }
        guard end <= dataSize else { throw .offsetsBeyondEndOfData(tensor: name, end: end, dataSize: dataSize) }

        // size = product(shape) × bits / 8, all checked. The product of the non-zero dimensions must fit too,
        // so that strides computed later from this shape cannot overflow.
        var elements = 1
        var nonZeroProduct = 1
        for dimension in shape {
            if dimension != 0 {
                let (product, overflow) = nonZeroProduct.multipliedReportingOverflow(by: dimension)
                if overflow { throw .sizeOverflow(tensor: name, dtype: dtype, shape: shape) }
                nonZeroProduct = product
            }
            elements = dimension == 0 ? 0 : elements &* dimension  // ≤ nonZeroProduct, cannot overflow
        }
        if nonZeroProduct.multipliedReportingOverflow(by: dtype.bitWidth).overflow {
            throw .sizeOverflow(tensor: name, dtype: dtype, shape: shape)
        }
        let bits = elements * dtype.bitWidth
        guard bits % 8 == 0 else { throw .partialByte(tensor: name, dtype: dtype, shape: shape, bits: bits) }
        let byteCount = bits / 8
        guard byteCount == end - begin else {
            throw .sizeMismatch(tensor: name, dtype: dtype, shape: shape, expectedBytes: byteCount, declaredBytes: end - begin)
        }
        return SafeTensorsFile.TensorInfo(name: name, dtype: dtype, shape: shape, elementCount: elements,
                                          byteCount: byteCount, dataOffsets: begin..<end)
    }

    // MARK: Helpers

    private struct IntegerProblem: Error {
        var text: String
    }

    /// A JSON value that must be an integer in 0 ... Int.max.
    private static func nonNegativeInt(_ value: HeaderJSON) -> Result<Int, IntegerProblem> {
        guard case .number(let number) = value else {
            return .failure(IntegerProblem(text: "is \(value.kindDescription), expected a non-negative integer"))
        }
        let shown = number.text.count > 40 ? String(number.text.prefix(40)) + "…" : number.text
        switch number.integer {
        case .nonNegative(let magnitude):
            guard magnitude <= UInt64(Int.max) else {
                return .failure(IntegerProblem(text: "is \(shown), too large (at most \(Int.max))"))
            }
            return .success(Int(magnitude))
        case .negative:
            return .failure(IntegerProblem(text: "is \(shown), which is negative"))
        case .outOfRange:
            return .failure(IntegerProblem(text: "is \(shown), too large (at most \(Int.max))"))
        case .notAnInteger:
            return .failure(IntegerProblem(text: "is \(shown), not an integer"))
        }
    }

    /// The offset of the first byte that does not belong to valid UTF-8, or nil if all of it is valid.
    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
            case .emptyInput:
                return nil
            case .error:
                return offset
            }
        }
    }
}
