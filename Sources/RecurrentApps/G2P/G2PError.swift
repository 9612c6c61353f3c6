import Foundation

/// Why a word could not be pronounced, or a model or file could not be used.
public enum G2PError: Error, CustomStringConvertible, Equatable {
    /// An empty (or all-blank) word.
    case emptyWord
    /// Characters the model has no letter for.
    case unknownCharacters(word: String, characters: [Character])
    /// A word longer than the model accepts.
    case wordTooLong(word: String, length: Int, maximum: Int)
    /// No model directory where one was looked for.
    case modelNotFound(searched: [String])
    /// A model directory with missing or inconsistent files.
    case invalidModel(path: String, reason: String)
    /// A malformed dictionary line.
    case fileFormat(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .emptyWord:
            return "empty word: give at least one letter"
        case .unknownCharacters(let word, let characters):
            let list = characters.map { "'\($0)'" }.joined(separator: ", ")
            return "'\(word)' has character(s) the model does not know: \(list) (known: letters A–Z and the apostrophe)"
        case .wordTooLong(let word, let length, let maximum):
            return "'\(word.prefix(30))…' is \(length) characters long; the model takes at most \(maximum)"
        case .modelNotFound(let searched):
            return "no G2P model found; looked in: \(searched.joined(separator: ", ")) (pass --model DIR or set RECURRENT_MODELS)"
        case .invalidModel(let path, let reason):
            return "\(path): not a usable G2P model: \(reason)"
        case .fileFormat(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        }
    }
}
