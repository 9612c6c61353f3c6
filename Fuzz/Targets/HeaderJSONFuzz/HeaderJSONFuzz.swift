// Fuzzes the strict JSON parser of safetensors headers, and the header decoder built on it. The parser's
// contract is valid UTF-8 input (SafeTensorsHeader validates first), so other inputs are skipped here;
// a thrown error is a correct answer, only a trap or a sanitizer report fails.
@testable import RecurrentData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    // The decoder sees every input: it validates UTF-8 itself (the data section size is taken from the first byte).
    _ = try? SafeTensorsHeader.decode(bytes, dataSize: Int(bytes.first ?? 0) * 16)
    guard String(validating: bytes, as: UTF8.self) != nil else { return 0 }
    if let value = try? HeaderJSONParser.parse(bytes) { _ = value.kindDescription }
    return 0
}
