import Foundation
import RecurrentCore
import RecurrentData

/// A golden test case from PyTorch (see `../shared/golden/README.md`): parameters, inputs, outputs,
/// upstream gradients and the expected gradients, with a JSON description of the module.
///
/// This type is the one validation layer between a case file and the library: reading a file checks the
/// file as a whole (key prefixes, dtypes, non-empty tensors, finite expectations, an upstream gradient for
/// each output with its shape), and the typed accessors below check each setting and tensor a runner uses
/// before it builds a module or allocates. Every failure is a `ParityError` of one line naming the key.
public struct GoldenCase {
    /// The file's name without extension.
    public let name: String
    /// The parsed `case` metadata (module name and settings).
    public let configuration: [String: CaseValue]
    /// Every float tensor by key (`param.weight_ih_l0`, `input.x`, `output.h_n`, `upstream.output`, `grad.param.*`).
    public let tensors: [String: Tensor]
    /// Every integer or boolean tensor by key (`input.lengths`, `input.target`, boolean masks).
    public let integers: [String: IntTensor]

    /// The key prefixes a case file may use.
    public static let keyPrefixes = ["param.", "input.", "output.", "upstream.", "grad."]

    /// Reads and checks a case file.
    ///
    /// - Throws: `SafeTensorsError` for a malformed file; `ParityError` for missing or malformed metadata,
    ///   a key without a known prefix, an empty tensor, an output, upstream gradient or gradient stored with a
    ///   non-float dtype or holding NaN/±Inf, or an output without an upstream gradient of its shape.
    public init(contentsOf url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        name = url.deletingPathExtension().lastPathComponent
        guard let text = file.metadata["case"], let data = text.data(using: .utf8),
              let object = try? JSONDecoder().decode([String: CaseValue].self, from: data) else {
            throw ParityError("metadata has no JSON object under 'case'")
        }
        guard case .string? = object["module"] else {
            throw ParityError("metadata 'module' must be a string, got \(object["module"]?.description ?? "nothing")")
        }
        configuration = object
        var tensors: [String: Tensor] = [:], integers: [String: IntTensor] = [:]
        for info in file.tensors.sorted(by: { $0.name < $1.name }) {
            let key = info.name
            guard Self.keyPrefixes.contains(where: key.hasPrefix) else {
                throw ParityError("key '\(key)' has none of the prefixes \(Self.keyPrefixes.joined(separator: ", "))")
            }
            guard info.elementCount > 0 else { throw ParityError("'\(key)' has shape \(info.shape) with no elements") }
            let isExpectation = !key.hasPrefix("param.") && !key.hasPrefix("input.")
            if [.f32, .f16, .bf16, .f64].contains(info.dtype) {
                let values = try file.floats(key)
                if isExpectation, let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw ParityError("'\(key)' holds \(values[bad]) at index \(bad); expected values must be finite")
                }
                tensors[key] = Tensor(shape: info.shape, scalars: values)
            } else if isExpectation {
                throw ParityError("'\(key)' is stored as \(info.dtype.rawValue); outputs and gradients must be float")
            } else {
                integers[key] = IntTensor(shape: info.shape, scalars: try file.integers(key).map { Int($0) })
            }
        }
        for (key, output) in tensors where key.hasPrefix("output.") {
            let upstream = "upstream." + key.dropFirst(7)
            guard let seed = tensors[upstream] else { throw ParityError("'\(key)' has no '\(upstream)'") }
            guard seed.shape == output.shape else {
                throw ParityError("'\(upstream)' has shape \(seed.shape), '\(key)' has \(output.shape)")
            }
        }
        for key in tensors.keys where key.hasPrefix("upstream.") && tensors["output." + key.dropFirst(9)] == nil {
            throw ParityError("'\(key)' has no 'output.\(key.dropFirst(9))'")
        }
        self.tensors = tensors
        self.integers = integers
    }

    /// The module name from the metadata (`LSTM`, `GRUCell`, `scaled_dot_product_attention`, …).
    public var module: String {
        if case .string(let value)? = configuration["module"] { return value }
        return "?"
    }

    /// The keys to compare: every `output.*` and `grad.*` tensor, sorted.
    public var expectationKeys: [String] {
        tensors.keys.filter { $0.hasPrefix("output.") || $0.hasPrefix("grad.") }.sorted()
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

    // MARK: Settings

    /// An integer setting within `limits` (a JSON integer, never a boolean or a fraction).
    ///
    /// - Parameter value: used when the key is absent or null; nil makes the key required.
    public func integer(_ key: String, in limits: ClosedRange<Int>, default value: Int? = nil) throws -> Int {
        let found = configuration[key]
        if case .integer(let number)? = found, limits.contains(number) { return number }
        if let value, found == nil || found == .null { return value }
        throw ParityError("metadata '\(key)' must be an integer in \(limits), got \(found?.description ?? "nothing")")
    }

    /// A size setting (`hidden_size`, `embed_dim`, …) within `limits` (default `ParityLimits.size`).
    public func size(_ key: String, in limits: ClosedRange<Int> = ParityLimits.size, default value: Int? = nil) throws -> Int {
        try integer(key, in: limits, default: value)
    }

    /// A boolean setting (a JSON `true` or `false`).
    public func flag(_ key: String, default value: Bool) throws -> Bool {
        switch configuration[key] {
        case .bool(let found)?: return found
        case nil, .null?: return value
        case let found?: throw ParityError("metadata '\(key)' must be true or false, got \(found)")
        }
    }

    /// A string setting among `choices`.
    public func choice(_ key: String, among choices: [String], default value: String) throws -> String {
        switch configuration[key] {
        case .string(let found)? where choices.contains(found): return found
        case nil, .null?: return value
        case let found?: throw ParityError("metadata '\(key)' must be one of \(choices.joined(separator: ", ")), got \(found)")
        }
    }

    /// A numeric setting within `limits`, or nil when absent or null.
    public func number(_ key: String, in limits: ClosedRange<Double>) throws -> Double? {
        switch configuration[key] {
        case nil, .null?: return nil
        case .integer(let found)? where limits.contains(Double(found)): return Double(found)
        case .number(let found)? where limits.contains(found): return found
        case let found?: throw ParityError("metadata '\(key)' must be a number in \(limits), got \(found)")
        }
    }

    // MARK: Tensors

    /// A float tensor that must exist, with `shape` when given.
    public func tensor(_ key: String, shape: [Int]? = nil) throws -> Tensor {
        guard let found = try optionalTensor(key, shape: shape) else {
            throw ParityError(integers[key] == nil ? "missing tensor '\(key)'" : "'\(key)' must be a float tensor")
        }
        return found
    }

    /// A float tensor that may be absent; when present it must have `shape` (if given).
    public func optionalTensor(_ key: String, shape: [Int]? = nil) throws -> Tensor? {
        try Self.lookUp(key, in: tensors, kind: "float", storedElsewhere: integers[key] != nil, shape: shape, shapeOf: \.shape)
    }

    /// An integer tensor that may be absent; when present it must have `shape` (if given).
    public func optionalIntegers(_ key: String, shape: [Int]? = nil) throws -> IntTensor? {
        try Self.lookUp(key, in: integers, kind: "integer", storedElsewhere: tensors[key] != nil, shape: shape, shapeOf: \.shape)
    }

    /// `table[key]` checked for its shape; an error when the key is stored with the other kind of dtype.
    static func lookUp<T>(_ key: String, in table: [String: T], kind: String, storedElsewhere: Bool, shape: [Int]?,
                          shapeOf: (T) -> [Int]) throws -> T? {
        guard let found = table[key] else {
            if storedElsewhere { throw ParityError("'\(key)' must be \(kind == "integer" ? "an" : "a") \(kind) tensor") }
            return nil
        }
        try expect(key, shapeOf(found), shape)
        return found
    }

    /// Throws when `found` differs from `expected` (nil expects anything).
    static func expect(_ key: String, _ found: [Int], _ expected: [Int]?) throws {
        if let expected, found != expected { throw ParityError("'\(key)' has shape \(found), expected \(expected)") }
    }

    /// Checks that the `input.*` keys are among `allowed` (names without the prefix): an input the runner
    /// would not read is an error, not silently ignored.
    public func checkInputs(allowed: Set<String>) throws {
        let inputs = Set(tensors.keys).union(integers.keys).filter { $0.hasPrefix("input.") }
        if let extra = inputs.map({ String($0.dropFirst(6)) }).filter({ !allowed.contains($0) }).sorted().first {
            throw ParityError("unexpected input 'input.\(extra)' for \(module) (it takes \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// Checks the `param.*` tensors against the shapes a module configured from the metadata has, before
    /// the module is built: each expected key present with its shape, no other key.
    public func checkParameters(_ expected: [(key: String, shape: [Int])]) throws {
        let given = parameters
        for (key, shape) in expected {
            guard let found = given[key] else { throw ParityError("missing 'param.\(key)' (\(module) expects shape \(shape))") }
            guard found.shape == shape else {
                throw ParityError("'param.\(key)' has shape \(found.shape), \(module) as configured expects \(shape)")
            }
        }
        let known = Set(expected.map(\.key))
        if let extra = given.keys.filter({ !known.contains($0) }).sorted().first {
            throw ParityError("unexpected 'param.\(extra)' for \(module) as configured")
        }
    }
}
