/// Why a CoNLL-U file could not be read: the file, the 1-based line (nil for the whole file) and the reason.
///
/// `description` is one line in the usual compiler form, `FILE:LINE: REASON`.
public struct CoNLLUError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file's path (or the name given to `CoNLLU.parse`).
    public var file: String
    /// The 1-based line at fault, or nil when the problem is the whole file (e.g. it cannot be read).
    public var line: Int?
    /// What is wrong.
    public var reason: String

    /// Makes an error.
    public init(file: String, line: Int?, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// `FILE:LINE: REASON` (or `FILE: REASON`).
    public var description: String {
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}
