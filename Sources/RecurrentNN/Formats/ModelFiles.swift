import Foundation
import RecurrentData

/// The model folder for any model: `config.json` (your `Codable` configuration under a format name and
/// version, and the list of vocabularies), `model.safetensors` (the state dict, PyTorch's keys) and one JSON
/// file per vocabulary — written whole (`ModelFolder`), read strictly (`ModelFolderReader`).
///
/// ```swift
/// struct Config: Codable { var hidden: Int }
/// try ModelFiles.save(model, configuration: Config(hidden: 48), format: "my.classifier", vocabularies: ["characters": chars], to: folder)
/// let saved = try ModelFiles.load(Config.self, format: "my.classifier", from: folder) { config, vocabularies in
///     try MyModel(hidden: config.hidden, characters: vocabularies["characters"]!)   // built, then its weights loaded
/// }
/// ```
public enum ModelFiles {
    /// What `config.json` holds.
    public struct Manifest<Configuration: Codable>: Codable {
        /// The model kind, e.g. `"my.classifier"`.
        public var format: String
        /// The format version.
        public var version: Int
        /// The names of the vocabularies, each stored as `<name>.json`.
        public var vocabularies: [String]
        /// The model's own configuration.
        public var configuration: Configuration
    }

    /// A loaded model with its configuration and vocabularies.
    public struct Loaded<Configuration: Codable, Model: Module> {
        public var model: Model
        public var configuration: Configuration
        public var vocabularies: [String: Vocabulary]
    }

    /// Saves a model folder whole.
    /// - Parameters:
    ///   - model: the module (its non-finite weights are refused).
    ///   - configuration: what rebuilds the module.
    ///   - format: the model kind; `version` its version.
    ///   - vocabularies: by name (a file `<name>.json` each).
    ///   - storage: `.f32`, `.f16` or `.int8Rows`.
    ///   - url: the folder.
    public static func save<Configuration: Codable>(_ model: Module, configuration: Configuration, format: String, version: Int = 1,
                                                    vocabularies: [String: Vocabulary] = [:], storage: SafeTensorsWriter.FloatFormat = .f32,
                                                    to url: URL) throws {
        let manifest = Manifest(format: format, version: version, vocabularies: vocabularies.keys.sorted(), configuration: configuration)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let text = String(decoding: try encoder.encode(manifest), as: UTF8.self) + "\n"
        try ModelFolder.write(to: url) { folder in
            try model.saveSafeTensors(to: folder.appendingPathComponent("model.safetensors"), format: storage, metadata: ["format": "pt", "recurrent": format])
            for (name, vocabulary) in vocabularies { try vocabulary.write(to: folder.appendingPathComponent(name + ".json")) }
            try AtomicFile.write(text: text, to: folder.appendingPathComponent("config.json"))
        }
    }

    /// Loads a model folder strictly: the format and version must match, every vocabulary and the weights
    /// must be there, and `build` makes the module the weights are loaded into (every key, shape, finite).
    /// - Throws: `ModelFolderReader.ReadError` naming the folder and what is missing or wrong, or what `build` throws.
    public static func load<Configuration: Codable, Model: Module>(
        _ type: Configuration.Type, format: String, version: Int = 1, from url: URL,
        build: (Configuration, [String: Vocabulary]) throws -> Model
    ) throws -> Loaded<Configuration, Model> {
        let folder = try ModelFolderReader(url)
        let manifest = try folder.decode(Manifest<Configuration>.self, from: "config.json")
        try folder.checking("config.json") {
            try Check.that(manifest.format == format && manifest.version == version, "format",
                           "'\(manifest.format)' version \(manifest.version), expected '\(format)' version \(version)")
        }
        var vocabularies: [String: Vocabulary] = [:]
        for name in manifest.vocabularies { vocabularies[name] = try folder.vocabulary(name + ".json") }
        let model = try build(manifest.configuration, vocabularies)
        let weights = try folder.file("model.safetensors")
        try folder.checking("model.safetensors") { try model.loadSafeTensors(from: weights) }
        return Loaded(model: model, configuration: manifest.configuration, vocabularies: vocabularies)
    }
}
