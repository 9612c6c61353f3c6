import Foundation
import RecurrentCore
import RecurrentData

/// A golden test case from PyTorch (see `../shared/golden/README.md`): parameters, inputs, outputs,
/// upstream gradients and the expected gradients, with a JSON description of the module.
public struct GoldenCase {
    /// The file's name without extension.
    public let name: String
    /// The parsed `case` metadata (module name and settings).
    public let configuration: [String: Any]
    /// Every float tensor by key (`param.weight_ih_l0`, `input.x`, `output.h_n`, `upstream.output`, `grad.param.*`).
    public let tensors: [String: Tensor]
    /// Every integer tensor by key (`input.lengths`, `input.target`, masks).
    public let integers: [String: IntTensor]

    /// Reads a case file.
    ///
    /// - Throws: `SafeTensorsError` for a malformed file, `ParityError` for missing or malformed metadata.
    public init(contentsOf url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        name = url.deletingPathExtension().lastPathComponent
        guard let text = file.metadata["case"], let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ParityError("metadata has no JSON object under 'case'")
        }
        configuration = object
        var tensors: [String: Tensor] = [:], integers: [String: IntTensor] = [:]
        for info in file.tensors {
            if [.f32, .f16, .bf16, .f64].contains(info.dtype) {
                tensors[info.name] = Tensor(shape: info.shape, scalars: try file.floats(info.name))
            } else {
                integers[info.name] = IntTensor(shape: info.shape, scalars: try file.integers(info.name).map { Int($0) })
            }
        }
        self.tensors = tensors
        self.integers = integers
    }

    /// The module name from the metadata (`LSTM`, `GRUCell`, `scaled_dot_product_attention`, …).
    public var module: String { configuration["module"] as? String ?? "?" }

    /// A float tensor that must exist.
    public func tensor(_ key: String) throws -> Tensor {
        guard let t = tensors[key] else { throw ParityError("missing tensor '\(key)'") }
        return t
    }

    /// An integer setting from the metadata.
    public func int(_ key: String, default value: Int? = nil) throws -> Int {
        if let v = configuration[key] as? Int { return v }
        if let v = configuration[key] as? NSNumber { return v.intValue }
        if let value { return value }
        throw ParityError("metadata lacks integer '\(key)'")
    }

    /// A boolean setting from the metadata.
    public func bool(_ key: String, default value: Bool) -> Bool {
        (configuration[key] as? Bool) ?? (configuration[key] as? NSNumber)?.boolValue ?? value
    }

    /// The parameters by their PyTorch names (without the `param.` prefix).
    public var parameters: [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (key, value) in tensors where key.hasPrefix("param.") { result[String(key.dropFirst(6))] = value }
        return result
    }

    /// The names of the outputs (`output.<name>` keys), sorted.
    public var outputNames: [String] {
        tensors.keys.filter { $0.hasPrefix("output.") }.map { String($0.dropFirst(7)) }.sorted()
    }
}
