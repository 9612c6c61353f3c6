import Foundation
import RecurrentCore
import RecurrentData
import RecurrentNN
import TestSupport

/// A parity case file held as editable parts (read without `GoldenCase`'s checks), for writing broken
/// variants of good cases in tests.
struct ParityCaseFile {
    var floats: [String: Tensor] = [:]
    var integers: [String: IntTensor] = [:]
    var settings: [String: CaseValue] = [:]

    /// The parts of an existing file.
    init(contentsOf url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        for info in file.tensors {
            if info.dtype.convertsToInteger {
                integers[info.name] = IntTensor(shape: info.shape, scalars: try file.integers(info.name).map { Int($0) })
            } else {
                floats[info.name] = Tensor(shape: info.shape, scalars: try file.floats(info.name))
            }
        }
        settings = try JSONDecoder().decode([String: CaseValue].self, from: Data(file.metadata["case"]!.utf8))
    }

    /// A case of the committed golden folder `Tests/RecurrentNNTests/Golden`.
    static func committed(_ name: String) throws -> ParityCaseFile {
        try ParityCaseFile(contentsOf: committedGolden.appendingPathComponent(name + ".safetensors"))
    }

    /// `Tests/RecurrentNNTests/Golden`.
    static let committedGolden = SharedData.packageRoot.appendingPathComponent("Tests/RecurrentNNTests/Golden")

    /// Writes the case to a new temporary file (`integerKeys` stored as int64 although they are floats here).
    func write(name: String = "case", integerKeys: Set<String> = []) throws -> URL {
        var writer = SafeTensorsWriter(metadata: ["case": CaseValue.object(settings).description])
        for (key, tensor) in floats.sorted(by: { $0.key < $1.key }) {
            if integerKeys.contains(key) {
                try writer.add(key, shape: tensor.shape, integers: tensor.scalars.map { Int64($0) })
            } else {
                try writer.add(key, shape: tensor.shape, floats: tensor.scalars)
            }
        }
        for (key, tensor) in integers.sorted(by: { $0.key < $1.key }) {
            try writer.add(key, shape: tensor.shape, integers: tensor.scalars.map { Int64($0) })
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name + ".safetensors")
        try writer.write(to: url)
        return url
    }

    /// Runs the case through `Parity.run` and returns the error's message ("" when it ran).
    func refusal(integerKeys: Set<String> = []) throws -> String {
        let url = try write(integerKeys: integerKeys)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        do {
            _ = try Parity.run(url)
            return ""
        } catch {
            return "\(error)"
        }
    }
}
