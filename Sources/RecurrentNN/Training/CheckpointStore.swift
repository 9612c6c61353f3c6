import Foundation
import RecurrentCore
import RecurrentData
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder of training checkpoints, written so that a crash or a kill at any moment leaves the last
/// committed checkpoint intact and loadable.
///
/// Layout:
/// ```
/// run/
///   LATEST              one line naming the current checkpoint folder; replaced atomically, last
///   ckpt-00000007/      model.safetensors, optimizer.safetensors, training.json
///   ckpt-00000008/
/// ```
/// `save` writes the three files into a hidden `.incomplete-…` folder (each file flushed to disk), renames
/// the folder to the next `ckpt-N` (flushing the parent folder), and only then replaces `LATEST` (write to a
/// temporary file, flush, rename). A crash before the last rename leaves `LATEST` naming the previous
/// checkpoint. The next `save` removes incomplete folders and temporary pointer files, numbers its
/// checkpoint past every existing one, and keeps only the `keep` newest checkpoints. Folders numbered past
/// the one `LATEST` names (renamed but never committed) are ignored by `checkpoints()` and `latest()`.
///
/// One process at a time should save into a folder.
public struct CheckpointStore {
    /// The name of the pointer file.
    public static let pointerName = "LATEST"
    private static let prefix = "ckpt-"
    private static let incompletePrefix = ".incomplete-"

    /// The folder holding the checkpoints.
    public let directory: URL
    /// How many checkpoints `save` keeps (the newest ones).
    public let keep: Int
    /// Test hook: called after each file of a save is written (1, 2, 3) and after the folder is renamed (4).
    var afterStage: (Int) throws -> Void = { _ in }

    /// - Parameters:
    ///   - directory: the folder (created by the first `save` if needed).
    ///   - keep: checkpoints to keep, ≥ 1 (2 by default).
    public init(directory: URL, keep: Int = 2) {
        precondition(keep >= 1, "CheckpointStore: keep must be ≥ 1")
        self.directory = directory
        self.keep = keep
    }

    /// Saves a checkpoint and makes it the latest.
    ///
    /// - Parameters:
    ///   - model: whose weights to save (PyTorch keys).
    ///   - optimizer: whose state to save.
    ///   - training: where training stands.
    ///   - config: the run's configuration (any `Codable`).
    ///   - average: the moving average of the weights (`ExponentialMovingAverage.exportState()`), if the run keeps one.
    /// - Returns: the new checkpoint's folder.
    /// - Throws: `CheckpointError`; the previous checkpoint is then still the latest.
    @discardableResult
    public func save<Config: Codable>(model: Module, optimizer: Optimizer, training: TrainingState, config: Config,
                                  average: [String: Tensor]? = nil) throws -> URL {
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(path: directory.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        _ = try latestName()  // a damaged pointer is reported, not overwritten
        var highest = 0
        for name in try entries() {
            if name.hasPrefix(Self.incompletePrefix) || (name.hasPrefix("." + Self.pointerName + ".") && name.hasSuffix(".tmp")) {
                try? fileManager.removeItem(at: directory.appendingPathComponent(name))  // left by an interrupted save
            } else if let number = Self.number(of: name) {
                highest = Swift.max(highest, number)
            }
        }
        let name = Self.name(of: highest + 1)
        let temporary = directory.appendingPathComponent("\(Self.incompletePrefix)\(name)-\(getpid())")
        do {
            try fileManager.createDirectory(at: temporary, withIntermediateDirectories: false)
        } catch {
            throw CheckpointError.io(path: temporary.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        let final = directory.appendingPathComponent(name)
        do {
            try Checkpoint<Config>.writeFiles(into: temporary, model: model, optimizer: optimizer, training: training,
                                              config: config, average: average, afterEachFile: afterStage)
            try Self.syncFolder(temporary)
            guard rename(temporary.path, final.path) == 0 else {
                throw CheckpointError.io(path: final.path, reason: "cannot rename \(temporary.lastPathComponent) into place: \(String(cString: strerror(errno)))")
            }
            try Self.syncFolder(directory)
        } catch {
            try? fileManager.removeItem(at: temporary)
            throw error
        }
        try afterStage(4)
        let pointer = directory.appendingPathComponent(Self.pointerName)
        do {
            try AtomicFile.write(text: name + "\n", to: pointer)
        } catch {
            throw CheckpointError.io(path: pointer.path, reason: error.reason)
        }
        prune(keepingAlso: name)
        return final
    }

    /// The folder of the latest committed checkpoint, or nil when there is none.
    /// - Throws: `CheckpointError` when `LATEST` is unreadable or names a missing folder.
    public func latest() throws -> URL? {
        guard let name = try latestName() else { return nil }
        let url = directory.appendingPathComponent(name)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw CheckpointError.missingFile(path: url.path)
        }
        return url
    }

    /// Loads the latest committed checkpoint, or returns nil when there is none (a fresh run).
    /// - Throws: `CheckpointError` naming the file at fault.
    public func loadLatest<Config: Codable>(_ configType: Config.Type) throws -> Checkpoint<Config>? {
        guard let url = try latest() else { return nil }
        return try Checkpoint<Config>(directory: url)
    }

    /// The committed checkpoint folders, oldest first.
    public func checkpoints() throws -> [URL] {
        let limit = try latestName().flatMap(Self.number(of:)) ?? 0
        return try entries().compactMap { name in Self.number(of: name).map { (name, $0) } }
            .filter { $0.1 <= limit }
            .sorted { $0.1 < $1.1 }
            .map { directory.appendingPathComponent($0.0) }
    }

    // MARK: Internals

    private func latestName() throws -> String? {
        let pointer = directory.appendingPathComponent(Self.pointerName)
        guard FileManager.default.fileExists(atPath: pointer.path) else { return nil }
        let text: String
        do {
            text = try String(contentsOf: pointer, encoding: .utf8)
        } catch {
            throw CheckpointError.io(path: pointer.path, reason: "cannot read: \(error.localizedDescription)")
        }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.number(of: name) != nil else {
            throw CheckpointError.invalidFile(path: pointer.path, reason: "expected a checkpoint folder name like ckpt-00000001, found '\(name.prefix(80))'")
        }
        return name
    }

    private func entries() throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw CheckpointError.io(path: directory.path, reason: "cannot list the folder: \(error.localizedDescription)")
        }
    }

    /// Removes all but the `keep` newest committed checkpoints (never `name`); failures are ignored.
    private func prune(keepingAlso name: String) {
        guard let all = try? checkpoints() else { return }
        for url in all.dropLast(keep) where url.lastPathComponent != name {
            try? FileManager.default.removeItem(at: url)
        }
    }

    private static func name(of number: Int) -> String {
        let digits = String(number)
        return prefix + String(repeating: "0", count: Swift.max(0, 8 - digits.count)) + digits
    }

    private static func number(of name: String) -> Int? {
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard digits.count >= 8, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits), value > 0 else { return nil }
        return value
    }

    /// Flushes a folder's entries to disk.
    private static func syncFolder(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CheckpointError.io(path: url.path, reason: "cannot open the folder: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw CheckpointError.io(path: url.path, reason: "fsync failed: \(String(cString: strerror(errno)))") }
    }
}
