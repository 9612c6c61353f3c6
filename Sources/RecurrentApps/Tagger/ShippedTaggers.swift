import Foundation
import RecurrentData

/// The taggers shipped in the repository's `Models/` folder (`Models/tagger-en`, `Models/tagger-zh`), found by `ModelLocator`.
public enum ShippedTaggers {
    /// The languages with a shipped model.
    public static let languages = ["en", "zh"]

    /// The folder name of a language's model: `tagger-<language>`.
    public static func folderName(language: String) -> String { "tagger-" + language }

    /// The model folder for `language`: the first `Models/tagger-<language>` with a `config.json`.
    /// - Throws: `TaggerError.modelNotFound` listing where it looked, or `.invalidConfiguration` for an unknown language.
    public static func directory(language: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        guard languages.contains(language) else {
            throw TaggerError.invalidConfiguration("no shipped tagger for language '\(language)' (available: \(languages.joined(separator: ", ")))")
        }
        let name = folderName(language: language)
        do {
            return try ModelLocator.find(name, environment: environment)
        } catch {
            throw TaggerError.modelNotFound(path: "Models/" + name, reason: "not found (set RECURRENT_MODELS to the folder holding \(name), or use --model)")
        }
    }

    /// Loads the shipped tagger of `language`.
    /// The folder name of the shipped Chinese segmenter.
    public static let segmenterFolderName = "segmenter-zh"

    /// Loads the shipped Chinese word segmenter (a character tagger; see `ChineseSegmentation`).
    /// - Throws: `TaggerError.modelNotFound` when no `segmenter-zh` folder is found.
    public static func loadSegmenter(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Tagger {
        let folder: URL
        do {
            folder = try ModelLocator.find(segmenterFolderName, environment: environment)
        } catch {
            throw TaggerError.modelNotFound(path: "Models/" + segmenterFolderName,
                                            reason: "not found (set RECURRENT_MODELS to the folder holding \(segmenterFolderName))")
        }
        return try Tagger.load(from: folder)
    }

    public static func load(language: String) throws -> Tagger {
        try Tagger.load(from: directory(language: language))
    }
}
