/// Why a tagger could not be trained, saved, loaded or run; each description is one line.
public enum TaggerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A setting is out of range.
    case invalidConfiguration(String)
    /// A data set has no sentences (or no words).
    case emptyData(String)
    /// A model folder is missing or lacks a file.
    case modelNotFound(path: String, reason: String)
    /// A model folder's file is malformed or does not fit the others.
    case invalidModel(path: String, reason: String)
    /// There is nothing to tag.
    case emptyInput
    /// A gold tag is not in the model's tag set (evaluation with `strict`), or similar data problems.
    case invalidData(String)
    /// A file could not be written (nothing is left half-written: files are written to a temporary name first).
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): return "invalid tagger configuration: \(reason)"
        case .emptyData(let what): return "no data: \(what)"
        case .modelNotFound(let path, let reason): return "no tagger model at \(path): \(reason)"
        case .invalidModel(let path, let reason): return "invalid tagger model at \(path): \(reason)"
        case .emptyInput: return "no input to tag (give sentences as arguments or one per line on standard input)"
        case .invalidData(let reason): return "invalid data: \(reason)"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}
