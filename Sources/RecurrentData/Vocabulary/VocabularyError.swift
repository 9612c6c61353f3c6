/// Why a vocabulary could not be built, read or used; each description is one line.
public enum VocabularyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A token is not in a vocabulary that has no `<unk>` (a label set).
    case unknownToken(String)
    /// An id is outside `0..<count`.
    case idOutOfRange(id: Int, count: Int)
    /// A token appears twice in a token list.
    case duplicateToken(String)
    /// A vocabulary file or JSON document is malformed (`path` is nil for in-memory data).
    case invalidFile(path: String?, reason: String)
    /// A vocabulary file could not be read or written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownToken(let token): return "unknown token '\(token.prefix(80))' (the vocabulary has no <unk>)"
        case let .idOutOfRange(id, count): return "id \(id) is outside the vocabulary (0..<\(count))"
        case .duplicateToken(let token): return "token '\(token.prefix(80))' appears more than once"
        case let .invalidFile(path, reason): return (path.map { "\($0): " } ?? "") + "not a vocabulary: \(reason)"
        case let .io(path, reason): return "\(path): \(reason)"
        }
    }
}
