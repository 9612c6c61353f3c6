import Foundation
import Testing
@testable import RecurrentData

/// Bytes of a safetensors file: the 8-byte length (`declaredLength`, or the header's real length), the
/// header, the data.
func safetensorsBytes(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    safetensorsBytes(headerBytes: Array(header.utf8), data: data, declaredLength: declaredLength)
}

/// As `safetensorsBytes(header:data:declaredLength:)` with raw header bytes (e.g. invalid UTF-8).
func safetensorsBytes(headerBytes: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let n = declaredLength ?? UInt64(headerBytes.count)
    var bytes = (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) }
    bytes += headerBytes
    bytes += data
    return bytes
}

/// A header entry `"name":{"dtype":...,"shape":[...],"data_offsets":[b,e]}`.
func entry(_ name: String, _ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
    "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(end)]}"
}

/// The error thrown by `body`, or nil (recording an issue) if it does not throw.
func thrownError<T>(sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () throws(SafeTensorsError) -> T) -> SafeTensorsError? {
    do {
        _ = try body()
        Issue.record("expected a SafeTensorsError, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// The case name of an error (`"dataGap"` for `.dataGap(...)`).
func caseName(_ error: SafeTensorsError) -> String {
    Mirror(reflecting: error).children.first?.label ?? String(describing: error)
}

/// A fresh empty folder under the system's temporary folder; removed by `removeTemporaryFolder`.
func makeTemporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("recurrent-safetensors-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Removes a folder made by `makeTemporaryFolder`.
func removeTemporaryFolder(_ url: URL) {
    try? FileManager.default.removeItem(at: url)
}

/// The names in `folder`, sorted.
func folderContents(_ folder: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
}

/// Little-endian bytes of fixed-width integers.
func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}

/// Little-endian bytes of floats.
func littleEndian(_ values: [Float]) -> [UInt8] {
    littleEndian(values.map(\.bitPattern))
}
