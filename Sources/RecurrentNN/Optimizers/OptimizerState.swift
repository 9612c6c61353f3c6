import Foundation
import RecurrentCore
import RecurrentData

/// An optimizer's state, as `Optimizer.exportState()` returns it and `importState(_:)` takes it: its kind,
/// its hyper-parameters, and per-parameter buffers and counters named as in PyTorch's optimizer
/// `state_dict()` (`state.<parameter index>.<name>`: `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`,
/// `momentum_buffer`, `step`).
///
/// Saved as safetensors: buffers as F32 tensors, counters as I64 scalars, kind and hyper-parameters in
/// `__metadata__` (`optimizer`, `hp.lr`, `hp.beta1`, …; numbers printed so they read back exactly).
public struct OptimizerState {
    /// The optimizer's name: `"SGD"`, `"Adam"`, `"AdamW"`.
    public var kind: String
    /// Hyper-parameters by PyTorch name (`lr`, `beta1`, `beta2`, `eps`, `weight_decay`, `momentum`,
    /// `dampening`, `nesterov` and `amsgrad` as 0 or 1).
    public var hyperparameters: [String: Double]
    /// Per-parameter buffers, `state.<index>.<name>`, each shaped like its parameter.
    public var tensors: [String: Tensor]
    /// Per-parameter counters, `state.<index>.<name>` (Adam's `step`).
    public var counters: [String: Int]

    /// Makes a state from its parts.
    public init(kind: String, hyperparameters: [String: Double], tensors: [String: Tensor] = [:], counters: [String: Int] = [:]) {
        self.kind = kind
        self.hyperparameters = hyperparameters
        self.tensors = tensors
        self.counters = counters
    }

    /// The learning rate stored in the state (`hp.lr`), if any.
    public var learningRate: Float? { hyperparameters["lr"].map { Float($0) } }

    // MARK: Files

    private static let formatName = "recurrent.optimizer-state"

    /// The state as a safetensors writer (call `write(to:)` or `serialized()` on it).
    /// - Throws: `SafeTensorsError.invalidTensorToWrite` for inconsistent tensors.
    public func safeTensorsWriter() throws -> SafeTensorsWriter {
        var metadata = ["format": Self.formatName, "optimizer": kind]
        for (name, value) in hyperparameters { metadata["hp." + name] = exactText(value) }
        var writer = SafeTensorsWriter(metadata: metadata)
        for (name, tensor) in tensors { try writer.add(name, tensor) }
        for (name, value) in counters { try writer.add(name, shape: [], integers: [Int64(value)]) }
        return writer
    }

    /// Writes the state to a safetensors file, atomically.
    /// - Throws: `SafeTensorsError`.
    public func write(to url: URL) throws {
        try safeTensorsWriter().write(to: url)
    }

    /// Reads a state written by `write(to:)`.
    /// - Throws: `SafeTensorsError` for a malformed file, `OptimizerStateError.invalidFile` for a safetensors
    ///   file that is not an optimizer state.
    public init(contentsOf url: URL) throws {
        try self.init(file: try SafeTensorsFile(contentsOf: url))
    }

    /// Reads a state from an open safetensors file.
    /// - Throws: `SafeTensorsError`, `OptimizerStateError.invalidFile`.
    public init(file: SafeTensorsFile) throws {
        guard file.metadata["format"] == Self.formatName else {
            throw OptimizerStateError.invalidFile(reason: "__metadata__ lacks format = \(Self.formatName)")
        }
        guard let kind = file.metadata["optimizer"], !kind.isEmpty else {
            throw OptimizerStateError.invalidFile(reason: "__metadata__ lacks the optimizer's name")
        }
        var hyperparameters: [String: Double] = [:]
        for (key, text) in file.metadata where key.hasPrefix("hp.") {
            guard let value = Double(text) else {
                throw OptimizerStateError.invalidFile(reason: "hyper-parameter \(key) = '\(text)' is not a number")
            }
            hyperparameters[String(key.dropFirst(3))] = value
        }
        var tensors: [String: Tensor] = [:], counters: [String: Int] = [:]
        for info in file.tensors {
            switch info.dtype {
            case .f32:
                tensors[info.name] = try file.tensor(info.name)
            case .i64 where info.shape.isEmpty:
                counters[info.name] = Int(try file.integers(info.name)[0])
            default:
                throw OptimizerStateError.invalidFile(reason: "entry '\(info.name)' is \(info.dtype.rawValue) \(info.shape); expected F32 buffers and I64 scalars")
            }
        }
        self.init(kind: kind, hyperparameters: hyperparameters, tensors: tensors, counters: counters)
    }
}

/// A Double printed so that `Double(text)` gives it back exactly (Swift prints the shortest such text).
func exactText(_ value: Double) -> String { "\(value)" }

/// An optimizer state checked against an optimizer, split by parameter.
struct ValidatedOptimizerState {
    /// The learning rate to adopt.
    var learningRate: Float
    /// `buffers[i][name]`: parameter `i`'s buffer values (count checked against the parameter).
    var buffers: [[String: [Float]]]
    /// `counters[i][name]`.
    var counters: [[String: Int]]
}

extension OptimizerState {
    /// Checks the state against an optimizer and splits it by parameter.
    ///
    /// - Parameters:
    ///   - kind: the optimizer's name.
    ///   - hyperparameters: the optimizer's own hyper-parameters except `lr`; each must be in the state with
    ///     the same value.
    ///   - parameters: the optimizer's parameters.
    ///   - bufferNames: the buffer names allowed per parameter.
    ///   - counterNames: the counter names allowed per parameter.
    func validated(kind expectedKind: String, hyperparameters expected: [String: Double], parameters: [Parameter],
                   bufferNames: Set<String>, counterNames: Set<String>) throws -> ValidatedOptimizerState {
        guard kind == expectedKind else { throw OptimizerStateError.kindMismatch(expected: expectedKind, found: kind) }
        guard let lr = hyperparameters["lr"] else {
            throw OptimizerStateError.hyperparameterMismatch(name: "lr", current: 0, saved: nil)
        }
        guard lr.isFinite, lr >= 0 else { throw OptimizerStateError.invalidValue(entry: "hp.lr", reason: "learning rate \(lr) is not a finite number ≥ 0") }
        for name in expected.keys.sorted() {
            let current = expected[name]!
            let saved = hyperparameters[name]
            guard let saved, saved == current || (saved.isNaN && current.isNaN) else {
                throw OptimizerStateError.hyperparameterMismatch(name: name, current: current, saved: saved)
            }
        }
        for name in hyperparameters.keys.sorted() where name != "lr" && expected[name] == nil {
            throw OptimizerStateError.unexpectedEntry("hp." + name)
        }
        var splitBuffers = [[String: [Float]]](repeating: [:], count: parameters.count)
        var splitCounters = [[String: Int]](repeating: [:], count: parameters.count)
        func locate(_ entry: String, allowed: Set<String>) throws -> (index: Int, name: String) {
            let parts = entry.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "state", let index = Int(parts[1]), index >= 0,
                  String(index) == parts[1], allowed.contains(String(parts[2])) else {
                throw OptimizerStateError.unexpectedEntry(entry)
            }
            guard index < parameters.count else {
                throw OptimizerStateError.parameterIndexOutOfRange(entry: entry, parameterCount: parameters.count)
            }
            return (index, String(parts[2]))
        }
        for entry in tensors.keys.sorted() {
            let (index, name) = try locate(entry, allowed: bufferNames)
            let tensor = tensors[entry]!
            guard tensor.shape == parameters[index].shape else {
                throw OptimizerStateError.shapeMismatch(entry: entry, expected: parameters[index].shape, found: tensor.shape)
            }
            splitBuffers[index][name] = tensor.scalars
        }
        for entry in counters.keys.sorted() {
            let (index, name) = try locate(entry, allowed: counterNames)
            let value = counters[entry]!
            guard value >= 0 else { throw OptimizerStateError.invalidValue(entry: entry, reason: "count \(value) is negative") }
            splitCounters[index][name] = value
        }
        return ValidatedOptimizerState(learningRate: Float(lr), buffers: splitBuffers, counters: splitCounters)
    }
}
