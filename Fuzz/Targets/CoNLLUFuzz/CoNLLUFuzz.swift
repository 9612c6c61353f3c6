// Fuzzes the CoNLL-U reader on raw bytes (its UTF-8 check included). A thrown CoNLLUError is a correct
// answer; only a trap or a sanitizer report fails.
import RecurrentData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? CoNLLU.parse(bytes: bytes, fileName: "fuzz.conllu")
    return 0
}
