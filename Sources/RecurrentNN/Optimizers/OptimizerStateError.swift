/// Why optimizer state could not be imported or read; each description is one line.
public enum OptimizerStateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The state was saved by another kind of optimizer.
    case kindMismatch(expected: String, found: String)
    /// A hyper-parameter that must match differs, or is missing (`saved` nil).
    case hyperparameterMismatch(name: String, current: Double, saved: Double?)
    /// A tensor or counter name is not `state.<index>.<buffer>` for a known buffer.
    case unexpectedEntry(String)
    /// An entry refers to a parameter index the optimizer does not have.
    case parameterIndexOutOfRange(entry: String, parameterCount: Int)
    /// A buffer's shape differs from its parameter's.
    case shapeMismatch(entry: String, expected: [Int], found: [Int])
    /// A parameter's state is incomplete (e.g. a step count without moment buffers).
    case incompleteState(parameter: Int, missing: String)
    /// A stored value is invalid (e.g. a negative step count).
    case invalidValue(entry: String, reason: String)
    /// The file is not an optimizer state file (missing or malformed metadata).
    case invalidFile(reason: String)

    public var description: String {
        switch self {
        case let .kindMismatch(expected, found):
            return "optimizer state is for \(found), not \(expected)"
        case let .hyperparameterMismatch(name, current, saved):
            if let saved { return "optimizer state has \(name) = \(saved), but the optimizer has \(current)" }
            return "optimizer state lacks the hyper-parameter \(name)"
        case let .unexpectedEntry(name):
            return "optimizer state has an unexpected entry '\(name)'"
        case let .parameterIndexOutOfRange(entry, count):
            return "optimizer state entry '\(entry)' refers to a parameter beyond the optimizer's \(count)"
        case let .shapeMismatch(entry, expected, found):
            return "optimizer state entry '\(entry)' has shape \(found), but its parameter has shape \(expected)"
        case let .incompleteState(parameter, missing):
            return "optimizer state for parameter \(parameter) lacks '\(missing)'"
        case let .invalidValue(entry, reason):
            return "optimizer state entry '\(entry)': \(reason)"
        case let .invalidFile(reason):
            return "not an optimizer state file: \(reason)"
        }
    }
}
