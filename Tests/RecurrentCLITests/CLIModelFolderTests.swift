import Foundation
import Testing
import Recurrent
import TestSupport

/// Corrupt model folders are refused with one line naming the folder and what is wrong — never loaded
/// silently, never a crash, and before any large allocation.
@Suite("CLI: corrupt model folders")
struct CLIModelFolderTests {
    /// A copy of a shipped model folder in a fresh temporary folder.
    func copy(_ name: String) throws -> (root: URL, model: URL) {
        let root = try makeCLITemporaryFolder()
        let model = root.appendingPathComponent(name)
        try FileManager.default.copyItem(at: SharedData.packageRoot.appendingPathComponent("Models/\(name)"), to: model)
        return (root, model)
    }

    /// Edits `config.json` as a JSON object.
    func editConfig(_ folder: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    @Test("G2P: out-of-range sizes and ids in config.json", arguments: [
        ("encoderHiddenSize", 0, "encoderHiddenSize: 0 is out of range"),
        ("encoderHiddenSize", -1, "encoderHiddenSize: -1 is out of range"),
        ("encoderHiddenSize", 1_000_000_000, "encoderHiddenSize: 1000000000 is out of range"),
        ("encoderHiddenSize", Int.max, "encoderHiddenSize: \(Int.max) is out of range"),
        ("encoderLayers", 1_000_000_000, "encoderLayers: 1000000000 is out of range"),
        ("decoderHiddenSize", 60_000, "the sizes describe about"),
        ("endID", 999, "seq2seq.endID: 999 is not the id of </s>"),
        ("startID", -1, "seq2seq.startID: -1 is not the id of <s>"),
        ("endID", 4, "seq2seq.endID: 4 is not the id of </s>"),
    ])
    func g2pConfiguration(key: String, value: Int, message: String) throws {
        let (root, model) = try copy("g2p")
        defer { try? FileManager.default.removeItem(at: root) }
        try editConfig(model) { config in
            var seq2seq = config["seq2seq"] as! [String: Any]
            seq2seq[key] = value
            config["seq2seq"] = seq2seq
        }
        let result = try CLI.expect(["g2p", "--model", model.path, "hello"], status: 1, message: "not a usable G2P model")
        #expect(result.standardError.contains(message), "\(result.standardError)")
    }

    @Test("G2P: maximumPhonemes and maximumWordLength out of range", arguments: [
        ("maximumPhonemes", 0), ("maximumPhonemes", 1_000_000_000), ("maximumWordLength", -1),
    ])
    func g2pLimits(key: String, value: Int) throws {
        let (root, model) = try copy("g2p")
        defer { try? FileManager.default.removeItem(at: root) }
        try editConfig(model) { $0[key] = value }
        let result = try CLI.expect(["g2p", "--model", model.path, "hello"], status: 1, message: "not a usable G2P model")
        #expect(result.standardError.contains("\(key): \(value) is out of range"), "\(result.standardError)")
    }

    @Test("G2P: an int8 tensor without its row scales is refused, not used unscaled")
    func missingRowScales() throws {
        let (root, model) = try copy("g2p")
        defer { try? FileManager.default.removeItem(at: root) }
        let url = model.appendingPathComponent("model.safetensors")
        var bytes = [UInt8](try Data(contentsOf: url))
        // Rename the first scale tensor in the header (same length, so the file stays well-formed).
        let needle = Array(".int8_row_scale\"".utf8)
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
        let at = (8..<(8 + headerLength - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }!
        bytes[at + needle.count - 2] = UInt8(ascii: "X")
        try Data(bytes).write(to: url)
        let result = try CLI.expect(["g2p", "--model", model.path, "hello"], status: 1, message: "not a usable G2P model")
        #expect(result.standardError.contains("row scales"), "\(result.standardError)")
    }

    @Test("tagger: non-finite weights are refused", arguments: [Float.nan, Float.infinity])
    func nonFiniteWeights(value: Float) throws {
        let (root, model) = try copy("tagger-en")
        defer { try? FileManager.default.removeItem(at: root) }
        let url = model.appendingPathComponent("model.safetensors")
        var tensors = try SafeTensorsFile(contentsOf: url).floatTensors()
        let key = tensors.keys.sorted().first!
        var scalars = tensors[key]!.scalars
        scalars[3] = value
        tensors[key] = Tensor(shape: tensors[key]!.shape, scalars: scalars)
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: url)
        let result = try CLI.expect(["tag", "--model", model.path, "hello"], status: 1, message: model.path)
        #expect(result.standardError.contains("'\(key)' holds \(value) at index 3; weights must be finite"), "\(result.standardError)")
    }

    @Test("tagger: sizes in config.json out of range", arguments: [
        ("hidden", 1_000_000_000), ("hidden", 0), ("layerCount", -1), ("layerCount", Int.max), ("wordDimension", 60_000),
    ])
    func taggerConfiguration(key: String, value: Int) throws {
        let (root, model) = try copy("tagger-en")
        defer { try? FileManager.default.removeItem(at: root) }
        try editConfig(model) { config in
            var architecture = config["architecture"] as! [String: Any]
            architecture[key] = value
            config["architecture"] = architecture
        }
        let result = try CLI.expect(["tag", "--model", model.path, "hello"], status: 1, message: model.path)
        #expect(result.standardError.contains(key) || result.standardError.contains("the sizes describe about"), "\(result.standardError)")
    }

    @Test("tagger: a word count of 2⁶³ − 1 in config.json is refused before anything is allocated")
    func taggerCounts() throws {
        let (root, model) = try copy("tagger-en")
        defer { try? FileManager.default.removeItem(at: root) }
        try editConfig(model) { $0["wordCount"] = Int.max }
        let result = try CLI.expect(["tag", "--model", model.path, "hello"], status: 1, message: model.path)
        #expect(result.standardError.contains("wordCount: \(Int.max) is out of range"), "\(result.standardError)")
    }
}
