// Fuzzes the CMUdict reader (text as read from a file: invalid UTF-8 becomes U+FFFD, as String(decoding:)
// does), then the helpers that consume its entries. A thrown error is a correct answer; only a trap or a
// sanitizer report fails.
import RecurrentApps

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let entries = try? G2PDictionary.parse(String(decoding: bytes, as: UTF8.self), name: "fuzz.dict") else { return 0 }
    let grouped = G2PDictionary.grouped(entries)
    _ = G2PDictionary.split(entries, heldOutWords: grouped.count / 2, seed: 1)
    return 0
}
