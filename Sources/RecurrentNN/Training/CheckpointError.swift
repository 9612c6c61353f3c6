/// Why a checkpoint could not be saved, found, read or restored; each description is one line that names
/// the file.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file system operation failed (the previous checkpoint is left as it was).
    case io(path: String, reason: String)
    /// A file the checkpoint needs is missing.
    case missingFile(path: String)
    /// A file is malformed (not valid safetensors or JSON, wrong format, bad values).
    case invalidFile(path: String, reason: String)
    /// A saved value is invalid.
    case invalidValue(name: String, reason: String)
    /// The checkpoint does not fit the model or optimizer it is restored into.
    case incompatible(path: String, reason: String)

    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): \(reason)"
        case let .missingFile(path): return "\(path): missing checkpoint file"
        case let .invalidFile(path, reason): return "\(path): \(reason)"
        case let .invalidValue(name, reason): return "checkpoint value \(name): \(reason)"
        case let .incompatible(path, reason): return "\(path): does not fit: \(reason)"
        }
    }
}
