import Foundation

/// Why a word could not be pronounced, or a model or file could not be used.
public enum G2PError: Error, CustomStringConvertible, Equatable {
    /// An empty (or all-blank) word.
    case emptyWord
    /// Characters the model has no letter for.
    case unknownCharacters(word: String, characters: [Character])
    /// A word longer than the model accepts.
    case wordTooLong(word: String, length: Int, maximum: Int)
    /// A model directory with missing or inconsistent files.
    case invalidModel(path: String, reason: String)
    /// A malformed dictionary line.
    case fileFormat(path: String, line: Int, reason: String)
    /// A file that could not be read (missing, a folder, no permission, not UTF-8).
    case unreadableFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .emptyWord:
            return "empty word: give at least one letter"
        case .unknownCharacters(let word, let characters):
            let list = characters.map { "'\($0)'" }.joined(separator: ", ")
            return "'\(word)' has character(s) the model does not know: \(list) (known: letters A–Z and the apostrophe)"
        case .wordTooLong(let word, let length, let maximum):
            return "'\(word.prefix(30))…' is \(length) characters long; the model takes at most \(maximum)"
        case .invalidModel(let path, let reason):
            return "\(path): not a usable G2P model: \(reason)"
        case .fileFormat(let path, let line, let reason):
            return line > 0 ? "\(path):\(line): \(reason)" : "\(path): \(reason)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        }
    }
}
