import Foundation

/// One-line explanations of the errors Foundation throws, for messages that name what went wrong and where
/// (instead of a multi-line `NSError` or `DecodingError` dump).
public enum ErrorText {
    /// A coding error with its JSON path: `missing key 'hiddenSize' at config`, `expected Int at layers[2]`.
    public static func coding(_ error: Error) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        let text: String
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            text = "missing key '\(key.stringValue)' at \(path(context.codingPath))"
        case DecodingError.typeMismatch(let type, let context):
            text = "expected \(type) at \(path(context.codingPath))"
        case DecodingError.valueNotFound(let type, let context):
            text = "expected \(type) at \(path(context.codingPath)), found null"
        case DecodingError.dataCorrupted(let context):
            let reason = context.debugDescription.hasSuffix(".") ? String(context.debugDescription.dropLast()) : context.debugDescription
            text = "\(reason) at \(path(context.codingPath))"
        case EncodingError.invalidValue(_, let context):
            text = "cannot encode the value at \(path(context.codingPath)): \(context.debugDescription)"
        default:
            text = "\(error)"
        }
        return text.replacingOccurrences(of: "\n", with: " ")
    }

    /// A file-system error as `PATH: REASON` when Foundation names the file (`/x.txt: No such file or
    /// directory`), else `reason(_:)` alone.
    public static func file(_ error: Error) -> String {
        let ns = error as NSError
        let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        return path.map { "\($0): \(reason(error))" } ?? reason(error)
    }

    /// Why an operation failed, on one line: the system's reason for a file error (`No such file or
    /// directory`), `coding(_:)` for a coding error, else the error's description.
    public static func reason(_ error: Error) -> String {
        if error is DecodingError || error is EncodingError { return coding(error) }
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else {
            return "\(error)".replacingOccurrences(of: "\n", with: " ")
        }
        // The POSIX error, itself or underlying, says it best ("No such file or directory", "Is a directory").
        let posix = ns.domain == NSPOSIXErrorDomain ? ns : (ns.userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError }
        if let posix, posix.domain == NSPOSIXErrorDomain, let message = strerror(Int32(posix.code)) {
            return String(cString: message)
        }
        return ns.localizedDescription.replacingOccurrences(of: "\n", with: " ")
    }
}
