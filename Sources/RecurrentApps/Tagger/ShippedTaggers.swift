import Foundation

/// Finds the taggers shipped in the repository's `Models/` folder (`Models/tagger-en`, `Models/tagger-zh`).
public enum ShippedTaggers {
    /// The languages with a shipped model.
    public static let languages = ["en", "zh"]

    /// The folder name of a language's model: `tagger-<language>`.
    public static func folderName(language: String) -> String { "tagger-" + language }

    /// The `Models/` folders searched, in order:
    /// 1. `RECURRENT_MODELS` when set;
    /// 2. `Models/` in the folder of the running executable or any folder above it (a build inside the
    ///    package, e.g. `.build/release/recurrent`);
    /// 3. `Models/` in the current folder or any folder above it;
    /// 4. `Models/` of the package this library was compiled from.
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
        // This file is Sources/RecurrentApps/Tagger/ShippedTaggers.swift inside the package.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        folders.append(packageRoot.appendingPathComponent("Models"))
        return folders
    }

    /// The model folder for `language`: the first `Models/tagger-<language>` with a `config.json`.
    /// - Throws: `TaggerError.modelNotFound` listing where it looked, or `.invalidConfiguration` for an unknown language.
    public static func directory(language: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        guard languages.contains(language) else {
            throw TaggerError.invalidConfiguration("no shipped tagger for language '\(language)' (available: \(languages.joined(separator: ", ")))")
        }
        let name = folderName(language: language)
        let folders = searchFolders(environment: environment)
        for folder in folders {
            let candidate = folder.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(Tagger.FileName.configuration).path) {
                return candidate
            }
        }
        throw TaggerError.modelNotFound(path: "Models/" + name,
                                        reason: "not found (set RECURRENT_MODELS to the folder holding \(name), or use --model)")
    }

    /// Loads the shipped tagger of `language`.
    /// The folder name of the shipped Chinese segmenter.
    public static let segmenterFolderName = "segmenter-zh"

    /// Loads the shipped Chinese word segmenter (a character tagger; see `ChineseSegmentation`).
    /// - Throws: `TaggerError.modelNotFound` when no `segmenter-zh` folder is found.
    public static func loadSegmenter(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Tagger {
        for folder in searchFolders(environment: environment) {
            let candidate = folder.appendingPathComponent(segmenterFolderName)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(Tagger.FileName.configuration).path) {
                return try Tagger.load(from: candidate)
            }
        }
        throw TaggerError.modelNotFound(path: "Models/" + segmenterFolderName,
                                        reason: "not found (set RECURRENT_MODELS to the folder holding \(segmenterFolderName))")
    }

    public static func load(language: String) throws -> Tagger {
        try Tagger.load(from: directory(language: language))
    }
}
