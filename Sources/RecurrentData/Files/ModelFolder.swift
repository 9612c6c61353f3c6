import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a model folder whole: its files go into a fresh hidden folder beside the destination
/// (`.NAME.partial-PID-RANDOM`), which then takes the destination's place, so a reader — or a run restarted
/// after a kill — finds the complete old folder or the complete new one, never a mix.
///
/// Entries of the old folder that the new write does not produce (a `checkpoints/` folder, held-out data)
/// are moved into the new folder before the swap. Leftovers of writes that were killed are removed by the
/// next write; loaders never look at them (they are hidden siblings, not inside the folder).
///
/// ```swift
/// try ModelFolder.write(to: URL(fileURLWithPath: "Models/mine")) { folder in
///     try AtomicFile.write(text: json, to: folder.appendingPathComponent("config.json"))
///     try model.saveSafeTensors(to: folder.appendingPathComponent("model.safetensors"))
/// }
/// ```
public enum ModelFolder {
    /// Why a folder could not be written; the previous folder, if any, is unchanged.
    public struct WriteError: Error, CustomStringConvertible, Equatable, Sendable {
        /// The destination folder.
        public var path: String
        /// What went wrong.
        public var reason: String

        /// `PATH: cannot write the model folder: REASON`.
        public var description: String { "\(path): cannot write the model folder: \(reason)" }
    }

    /// Fills a new folder with `body` and puts it at `url` (see the type's documentation).
    ///
    /// - Parameters:
    ///   - url: the model folder; its parent is created if needed.
    ///   - body: writes every file of the model into the folder it is given (a temporary one).
    /// - Throws: what `body` throws (the temporary folder is removed and `url` is untouched), or
    ///   `ModelFolder.WriteError` when the folder cannot be created or put in place.
    public static func write(to url: URL, _ body: (URL) throws -> Void) throws {
        let manager = FileManager.default
        let destination = url.standardizedFileURL
        let parent = destination.deletingLastPathComponent()
        let name = destination.lastPathComponent
        func failure(_ reason: String) -> WriteError { WriteError(path: destination.path, reason: reason) }
        do {
            try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw failure(ErrorText.reason(error))
        }
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: destination.path, isDirectory: &isFolder), !isFolder.boolValue {
            throw failure("a file of that name is in the way")
        }
        recoverAndClean(name: name, in: parent)

        let temporary = parent.appendingPathComponent(hiddenName(name, "partial"))
        do {
            try manager.createDirectory(at: temporary, withIntermediateDirectories: false)
        } catch {
            throw failure("cannot create \(temporary.path): \(ErrorText.reason(error))")
        }
        do {
            try body(temporary)
        } catch {
            try? manager.removeItem(at: temporary)
            throw error
        }

        guard manager.fileExists(atPath: destination.path) else {
            guard rename(temporary.path, destination.path) == 0 else {
                let reason = systemError()
                try? manager.removeItem(at: temporary)
                throw failure("cannot rename the new folder into place: \(reason)")
            }
            syncFolder(parent.path)
            return
        }
        // Keep what the old folder has and the new one does not (checkpoints, held-out data).
        let produced = Set((try? manager.contentsOfDirectory(atPath: temporary.path)) ?? [])
        for entry in (try? manager.contentsOfDirectory(atPath: destination.path)) ?? [] where !produced.contains(entry) {
            guard !isLeftover(entry) else { continue }
            _ = rename(destination.appendingPathComponent(entry).path, temporary.appendingPathComponent(entry).path)
        }
        let old = parent.appendingPathComponent(hiddenName(name, "old"))
        guard rename(destination.path, old.path) == 0 else {
            let reason = systemError()
            throw failure("cannot move the old folder aside: \(reason)")
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = systemError()
            _ = rename(old.path, destination.path)
            throw failure("cannot rename the new folder into place: \(reason)")
        }
        syncFolder(parent.path)
        try? manager.removeItem(at: old)
    }

    /// `.NAME.KIND-PID-RANDOM`.
    static func hiddenName(_ name: String, _ kind: String) -> String {
        var random = SystemRandomNumberGenerator()
        return ".\(name).\(kind)-\(getpid())-\(String(random.next() as UInt64, radix: 36))"
    }

    /// Whether an entry is a temporary file of `AtomicFile` (`.NAME.PID.RANDOM.tmp`) left by a kill.
    static func isLeftover(_ entry: String) -> Bool { entry.hasPrefix(".") && entry.hasSuffix(".tmp") }

    /// Removes the leftovers of killed writes of `name` in `parent` — partial folders, and old folders
    /// whose replacement finished — and puts an old folder back when the kill came between the two renames.
    /// Leftovers of a writer that is still running are left alone.
    static func recoverAndClean(name: String, in parent: URL) {
        let manager = FileManager.default
        guard let siblings = try? manager.contentsOfDirectory(atPath: parent.path) else { return }
        for sibling in siblings.sorted() {
            for kind in ["partial", "old"] {
                let prefix = ".\(name).\(kind)-"
                guard sibling.hasPrefix(prefix) else { continue }
                let pidText = sibling.dropFirst(prefix.count).prefix { $0 != "-" }
                guard let pid = Int32(pidText), !isRunning(pid) else { continue }
                let url = parent.appendingPathComponent(sibling)
                if kind == "old" && !manager.fileExists(atPath: parent.appendingPathComponent(name).path) {
                    _ = rename(url.path, parent.appendingPathComponent(name).path)
                } else {
                    try? manager.removeItem(at: url)
                }
            }
        }
        // AtomicFile temporaries inside the folder itself.
        let folder = parent.appendingPathComponent(name)
        for entry in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? [] where isLeftover(entry) {
            let parts = entry.split(separator: ".", omittingEmptySubsequences: false)  // "", name…, PID, RANDOM, "tmp"
            if parts.count >= 4, let pid = Int32(parts[parts.count - 3]), isRunning(pid) { continue }
            try? manager.removeItem(at: folder.appendingPathComponent(entry))
        }
    }

    /// Whether a process with this id exists (our own process counts as running).
    static func isRunning(_ pid: Int32) -> Bool {
        pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH
    }

    private static func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}
