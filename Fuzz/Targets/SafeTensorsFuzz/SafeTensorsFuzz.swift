// Fuzzes SafeTensorsFile(bytes:) on whole files, then reads every tensor it accepted in each way the
// reader offers. A thrown SafeTensorsError is a correct answer; only a trap or a sanitizer report fails.
import RecurrentData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafeTensorsFile(bytes: bytes) else { return 0 }
    _ = file.sortedNames
    _ = file.metadata
    for name in file.names {
        _ = try? file.info(name)
        _ = try? file.shape(name)
        _ = try? file.bytes(name)
        _ = try? file.floats(name)
        _ = try? file.integers(name)
    }
    _ = file.contains("")
    _ = try? file.info("\u{0}missing")
    return 0
}
