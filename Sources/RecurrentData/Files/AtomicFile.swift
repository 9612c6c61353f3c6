import Foundation

/// Writes whole files atomically: the bytes go to a temporary file in the same folder, which is flushed to
/// disk and then renamed over the destination (and the folder is flushed), so a reader — or a process
/// restarted after a crash — sees either the old file or the complete new one, never a partial file.
///
/// ```swift
/// try AtomicFile.write(Array(json.utf8), to: folder.appendingPathComponent("vocabulary.json"))
/// ```
public enum AtomicFile {
    /// Why a file could not be written; the previous file at `path`, if any, is unchanged.
    public struct WriteError: Error, CustomStringConvertible, Equatable, Sendable {
        /// The destination.
        public var path: String
        /// What went wrong (the system's explanation).
        public var reason: String

        /// Makes an error for `path`.
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }

        /// `PATH: cannot write the file: REASON`, on one line.
        public var description: String { "\(path): cannot write the file: \(reason)" }
    }

    /// Writes `bytes` to `url` atomically. A replaced file keeps its permission bits.
    ///
    /// - Parameters:
    ///   - bytes: the complete contents.
    ///   - url: a file URL whose folder exists.
    /// - Throws: `AtomicFile.WriteError`; on failure the temporary file is removed.
    public static func write(_ bytes: [UInt8], to url: URL) throws(WriteError) {
        do {
            try AtomicFileWriter.write(to: url.path) { (sink: inout FileSink) throws(SafeTensorsError) in
                try sink.write(bytes)
            }
        } catch {
            switch error {
            case .writeFailed(_, let reason): throw WriteError(path: url.path, reason: reason)
            default: throw WriteError(path: url.path, reason: error.description)
            }
        }
    }

    /// Writes `text` as UTF-8 to `url` atomically (see `write(_:to:)`).
    /// - Throws: `AtomicFile.WriteError`.
    public static func write(text: String, to url: URL) throws(WriteError) {
        try write(Array(text.utf8), to: url)
    }
}
