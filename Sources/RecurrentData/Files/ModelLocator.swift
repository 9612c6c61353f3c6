import Foundation

/// Finds shipped and installed model folders by name (`tagger-en`, `g2p`, `translate`, …): the one lookup
/// every command and application uses.
///
/// The `Models/` folders searched, in order:
/// 1. `RECURRENT_MODELS` when set;
/// 2. `Models/` in the folder of the running executable or any folder above it (a build inside the package,
///    e.g. `.build/release/recurrent`);
/// 3. `Models/` in the current folder or any folder above it;
/// 4. `Models/` of the package this library was compiled from.
///
/// ```swift
/// let folder = try ModelLocator.find("g2p")   // …/Models/g2p
/// ```
public enum ModelLocator {
    /// No folder of that name holds a `config.json`.
    public struct NotFound: Error, CustomStringConvertible, Equatable, Sendable {
        /// The model's folder name.
        public var name: String
        /// The folders searched, in order, each once.
        public var searched: [String]

        public var description: String {
            "no '\(name)' model found; looked in: \(searched.joined(separator: ", ")) (pass --model DIR or set RECURRENT_MODELS)"
        }
    }

    /// The `Models/` folders searched, in order (see the type's documentation), each once.
    public static func searchFolders(environment: [String: String] = ProcessInfo.processInfo.environment,
                                     executable: URL? = Bundle.main.executableURL,
                                     currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) -> [URL] {
        var folders: [URL] = []
        if let path = environment["RECURRENT_MODELS"], !path.isEmpty { folders.append(URL(fileURLWithPath: path)) }
        func ancestors(of url: URL) -> [URL] {
            var result: [URL] = []
            var current = url.standardizedFileURL
            for _ in 0..<8 {
                result.append(current.appendingPathComponent("Models"))
                let parent = current.deletingLastPathComponent()
                if parent.path == current.path { break }
                current = parent
            }
            return result
        }
        if let executable { folders += ancestors(of: executable.resolvingSymlinksInPath().deletingLastPathComponent()) }
        folders += ancestors(of: currentDirectory)
        // This file is Sources/RecurrentData/Files/ModelLocator.swift inside the package.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        folders.append(packageRoot.appendingPathComponent("Models"))
        var seen = Set<String>()
        return folders.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// The first `<Models>/<name>` folder holding a `config.json`.
    /// - Throws: `ModelLocator.NotFound` listing every folder searched.
    public static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(NotFound) -> URL {
        let candidates = searchFolders(environment: environment).map { $0.appendingPathComponent(name) }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("config.json").path) }) {
            return found
        }
        throw NotFound(name: name, searched: candidates.map(\.standardizedFileURL.path))
    }
}
