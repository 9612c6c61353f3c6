import Foundation
import RecurrentCore
import RecurrentData

/// A training checkpoint as loaded from disk: the model's weights (PyTorch keys), the optimizer's state, the
/// run's `TrainingState` and its configuration.
///
/// On disk a checkpoint is a folder of three files (see `CheckpointStore` for how folders are committed):
/// - `model.safetensors`: the model's `stateDict()`, F32, loadable by `safetensors.torch.load_file`;
/// - `optimizer.safetensors`: `OptimizerState` (buffers `state.<i>.exp_avg`, …; hyper-parameters in metadata);
/// - `training.json`: `{"format": "recurrent.checkpoint", "version": 1, "config": …, "training": …}`;
/// - `average.safetensors` (only when the run keeps a moving average of the weights): `average.<i>` for the
///   i-th parameter (see `ExponentialMovingAverage.exportState()`).
public struct Checkpoint<Config: Codable> {
    /// The folder it was read from.
    public var directory: URL
    /// The run's configuration, as saved.
    public var config: Config
    /// Where training stood.
    public var training: TrainingState
    /// The model's weights by PyTorch key.
    public var model: [String: Tensor]
    /// The optimizer's state.
    public var optimizer: OptimizerState
    /// The moving average of the weights, when the run kept one.
    public var average: [String: Tensor]?

    /// Reads the checkpoint in `directory`.
    /// - Throws: `CheckpointError` naming the missing or malformed file.
    public init(directory: URL) throws {
        self.directory = directory
        let modelURL = directory.appendingPathComponent(CheckpointFileName.model)
        let optimizerURL = directory.appendingPathComponent(CheckpointFileName.optimizer)
        let trainingURL = directory.appendingPathComponent(CheckpointFileName.training)
        for url in [modelURL, optimizerURL, trainingURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw CheckpointError.missingFile(path: url.path)
        }
        do {
            model = try SafeTensorsFile(contentsOf: modelURL).floatTensors()
        } catch {
            throw CheckpointError.invalidFile(path: modelURL.path, reason: "\(error)")
        }
        do {
            optimizer = try OptimizerState(contentsOf: optimizerURL)
        } catch {
            throw CheckpointError.invalidFile(path: optimizerURL.path, reason: "\(error)")
        }
        let averageURL = directory.appendingPathComponent(CheckpointFileName.average)
        if FileManager.default.fileExists(atPath: averageURL.path) {
            do {
                average = try SafeTensorsFile(contentsOf: averageURL).floatTensors()
            } catch {
                throw CheckpointError.invalidFile(path: averageURL.path, reason: "\(error)")
            }
        }
        let data: Data
        do {
            data = try Data(contentsOf: trainingURL)
        } catch {
            throw CheckpointError.io(path: trainingURL.path, reason: "cannot read: \(error.localizedDescription)")
        }
        let document: CheckpointDocument<Config>
        do {
            document = try CheckpointJSON.decoder().decode(CheckpointDocument<Config>.self, from: data)
        } catch {
            throw CheckpointError.invalidFile(path: trainingURL.path, reason: ErrorText.coding(error))
        }
        guard document.format == CheckpointDocument<Config>.formatName else {
            throw CheckpointError.invalidFile(path: trainingURL.path, reason: "format is '\(document.format)', expected '\(CheckpointDocument<Config>.formatName)'")
        }
        guard document.version == 1 else {
            throw CheckpointError.invalidFile(path: trainingURL.path, reason: "version \(document.version) is not supported (expected 1)")
        }
        config = document.config
        training = document.training
    }

    /// Loads the weights into `model` and the state into `optimizer` (which must have been built with the
    /// same architecture and hyper-parameters); either both are loaded or neither is changed.
    /// - Throws: `CheckpointError.incompatible` naming the file and the first mismatch.
    public func restore(model target: Module, optimizer targetOptimizer: Optimizer) throws {
        let previous = targetOptimizer.exportState()
        do {
            try targetOptimizer.importState(optimizer)
        } catch {
            throw CheckpointError.incompatible(path: directory.appendingPathComponent(CheckpointFileName.optimizer).path, reason: "\(error)")
        }
        do {
            try target.load(stateDict: model)
        } catch {
            try? targetOptimizer.importState(previous)
            throw CheckpointError.incompatible(path: directory.appendingPathComponent(CheckpointFileName.model).path, reason: "\(error)")
        }
    }

    /// Writes a checkpoint's three files into `directory` (which must exist). Each file is written atomically,
    /// but the set is not: `CheckpointStore` writes into a temporary folder and commits it.
    /// - Parameter afterEachFile: called after each file is written (a test hook to simulate crashes).
    static func writeFiles(into directory: URL, model: Module, optimizer: Optimizer, training: TrainingState, config: Config,
                           average: [String: Tensor]? = nil, afterEachFile: (Int) throws -> Void = { _ in }) throws {
        let modelURL = directory.appendingPathComponent(CheckpointFileName.model)
        do {
            try model.saveSafeTensors(to: modelURL, metadata: ["format": "pt"])
        } catch {
            throw CheckpointError.io(path: modelURL.path, reason: "\(error)")
        }
        try afterEachFile(1)
        let optimizerURL = directory.appendingPathComponent(CheckpointFileName.optimizer)
        do {
            try optimizer.exportState().write(to: optimizerURL)
        } catch {
            throw CheckpointError.io(path: optimizerURL.path, reason: "\(error)")
        }
        try afterEachFile(2)
        if let average {
            let averageURL = directory.appendingPathComponent(CheckpointFileName.average)
            do {
                try SafeTensorsWriter.write(average, metadata: ["format": "pt"], to: averageURL)
            } catch {
                throw CheckpointError.io(path: averageURL.path, reason: "\(error)")
            }
        }
        let trainingURL = directory.appendingPathComponent(CheckpointFileName.training)
        let document = CheckpointDocument(config: config, training: training)
        let data: Data
        do {
            data = try CheckpointJSON.encoder().encode(document)
        } catch {
            throw CheckpointError.invalidValue(name: "training.json", reason: ErrorText.coding(error))
        }
        do {
            try AtomicFile.write(Array(data) + [UInt8(ascii: "\n")], to: trainingURL)
        } catch {
            throw CheckpointError.io(path: trainingURL.path, reason: error.reason)
        }
        try afterEachFile(3)
    }
}

/// The names of the files inside a checkpoint folder.
public enum CheckpointFileName {
    /// The model's weights.
    public static let model = "model.safetensors"
    /// The optimizer's state.
    public static let optimizer = "optimizer.safetensors"
    /// Configuration and training state.
    public static let training = "training.json"
    /// The moving average of the weights (optional).
    public static let average = "average.safetensors"
}

/// The contents of `training.json`.
struct CheckpointDocument<Config: Codable>: Codable {
    static var formatName: String { "recurrent.checkpoint" }
    var format: String = CheckpointDocument.formatName
    var version: Int = 1
    var config: Config
    var training: TrainingState

    init(config: Config, training: TrainingState) {
        self.config = config
        self.training = training
    }
}

/// JSON settings for checkpoints: sorted keys, readable layout, infinities and NaN as strings.
enum CheckpointJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}
