import Foundation
import Testing
import TestSupport
@testable import RecurrentData

/// The golden files in ../shared/golden, or none when the folder is missing (`goldenFolderPresent` reports that).
let goldenFiles: [URL] = {
    let folder = SharedData.root.appendingPathComponent("golden")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".safetensors") }.sorted().map { folder.appendingPathComponent($0) }
}()

@Suite("Reading safetensors files")
struct SafeTensorsFileTests {
    // MARK: Golden files from PyTorch

    @Test("the golden folder is there and holds safetensors files")
    func goldenFolderPresent() {
        guard let folder = SharedData.require("golden") else { return }
        #expect(!goldenFiles.isEmpty, "no .safetensors files in \(folder.path)")
    }

    @Test("every golden file opens and every tensor converts", arguments: goldenFiles)
    func golden(_ url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(!file.tensors.isEmpty)
        #expect(file.names.count == Set(file.names).count)
        #expect(file.sortedNames == file.names.sorted())

        // The metadata's `case` is a JSON object naming the module.
        let caseText = try #require(file.metadata["case"])
        let caseJSON = try JSONSerialization.jsonObject(with: Data(caseText.utf8)) as? [String: Any]
        #expect(caseJSON?["module"] is String, "case = \(caseText)")

        var dataEnd = 0
        for info in file.tensors {
            #expect(info.dataOffsets.lowerBound == dataEnd, "tensors tile the data section")
            dataEnd = info.dataOffsets.upperBound
            #expect(try file.info(info.name) == info)
            #expect(try file.shape(info.name) == info.shape)
            #expect(info.elementCount == info.shape.reduce(1, *))
            if info.dtype.convertsToFloat {
                let values = try file.floats(info.name)
                #expect(values.count == info.elementCount)
                if info.dtype == .f32 { #expect(values.allSatisfy { $0.isFinite }, "\(info.name)") }
            }
            if info.dtype.convertsToInteger {
                #expect(try file.integers(info.name).count == info.elementCount)
            }
            #expect(info.dtype.convertsToFloat || info.dtype.convertsToInteger, "\(info.name) has dtype \(info.dtype)")
        }
        #expect(8 + file.headerLength + dataEnd == file.fileSize)
        #expect(file.headerLength % 8 == 0)
    }

    @Test("a golden LSTM case has PyTorch's names and shapes")
    func goldenLSTM() throws {
        guard let folder = SharedData.require("golden") else { return }
        let file = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("lstm_proj.safetensors"))
        let caseJSON = try #require(try JSONSerialization.jsonObject(with: Data((file.metadata["case"] ?? "").utf8)) as? [String: Any])
        let hidden = try #require(caseJSON["hidden_size"] as? Int)
        let input = try #require(caseJSON["input_size"] as? Int)
        let projection = try #require(caseJSON["proj_size"] as? Int)
        #expect(try file.shape("param.weight_ih_l0") == [4 * hidden, input])
        #expect(try file.shape("param.weight_hr_l0") == [projection, hidden])
        #expect(try file.info("param.weight_ih_l0").dtype == .f32)
    }

    // MARK: Conversions

    @Test("every convertible dtype converts to Float and Int64 as documented")
    func conversions() throws {
        let f32: [Float] = [1.5, -0.0, .infinity, 0x1p-149]
        let f16: [UInt16] = [0x3C00, 0x0001, 0xFC00, 0x7E00]
        let bf16: [UInt16] = [0x3F80, 0xC040, 0x0001, 0x7F80]
        let f64: [Double] = [0.1, 1e300, -2.5, 16_777_217]
        let i64: [Int64] = [.min, -1, 0, .max]
        let i32: [Int32] = [.min, -7, 7, .max]
        let i16: [Int16] = [.min, -3, 3, .max]
        let i8: [Int8] = [.min, -1, 1, .max]
        let u8: [UInt8] = [0, 1, 128, 255]
        let bool: [UInt8] = [0, 1, 1, 0]
        let parts: [(String, String, [UInt8])] = [
            ("f32", "F32", littleEndian(f32)), ("f16", "F16", littleEndian(f16)), ("bf16", "BF16", littleEndian(bf16)),
            ("f64", "F64", littleEndian(f64.map(\.bitPattern))), ("i64", "I64", littleEndian(i64)),
            ("i32", "I32", littleEndian(i32)), ("i16", "I16", littleEndian(i16)), ("i8", "I8", littleEndian(i8)),
            ("u8", "U8", u8), ("bool", "BOOL", bool), ("u16", "U16", littleEndian([UInt16](repeating: 1, count: 4))),
        ]
        var entries: [String] = []
        var data: [UInt8] = []
        for (name, dtype, bytes) in parts {
            entries.append(entry(name, dtype, [2, 2], data.count, data.count + bytes.count))
            data += bytes
        }
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: "{" + entries.joined(separator: ",") + "}", data: data))

        #expect(try file.floats("f32").map(\.bitPattern) == f32.map(\.bitPattern))
        let halves = try file.floats("f16")
        #expect(halves[0] == 1 && halves[1] == 0x1p-24 && halves[2] == -.infinity && halves[3].isNaN)
        #expect(try file.floats("bf16") == [1, -3, Float(bitPattern: 0x0001_0000), .infinity])
        #expect(try file.floats("f64") == [0.1, .infinity, -2.5, 16_777_216])  // rounded to nearest Float
        #expect(try file.floats("i64") == [-0x1p63, -1, 0, 0x1p63])
        #expect(try file.floats("i32") == [-0x1p31, -7, 7, 0x1p31])
        #expect(try file.floats("i8") == [-128, -1, 1, 127])
        #expect(try file.floats("u8") == [0, 1, 128, 255])
        #expect(try file.integers("i64") == i64)
        #expect(try file.integers("i32") == i32.map(Int64.init))
        #expect(try file.integers("i16") == i16.map(Int64.init))
        #expect(try file.integers("i8") == i8.map(Int64.init))
        #expect(try file.integers("u8") == u8.map(Int64.init))
        #expect(try file.integers("bool") == [0, 1, 1, 0])
        #expect(try file.bytes("u8") == u8)

        for (name, target) in [("bool", "Float"), ("u16", "Float")] {
            let error = thrownError { () throws(SafeTensorsError) in try file.floats(name) }
            #expect(error == .unsupportedConversion(tensor: name, dtype: try file.info(name).dtype, target: target))
        }
        for name in ["f32", "f16", "bf16", "f64", "u16"] {
            let error = thrownError { () throws(SafeTensorsError) in try file.integers(name) }
            #expect(error.map(caseName) == "unsupportedConversion")
            #expect(error?.description.contains("cannot convert") == true)
        }
    }

    @Test("an unknown tensor name is an error naming it")
    func tensorNotFound() throws {
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: "{" + entry("w", "F32", [1], 0, 4) + "}", data: [0, 0, 0, 0]))
        func check(_ error: SafeTensorsError?) {
            #expect(error == .tensorNotFound(name: "weight"))
            #expect(error?.description == #"no tensor named "weight""#)
        }
        check(thrownError { () throws(SafeTensorsError) in try file.floats("weight") })
        check(thrownError { () throws(SafeTensorsError) in try file.integers("weight") })
        check(thrownError { () throws(SafeTensorsError) in try file.shape("weight") })
        check(thrownError { () throws(SafeTensorsError) in try file.info("weight") })
        check(thrownError { () throws(SafeTensorsError) in try file.bytes("weight") })
        #expect(file.contains("w") && !file.contains("weight"))
    }

    @Test("a BOOL byte other than 0 or 1 is rejected, naming the tensor and element")
    func invalidBool() throws {
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: "{" + entry("mask", "BOOL", [3], 0, 3) + "}", data: [1, 0, 2]))
        let error = thrownError { () throws(SafeTensorsError) in try file.integers("mask") }
        #expect(error == .invalidBool(tensor: "mask", index: 2, byte: 2))
        #expect(error?.description.contains("BOOL element 2 is byte 2") == true)
    }

    // MARK: Valid edge cases

    @Test("files order names by data offset; zero-size tensors, scalars and padding are fine")
    func edgeCases() throws {
        let header = "  {" + [
            entry("z", "F32", [1], 4, 8),
            entry("empty2", "I64", [0, 5], 4, 4),
            entry("a", "F32", [], 0, 4),
            entry("empty1", "U8", [0], 4, 4),
            #""__metadata__":{"note":"line1\nline2","é":"✓"}"#,
            entry("F6", "F6_E2M3", [4], 8, 11),
        ].joined(separator: ",\n ") + "}\n\t        "
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 11)))
        #expect(file.names == ["a", "empty2", "empty1", "z", "F6"])
        #expect(file.sortedNames == ["F6", "a", "empty1", "empty2", "z"])
        #expect(try file.floats("a") == [0])
        #expect(try file.shape("a") == [])
        #expect(try file.info("a").elementCount == 1)
        #expect(try file.floats("empty1") == [])
        #expect(try file.integers("empty2") == [])
        #expect(try file.info("F6").byteCount == 3)
        #expect(file.metadata == ["note": "line1\nline2", "é": "✓"])
    }

    @Test("an empty header is a valid file with no tensors")
    func emptyFile() throws {
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: "{}      "))
        #expect(file.tensors.isEmpty && file.metadata.isEmpty && file.headerLength == 8)
    }

    @Test("all official dtypes are recognised, with their sizes", arguments: SafeTensorsDType.allCases)
    func dtypeSizes(_ dtype: SafeTensorsDType) throws {
        let bytes = 8 * dtype.bitWidth / 8  // 8 elements
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: "{" + entry("t", dtype.rawValue, [2, 4], 0, bytes) + "}",
                                                               data: [UInt8](repeating: 0, count: bytes)))
        #expect(try file.info("t").byteCount == bytes)
        #expect(try file.info("t").dtype == dtype)
    }

    @Test("a file truncated after opening gives an error, not a crash")
    func truncatedWhileOpen() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("shrinking.safetensors")
        try Data(safetensorsBytes(header: "{" + entry("w", "F32", [4], 0, 16) + "}", data: [UInt8](repeating: 0, count: 16))).write(to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 0)
        try handle.close()
        let error = thrownError { () throws(SafeTensorsError) in try file.floats("w") }
        #expect(error.map(caseName) == "unreadable")
    }
}
