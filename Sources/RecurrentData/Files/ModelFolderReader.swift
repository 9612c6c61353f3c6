import Foundation

/// Reads a model folder strictly, the one way every model loader does: the folder and each file it asks for
/// must exist, and a file that cannot be decoded is named with the reason (a JSON error with its key path).
///
/// ```swift
/// let folder = try ModelFolderReader(url)
/// let config = try folder.decode(MyConfig.self, from: "config.json")
/// let words = try folder.vocabulary("words.json")
/// try model.loadSafeTensors(from: try folder.file("model.safetensors"))
/// ```
/// Loaders map the errors into their own (`TaggerError`, `G2PError`, …) and check what the configuration
/// says against `Limits` before building anything.
public struct ModelFolderReader: Sendable {
    /// Why a folder could not be read.
    public enum ReadError: Error, CustomStringConvertible, Equatable, Sendable {
        /// The folder, or a file in it, does not exist.
        case missing(path: String, reason: String)
        /// A file exists but cannot be used.
        case invalid(path: String, reason: String)

        /// The model folder.
        public var path: String {
            switch self {
            case .missing(let path, _), .invalid(let path, _): return path
            }
        }
        /// What is wrong (`config.json is missing`, `words.json: …`).
        public var reason: String {
            switch self {
            case .missing(_, let reason), .invalid(_, let reason): return reason
            }
        }
        public var description: String { "\(path): \(reason)" }
    }

    /// The folder.
    public let directory: URL

    /// Opens a folder.
    /// - Throws: `ReadError.missing` when it does not exist or is not a folder.
    public init(_ directory: URL) throws(ReadError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw .missing(path: directory.path, reason: "no such folder")
        }
        self.directory = directory
    }

    /// The URL of a file that must exist.
    /// - Throws: `ReadError.missing` naming the file.
    public func file(_ name: String) throws(ReadError) -> URL {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw .missing(path: directory.path, reason: "\(name) is missing") }
        return url
    }

    /// A JSON file decoded as `type`.
    /// - Throws: `ReadError.missing`, or `.invalid` naming the file and the key path of the problem.
    public func decode<Value: Decodable>(_ type: Value.Type, from name: String) throws(ReadError) -> Value {
        let url = try file(name)
        do {
            return try JSONDecoder().decode(type, from: Data(contentsOf: url))
        } catch {
            throw .invalid(path: directory.path, reason: "\(name): \(ErrorText.reason(error))")
        }
    }

    /// A vocabulary file.
    /// - Throws: `ReadError.missing`, or `.invalid` naming the file.
    public func vocabulary(_ name: String) throws(ReadError) -> Vocabulary {
        let url = try file(name)
        do {
            return try Vocabulary(contentsOf: url)
        } catch {
            throw .invalid(path: directory.path, reason: "\(name): \(error)")
        }
    }

    /// Runs checks of what a file said, naming the file in a failure.
    /// - Throws: `ReadError.invalid` with `name: <the failure>`.
    public func checking(_ name: String, _ checks: () throws -> Void) throws(ReadError) {
        do { try checks() } catch { throw .invalid(path: directory.path, reason: "\(name): \(error)") }
    }
}
