import Foundation
import RecurrentCore
import RecurrentData

/// A checkpoint after every epoch of a `Trainer` run, from which an interrupted run resumes exactly: the
/// weights, the optimizer, the schedule, early stopping, the best weights so far, and the random generators
/// the application owns (dropout, augmentation), which it hands over through two closures.
///
/// ```swift
/// trainer.checkpointing = TrainerCheckpointing(store: CheckpointStore(directory: folder, keep: 1), configuration: options,
///     exportGenerators: { ["dropout": GeneratorState(model.dropoutGenerator)] },
///     importGenerators: { state in model.dropoutGenerator = try state.generator("dropout") })
/// ```
public final class TrainerCheckpointing {
    /// Why a checkpoint cannot be resumed.
    public struct MismatchError: Error, CustomStringConvertible, Equatable, Sendable {
        /// The checkpoint folder.
        public var path: String
        /// Makes an error for the checkpoint folder `path`.
        public init(path: String) { self.path = path }
        public var description: String { "the checkpoint in \(path) is from a run with other settings or data" }
    }

    /// Where the checkpoints go (`best.safetensors` beside them holds the best weights).
    public let store: CheckpointStore
    /// The application's generators, saved in every checkpoint.
    public var exportGenerators: () -> [String: GeneratorState]
    /// Puts the application's generators back from a checkpoint's state.
    public var importGenerators: (TrainingState) throws -> Void
    private let save: (Module, Optimizer, TrainingState, [String: Tensor]?) throws -> Void
    private let load: (Module, Optimizer) throws -> (TrainingState, [String: Tensor]?)?

    /// Checkpoints into `store`; a checkpoint resumes only a run of an equal `configuration`.
    public init<Configuration: Codable & Equatable>(store: CheckpointStore, configuration: Configuration,
                                                    exportGenerators: @escaping () -> [String: GeneratorState] = { [:] },
                                                    importGenerators: @escaping (TrainingState) throws -> Void = { _ in }) {
        self.store = store
        self.exportGenerators = exportGenerators
        self.importGenerators = importGenerators
        save = { model, optimizer, state, average in
            _ = try store.save(model: model, optimizer: optimizer, training: state, config: configuration, average: average)
        }
        load = { model, optimizer in
            guard let checkpoint = try store.loadLatest(Configuration.self) else { return nil }
            guard checkpoint.config == configuration else { throw MismatchError(path: store.directory.path) }
            try checkpoint.restore(model: model, optimizer: optimizer)
            return (checkpoint.training, checkpoint.average)
        }
    }

    /// The file of the best weights so far.
    var bestWeightsURL: URL { store.directory.appendingPathComponent("best.safetensors") }

    /// Writes a checkpoint (with the moving average of the weights, if any, and the best weights, when they changed).
    func write(model: Module, optimizer: Optimizer, state: TrainingState, average: ExponentialMovingAverage?,
               bestWeights: [String: Tensor]?) throws {
        if let bestWeights {
            try FileManager.default.createDirectory(at: store.directory, withIntermediateDirectories: true)
            try SafeTensorsWriter.write(bestWeights, metadata: ["format": "pt"], to: bestWeightsURL)
        }
        var state = state
        state.generators = exportGenerators()
        if let average { state.values["averageUpdates"] = Double(average.updateCount) }
        try save(model, optimizer, state, average?.exportState())
    }

    /// Restores the latest checkpoint into the model and the optimizer, the moving average (which a checkpoint
    /// of a run with one must hold) and the application's generators; nil when there is none.
    func resume(model: Module, optimizer: Optimizer, average: ExponentialMovingAverage?) throws -> (state: TrainingState, bestWeights: [String: Tensor]?)? {
        guard let (state, savedAverage) = try load(model, optimizer) else { return nil }
        if let average {
            guard let savedAverage, let updates = state.values["averageUpdates"] else {
                throw CheckpointError.invalidValue(name: CheckpointFileName.average, reason: "the checkpoint in \(store.directory.path) has no moving average of the weights")
            }
            try average.importState(savedAverage, updateCount: Int(updates))
        }
        try importGenerators(state)
        let best = FileManager.default.fileExists(atPath: bestWeightsURL.path) ? try SafeTensorsFile(contentsOf: bestWeightsURL).floatTensors() : nil
        return (state, best)
    }
}
