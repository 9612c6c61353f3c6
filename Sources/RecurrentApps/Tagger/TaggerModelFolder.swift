import Foundation
import RecurrentCore
import RecurrentData
import RecurrentNN

/// What `config.json` of a saved tagger holds.
public struct TaggerModelConfiguration: Codable, Equatable, Sendable {
    /// Always `"recurrent.tagger"`.
    public var format: String
    /// The format version (1).
    public var version: Int
    /// The predicted column.
    public var column: TagColumn
    /// The network's sizes and text handling.
    public var architecture: TaggerArchitecture
    /// Entries of `words.json`, `characters.json` and `tags.json`.
    public var wordCount: Int
    public var characterCount: Int
    public var tagCount: Int
    /// How the model was trained (informational).
    public var training: TaggerTrainingSummary?

    /// The value of `format`.
    public static let formatName = "recurrent.tagger"
}

/// How a saved model was trained (stored in `config.json`, for the record).
public struct TaggerTrainingSummary: Codable, Equatable, Sendable {
    /// The training file's name.
    public var trainFile: String
    /// The dev file's name.
    public var devFile: String
    /// Epochs run.
    public var epochs: Int
    /// The 1-based epoch whose weights were kept (best dev accuracy).
    public var bestEpoch: Int
    /// Dev accuracy of the kept weights (in F32, before F16 storage).
    public var devAccuracy: Double
    /// Training seconds per epoch (without dev evaluation).
    public var epochSeconds: [Double]
    /// Wall-clock seconds of the whole run, evaluations included.
    public var totalSeconds: Double
    /// The settings of the run.
    public var options: TaggerTrainingOptions
}

/// A trained tagger: the network, its vocabularies and the column it predicts. Saved as a folder:
///
/// ```
/// tagger-en/
///   config.json         TaggerModelConfiguration (format "recurrent.tagger", version 1)
///   model.safetensors   the network's weights by key (see TaggerModel), F16 by default
///   words.json          Vocabulary (lower-cased forms)
///   characters.json     Vocabulary of single characters
///   tags.json           Vocabulary without reserved tokens
/// ```
public final class Tagger {
    /// The network.
    public let model: TaggerModel
    /// Words, characters and tags.
    public let vocabularies: TaggerVocabularies
    /// The predicted column.
    public let column: TagColumn
    /// How it was trained, when known.
    public var training: TaggerTrainingSummary?

    /// The file names inside a model folder.
    public enum FileName {
        public static let configuration = "config.json"
        public static let weights = "model.safetensors"
        public static let words = "words.json"
        public static let characters = "characters.json"
        public static let tags = "tags.json"
    }

    /// Wraps a network and its vocabularies.
    /// - Precondition: the network's tables match the vocabularies' sizes.
    public init(model: TaggerModel, vocabularies: TaggerVocabularies, column: TagColumn, training: TaggerTrainingSummary? = nil) {
        precondition(model.wordEmbedding.shape[0] == vocabularies.words.count
                     && model.characterEmbedding.shape[0] == vocabularies.characters.count
                     && model.tagCount == vocabularies.tags.count, "Tagger: the network does not fit the vocabularies")
        self.model = model
        self.vocabularies = vocabularies
        self.column = column
        self.training = training
        model.isTraining = false
    }

    /// The encoder for this tagger's vocabularies.
    public var encoder: TaggerEncoder { TaggerEncoder(vocabularies: vocabularies, architecture: model.architecture) }

    /// The configuration written to `config.json`.
    public var configuration: TaggerModelConfiguration {
        TaggerModelConfiguration(format: TaggerModelConfiguration.formatName, version: 1, column: column,
                                 architecture: model.architecture, wordCount: vocabularies.words.count,
                                 characterCount: vocabularies.characters.count, tagCount: vocabularies.tags.count,
                                 training: training)
    }

    /// Saves the folder whole (see `ModelFolder`): a reader finds the old folder or the complete new one.
    /// - Parameter format: weight storage, `.f16` (default, half the size) or `.f32`.
    /// - Throws: `StateDictError.nonFinite` for a diverged network, `SafeTensorsError` for a value beyond the
    ///   storage format's range, file errors; the folder is then unchanged.
    public func save(to directory: URL, format: SafeTensorsWriter.FloatFormat = .f16) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let configurationBytes = [UInt8](try encoder.encode(configuration))
        try ModelFolder.write(to: directory) { folder in
            try model.saveSafeTensors(to: folder.appendingPathComponent(FileName.weights), format: format,
                                      metadata: ["format": "pt", "recurrent": TaggerModelConfiguration.formatName])
            try vocabularies.words.write(to: folder.appendingPathComponent(FileName.words))
            try vocabularies.characters.vocabulary.write(to: folder.appendingPathComponent(FileName.characters))
            try vocabularies.tags.write(to: folder.appendingPathComponent(FileName.tags))
            try AtomicFile.write(configurationBytes, to: folder.appendingPathComponent(FileName.configuration))
        }
    }

    /// Loads a saved folder.
    /// - Throws: `TaggerError.modelNotFound` when the folder or a file is missing, `.invalidModel` (naming the
    ///   file) when one is malformed or they do not fit together.
    public static func load(from directory: URL) throws -> Tagger {
        do {
            return try read(ModelFolderReader(directory))
        } catch let error as ModelFolderReader.ReadError {
            switch error {
            case .missing(let path, let reason): throw TaggerError.modelNotFound(path: path, reason: reason)
            case .invalid(let path, let reason): throw TaggerError.invalidModel(path: path, reason: reason)
            }
        }
    }

    private static func read(_ folder: ModelFolderReader) throws -> Tagger {
        let configuration = try folder.decode(TaggerModelConfiguration.self, from: FileName.configuration)
        try folder.checking(FileName.configuration) {
            try Check.that(configuration.format == TaggerModelConfiguration.formatName && configuration.version == 1, "format",
                           "'\(configuration.format)' version \(configuration.version) is not a version-1 \(TaggerModelConfiguration.formatName) configuration")
            try configuration.architecture.validate()
            try Check.count(configuration.wordCount, "wordCount", in: 2...Limits.maximumVocabulary)
            try Check.count(configuration.characterCount, "characterCount", in: 2...Limits.maximumVocabulary)
            try Check.count(configuration.tagCount, "tagCount", in: 1...Limits.maximumVocabulary)
            try Check.parameterCount(configuration.architecture.estimatedParameterCount(
                words: configuration.wordCount, characters: configuration.characterCount, tags: configuration.tagCount), "the configuration")
        }
        func vocabulary(_ name: String, expected: Int) throws -> Vocabulary {
            let vocabulary = try folder.vocabulary(name)
            try folder.checking(name) {
                try Check.that(vocabulary.count == expected, "entries", "\(vocabulary.count), but config.json says \(expected)")
            }
            return vocabulary
        }
        let words = try vocabulary(FileName.words, expected: configuration.wordCount)
        let characterTable = try vocabulary(FileName.characters, expected: configuration.characterCount)
        let tags = try vocabulary(FileName.tags, expected: configuration.tagCount)
        let characters: CharacterVocabulary
        do { characters = try CharacterVocabulary(characterTable) } catch {
            throw ModelFolderReader.ReadError.invalid(path: folder.directory.path, reason: "\(FileName.characters): \(error)")
        }
        guard words.hasUnknown, !tags.hasUnknown, tags.count > 0 else {
            throw ModelFolderReader.ReadError.invalid(path: folder.directory.path, reason: "words.json needs <pad> and <unk>; tags.json must have none")
        }
        let model = TaggerModel(architecture: configuration.architecture, wordCount: words.count,
                                characterCount: characters.count, tagCount: tags.count)
        let weights = try folder.file(FileName.weights)
        try folder.checking(FileName.weights) { try model.loadSafeTensors(from: weights) }
        return Tagger(model: model, vocabularies: TaggerVocabularies(words: words, characters: characters, tags: tags),
                      column: configuration.column, training: configuration.training)
    }
}
