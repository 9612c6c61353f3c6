import RecurrentCore

/// A network component with named parameters, whose keys are PyTorch's `state_dict()` keys.
public protocol Module: AnyObject {
    /// Every parameter with its key (e.g. `weight_ih_l0_reverse`, `encoder.lstm.weight_hh_l1`), in a stable order.
    var namedParameters: [(key: String, parameter: Parameter)] { get }
    /// The direct submodules with their key prefixes (`encoder`, `0`), so `train()`, `eval()` and `freeze()`
    /// reach every part; none by default.
    var children: [(name: String, module: any Module)] { get }
    /// Whether this module itself behaves as in training (dropout on); modules without such behaviour keep
    /// the default, which ignores the setting. Use `train()` / `eval()` to set a whole model.
    var isTraining: Bool { get set }
}

extension Module {
    public var children: [(name: String, module: any Module)] { [] }

    /// A container's mode is its children's (true when any trains); setting it alone changes nothing —
    /// `train()` / `eval()` reach the children.
    public var isTraining: Bool {
        get { children.contains { $0.module.isTraining } }
        set {}
    }

    /// Sets training mode on this module and every submodule (PyTorch's `train()`).
    public func train(_ on: Bool = true) {
        isTraining = on
        for child in children { child.module.train(on) }
    }

    /// Sets inference mode on this module and every submodule (PyTorch's `eval()`).
    public func eval() { train(false) }

    /// Freezes every parameter (no gradient, no update) or, with `false`, makes them trainable again.
    public func freeze(_ frozen: Bool = true) {
        for (_, parameter) in namedParameters { parameter.isTrainable = !frozen }
    }

    /// The parameters that training updates (not frozen), in the order of `namedParameters`: what to give
    /// an optimizer.
    public var trainableParameters: [Parameter] { namedParameters.map(\.parameter).filter(\.isTrainable) }
}

/// Why a state dict could not be loaded into a module.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    /// The module has a parameter the state dict lacks.
    case missingKey(String)
    /// The state dict has a key the module does not.
    case unexpectedKey(String)
    /// A key exists on both sides with different shapes.
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    /// A value is NaN or infinite (a diverged model).
    case nonFinite(key: String, index: Int, value: Float)

    public var description: String {
        switch self {
        case .missingKey(let key): return "missing key '\(key)' in the state dict"
        case .unexpectedKey(let key): return "unexpected key '\(key)' in the state dict"
        case .shapeMismatch(let key, let expected, let found):
            return "shape mismatch for '\(key)': the module has \(expected), the state dict has \(found)"
        case .nonFinite(let key, let index, let value):
            return "'\(key)' holds \(value) at index \(index); weights must be finite (the model diverged)"
        }
    }

    /// Throws `.nonFinite` for the first key (in sorted order) holding a NaN or an infinity.
    public static func checkFinite(_ tensors: [String: Tensor]) throws(StateDictError) {
        for key in tensors.keys.sorted() {
            let scalars = tensors[key]!.scalars
            if let index = scalars.firstIndex(where: { !$0.isFinite }) {
                throw .nonFinite(key: key, index: index, value: scalars[index])
            }
        }
    }
}

extension Module {
    /// All parameters, in the order of `namedParameters`.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// The total number of trainable values.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// The parameters' current values by key (copies; later training does not change them).
    public func stateDict() -> [String: Tensor] {
        var dict: [String: Tensor] = [:]
        for (key, parameter) in namedParameters { dict[key] = parameter.value.detached() }
        return dict
    }

    /// Loads values by key.
    ///
    /// - Parameters:
    ///   - stateDict: key → tensor, with PyTorch's keys and shapes.
    ///   - strict: when true (the default), a missing key or an unexpected key is an error; when false,
    ///     only the keys present on both sides are loaded. A wrong shape is always an error.
    /// - Throws: `StateDictError` naming the first offending key (sorted order); nothing is loaded then.
    public func load(stateDict: [String: Tensor], strict: Bool = true) throws {
        let own = namedParameters
        let ownKeys = Set(own.map(\.key))
        if strict {
            if let missing = own.map(\.key).filter({ stateDict[$0] == nil }).sorted().first {
                throw StateDictError.missingKey(missing)
            }
            if let unexpected = stateDict.keys.filter({ !ownKeys.contains($0) }).sorted().first {
                throw StateDictError.unexpectedKey(unexpected)
            }
        }
        for (key, parameter) in own.sorted(by: { $0.key < $1.key }) {
            if let value = stateDict[key], value.shape != parameter.shape {
                throw StateDictError.shapeMismatch(key: key, expected: parameter.shape, found: value.shape)
            }
        }
        for (key, parameter) in own {
            if let value = stateDict[key] { parameter.value = value.detached() }
        }
    }

    /// Forgets every parameter's gradient.
    public func zeroGrad() {
        for parameter in parameters { parameter.zeroGrad() }
    }
}

/// Prefixes child keys: `prefixed("lstm", child)` turns `weight_ih_l0` into `lstm.weight_ih_l0`.
public func prefixed(_ prefix: String, _ child: Module) -> [(key: String, parameter: Parameter)] {
    child.namedParameters.map { (key: prefix + "." + $0.key, parameter: $0.parameter) }
}
