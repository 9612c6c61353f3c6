/// Why sequences could not be batched or padded; each description is one line.
public enum BatchingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A batch size, token budget or bucket width is not positive.
    case invalidSize(String)
    /// A sequence length is negative.
    case negativeLength(index: Int, length: Int)
    /// Parallel inputs (e.g. words and tags) differ in length.
    case lengthMismatch(index: Int, expected: Int, found: Int)

    public var description: String {
        switch self {
        case .invalidSize(let reason): return "invalid batch settings: \(reason)"
        case let .negativeLength(index, length): return "sequence \(index) has negative length \(length)"
        case let .lengthMismatch(index, expected, found):
            return "sequence \(index) has \(found) entries where \(expected) were expected (parallel inputs must have equal lengths)"
        }
    }
}
