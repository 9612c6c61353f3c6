import Foundation
import Testing
import TestSupport
@testable import RecurrentData

@Suite("Writing safetensors files")
struct SafeTensorsWriterTests {
    // MARK: Round trips

    @Test("F32, F16 and I64 tensors with metadata round-trip through a file")
    func roundTrip() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("model.safetensors")

        let weights: [Float] = [1, -2.5, .pi, -0.0, .infinity, -.infinity, 0x1p-149, .greatestFiniteMagnitude,
                                Float(bitPattern: 0x7FC0_1234), 1e-8, 3e-5, 70_000]
        let exactHalves: [Float] = [0, -0.0, 1, -2, 0.5, 65504, 0x1p-24, -0x1p-14, .infinity]
        let metadata = ["case": #"{"module": "LSTM", "hidden_size": 8}"#, "quote\"back\\slash": "tab\tnew\nline\u{1}",
                        "ünïcødé": "✓ 😀", "": "empty key"]
        var writer = SafeTensorsWriter(metadata: metadata)
        try writer.add("lstm.weight_ih_l0", shape: [3, 4], floats: weights)
        try writer.add("exact.half", shape: [9], floats: exactHalves, as: .f16)
        // F16 keeps infinities and NaNs; finite values it cannot hold are refused (SafeTensorsWriterRangeTests).
        try writer.add("rounded.half", shape: [2, 6], floats: weights.map { $0.isFinite && abs($0) >= 65520 ? 65519 : $0 }, as: .f16)
        try writer.add("lengths", shape: [4], integers: [.min, -1, 0, .max])
        try writer.add("scalar", shape: [], floats: [42])
        try writer.add("empty", shape: [0, 3], integers: [])
        try writer.write(to: url)

        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.metadata == metadata)
        #expect(file.sortedNames == ["empty", "exact.half", "lengths", "lstm.weight_ih_l0", "rounded.half", "scalar"])
        #expect(try file.floats("lstm.weight_ih_l0").map(\.bitPattern) == weights.map(\.bitPattern))
        #expect(try file.shape("lstm.weight_ih_l0") == [3, 4])
        #expect(try file.info("exact.half").dtype == .f16)
        #expect(try file.floats("exact.half").map(\.bitPattern) == exactHalves.map(\.bitPattern))
        let rounded = try file.floats("rounded.half")
        for (stored, original) in zip(rounded, weights.map { $0.isFinite && abs($0) >= 65520 ? 65519 : $0 }) {
            let expected = HalfPrecision.float(fromF16Bits: HalfPrecision.f16Bits(from: original))
            #expect(stored.bitPattern == expected.bitPattern || (stored.isNaN && original.isNaN))
        }
        #expect(rounded[2] == 3.140625 && rounded[9] == 0 && rounded[10] == 0x1p-24 * 503 && rounded[11] == 65504)  // 70000 was replaced by 65519, which rounds to 65504
        #expect(try file.integers("lengths") == [.min, -1, 0, .max])
        #expect(try file.shape("scalar") == [] && (try file.floats("scalar")) == [42])
        #expect(try file.shape("empty") == [0, 3] && (try file.integers("empty")).isEmpty)
        #expect(try Array(Data(contentsOf: url)) == (try writer.serialized()))
    }

    @Test("an empty writer writes a valid empty file")
    func empty() throws {
        let file = try SafeTensorsFile(bytes: try SafeTensorsWriter().serialized())
        #expect(file.tensors.isEmpty && file.metadata.isEmpty)
    }

    // MARK: Layout and reference compatibility

    @Test("layout: I64, then F32, then F16, each by name; aligned data; header padded with spaces to 8")
    func layout() throws {
        for nameLength in 1...9 {
            var writer = SafeTensorsWriter()
            let prefix = String(repeating: "n", count: nameLength)
            try writer.add(prefix + "b", shape: [1], floats: [1], as: .f16)
            try writer.add(prefix + "a", shape: [3], floats: [1, 2, 3])
            try writer.add(prefix + "c", shape: [1], integers: [7])
            try writer.add(prefix + "a16", shape: [1], floats: [1], as: .f16)
            try writer.add(prefix + "b32", shape: [1], floats: [1])
            let expectedOrder = ["c", "a", "b32", "a16", "b"].map { prefix + $0 }
            #expect(writer.names == expectedOrder)
            let bytes = try writer.serialized()
            let file = try SafeTensorsFile(bytes: bytes)
            #expect(file.names == expectedOrder)
            #expect(file.headerLength % 8 == 0)
            let header = bytes[8..<(8 + file.headerLength)]
            let json = String(decoding: header, as: UTF8.self)
            #expect(json.hasPrefix("{\"\(prefix)c\":"))
            let trimmed = json.reversed().drop { $0 == " " }
            #expect(trimmed.first == "}" && json.count - trimmed.count < 8)
            for info in file.tensors {
                #expect((8 + file.headerLength + info.dataOffsets.lowerBound) % (info.dtype.bitWidth / 8) == 0)
            }
        }
    }

    @Test("the order tensors are added in does not change the bytes")
    func deterministic() throws {
        var a = SafeTensorsWriter(metadata: ["y": "2", "x": "1"])
        try a.add("w", shape: [2], floats: [1, 2])
        try a.add("v", shape: [1], integers: [3])
        try a.add("u", shape: [1], floats: [4], as: .f16)
        var b = SafeTensorsWriter()
        try b.add("u", shape: [1], floats: [4], as: .f16)
        try b.add("v", shape: [1], integers: [3])
        try b.add("w", shape: [2], floats: [1, 2])
        b.metadata = ["x": "1", "y": "2"]
        #expect(try a.serialized() == (try b.serialized()))
    }

    @Test("bytes match the reference implementation's own test vectors")
    func referenceVectors() throws {
        // safetensors' test_serialization: one F32 [1, 2, 3] tensor "attn.0" holding 0 ... 5.
        var writer = SafeTensorsWriter()
        try writer.add("attn.0", shape: [1, 2, 3], floats: [0, 1, 2, 3, 4, 5])
        let expected: [UInt8] = [
            64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
            58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
            101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
            0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
        ]
        #expect(try writer.serialized() == expected)
        // test_empty, without and with metadata.
        #expect(try SafeTensorsWriter().serialized() == [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
        let withMetadata = try SafeTensorsWriter(metadata: ["framework": "pt"]).serialized()
        #expect(withMetadata == [40, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"__metadata__":{"framework":"pt"}}     "#.utf8))
    }

    @Test("I64, F32 and F16 tensors with metadata give the bytes of safetensors 0.8.0's save_file")
    func referenceF16() throws {
        // Written by safetensors.numpy.save_file (0.8.0) with metadata {"note": "q\"\né"}; numpy's float16
        // conversion rounds to nearest even as ours does (3.14159 → 0x4248).
        let reference = "QAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJub3RlIjoicVwiXG7DqSJ9LCJjIjp7ImR0eXBlIjoiSTY0Iiwic2hhcGUiOlsyXSwi"
            + "ZGF0YV9vZmZzZXRzIjpbMCwxNl19LCJhIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMTYsMjhdfSwi"
            + "YjMyIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsxLDFdLCJkYXRhX29mZnNldHMiOlsyOCwzMl19LCJhMTYiOnsiZHR5cGUiOiJGMTYi"
            + "LCJzaGFwZSI6W10sImRhdGFfb2Zmc2V0cyI6WzMyLDM0XX0sImgiOnsiZHR5cGUiOiJGMTYiLCJzaGFwZSI6WzRdLCJkYXRhX29mZnNl"
            + "dHMiOlszNCw0Ml19fSAgICAgIAcAAAAAAAAA//////////8AAIA/AAAAQAAAQEAAAAA/AMAAPP97AQBIQg=="
        var writer = SafeTensorsWriter(metadata: ["note": "q\"\né"])
        try writer.add("h", shape: [4], floats: [1, 65504, 0x1p-24, 3.14159], as: .f16)
        try writer.add("a16", shape: [], floats: [-2], as: .f16)
        try writer.add("b32", shape: [1, 1], floats: [0.5])
        try writer.add("a", shape: [3], floats: [1, 2, 3])
        try writer.add("c", shape: [2], integers: [7, -1])
        #expect(try writer.serialized() == Array(try #require(Data(base64Encoded: reference))))
    }

    @Test("rewriting a golden file (F32 and I64 only) reproduces PyTorch's bytes exactly", arguments: goldenFiles)
    func goldenRewrite(_ url: URL) throws {
        let original = try SafeTensorsFile(contentsOf: url)
        guard original.tensors.allSatisfy({ $0.dtype == .f32 || $0.dtype == .i64 }) else { return }  // U8 masks: not written
        var writer = SafeTensorsWriter(metadata: original.metadata)
        for info in original.tensors {
            if info.dtype == .f32 {
                try writer.add(info.name, shape: info.shape, floats: try original.floats(info.name))
            } else {
                try writer.add(info.name, shape: info.shape, integers: try original.integers(info.name))
            }
        }
        #expect(try writer.serialized() == Array(try Data(contentsOf: url)))
    }

    @Test("control characters in names and metadata are escaped as serde_json escapes them")
    func escaping() {
        #expect(jsonString("a\"b\\c") == #""a\"b\\c""#)
        #expect(jsonString("\u{8}\u{c}\n\r\t") == #""\b\f\n\r\t""#)
        #expect(jsonString("\u{0}\u{1f}\u{7f}é") == "\"\\u0000\\u001f\u{7f}é\"")
    }

    // MARK: Invalid input

    @Test("inconsistent tensors are refused with a message naming them")
    func invalidTensors() throws {
        var writer = SafeTensorsWriter()
        try writer.add("w", shape: [2], floats: [1, 2])
        func check(_ name: String, _ reason: String, _ error: SafeTensorsError?) {
            #expect(error.map(caseName) == "invalidTensorToWrite")
            #expect(error?.description.contains(quoted(name)) == true && error?.description.contains(reason) == true,
                    "\(String(describing: error))")
        }
        check("w", "already added", thrownError { () throws(SafeTensorsError) in try writer.add("w", shape: [1], floats: [1]) })
        check("m", "holds 6 values but 2 were given",
              thrownError { () throws(SafeTensorsError) in try writer.add("m", shape: [2, 3], floats: [1, 2]) })
        check("n", "negative dimension", thrownError { () throws(SafeTensorsError) in try writer.add("n", shape: [-1], integers: []) })
        check("o", "overflows", thrownError { () throws(SafeTensorsError) in try writer.add("o", shape: [Int.max, 2], integers: []) })
        check("__metadata__", "reserved",
              thrownError { () throws(SafeTensorsError) in try writer.add("__metadata__", shape: [], integers: [1]) })
        #expect(writer.names == ["w"])
    }

    // MARK: Atomic replacement

    @Test("writing leaves no temporary file and replaces the old file")
    func atomicReplace() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("m.safetensors")
        var first = SafeTensorsWriter(metadata: ["version": "1"])
        try first.add("a", shape: [1], floats: [1])
        try first.write(to: url)
        #expect(folderContents(folder) == ["m.safetensors"])

        var second = SafeTensorsWriter(metadata: ["version": "2"])
        try second.add("b", shape: [2], integers: [1, 2])
        try second.write(to: url)
        #expect(folderContents(folder) == ["m.safetensors"])
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.metadata == ["version": "2"] && file.names == ["b"])

    }

    @Test("temporary files go in the destination's folder", arguments: [
        ("m.safetensors", nil, "m.safetensors"),
        ("dir/m.safetensors", "dir", "m.safetensors"),
        ("/m.safetensors", "/", "m.safetensors"),
        ("/a/b/m.safetensors", "/a/b", "m.safetensors"),
    ] as [(String, String?, String)])
    func splitPath(_ path: String, _ directory: String?, _ base: String) {
        let split = AtomicFileWriter.splitPath(path)
        #expect(split.directory == directory && split.base == base)
    }

    @Test("replacing a file keeps its permissions")
    func keepsPermissions() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("private.safetensors")
        let writer = SafeTensorsWriter(metadata: ["a": "b"])
        try writer.write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        try writer.write(to: url)
        let permissions = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test("a failed write removes its temporary file and leaves the old file untouched")
    func atomicFailure() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("m.safetensors")
        var writer = SafeTensorsWriter(metadata: ["version": "1"])
        try writer.add("a", shape: [1], floats: [1])
        try writer.write(to: url)
        let before = try Data(contentsOf: url)

        // Failure in the middle of writing.
        let failure = thrownError { () throws(SafeTensorsError) in
            try AtomicFileWriter.write(to: url.path) { (sink: inout FileSink) throws(SafeTensorsError) in
                try sink.write([1, 2, 3])
                throw .writeFailed(path: url.path, reason: "simulated disk full")
            }
        }
        #expect(failure?.description == "cannot write the file: simulated disk full")
        #expect(folderContents(folder) == ["m.safetensors"])
        #expect(try Data(contentsOf: url) == before)

        // Failure at the rename: the destination is a non-empty directory.
        let directory = folder.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        try Data([1]).write(to: directory.appendingPathComponent("keep"))
        let renameError = thrownError { () throws(SafeTensorsError) in try writer.write(to: directory) }
        #expect(renameError.map(caseName) == "writeFailed")
        #expect(renameError?.description.contains("rename") == true)
        #expect(folderContents(folder) == ["m.safetensors", "occupied"])

        // Failure at creation: the folder does not exist.
        let nowhere = folder.appendingPathComponent("missing/m.safetensors")
        let createError = thrownError { () throws(SafeTensorsError) in try writer.write(to: nowhere) }
        #expect(createError?.description.contains("No such file or directory") == true)
        #expect(try Data(contentsOf: url) == before)
    }
}

@Suite("SafeTensorsWriter refuses what its format cannot hold")
struct SafeTensorsWriterRangeTests {
    @Test("F16: a finite value that would round to infinity is an error naming the tensor; 65504 and infinities are kept")
    func halfOverflow() throws {
        var writer = SafeTensorsWriter()
        try writer.add("ok", shape: [3], floats: [65504, 65519.99, .infinity], as: .f16)
        #expect(throws: SafeTensorsError.invalidTensorToWrite(name: "big", reason: "value 1 (65520.0) is beyond F16's range ±65504; store it as F32")) {
            try writer.add("big", shape: [2], floats: [1, 65520], as: .f16)
        }
        #expect(throws: SafeTensorsError.self) { try writer.add("neg", shape: [1], floats: [-1e6], as: .f16) }
        // Vectors stored as F16 by .int8Rows are checked too.
        #expect(throws: SafeTensorsError.self) { try writer.add("bias", shape: [1], floats: [1e6], as: .int8Rows) }
        try writer.add("f32", shape: [1], floats: [1e30], as: .f32)
    }

    @Test("an I8 matrix without its row scales is refused by floatTensors, not loaded unscaled")
    func missingScales() throws {
        var writer = SafeTensorsWriter()
        try writer.add("w", shape: [2, 2], floats: [1, -2, 3, 4], as: .int8Rows)
        var bytes = try writer.serialized()
        let needle = Array("w.int8_row_scale".utf8)
        let at = (0..<(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }!
        bytes[at] = UInt8(ascii: "v")  // rename the scales to "v.int8_row_scale"
        let file = try SafeTensorsFile(bytes: bytes)
        #expect(throws: SafeTensorsError.invalidShape(tensor: "w", reason: "an I8 tensor needs its row scales 'w.int8_row_scale', which are missing")) {
            try file.floatTensors()
        }
        #expect(try file.floatTensors(requireRowScales: false)["w"]?.scalars.count == 4)
    }
}
