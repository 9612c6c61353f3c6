import Foundation
import Testing
import RecurrentCore
import RecurrentData
@testable import RecurrentNN

private struct RunConfig: Codable, Equatable {
    var hiddenSize: Int
    var learningRate: Double
    var name: String
}

/// A model and an optimizer that has taken one step, so both have non-trivial state.
private func trainedPair(seed: UInt64) throws -> (TinyTagger, Adam) {
    let model = TinyTagger(vocabulary: 10, tags: 4, seed: seed)
    let optimizer = Adam(parameters: model.parameters, learningRate: 0.01, weightDecay: 0.001)
    let batch = PaddedBatch(sequences: [[2, 3, 4], [5, 6]])
    try model.loss(batch, tags: [[0, 1, 2], [3, 0]], tagCount: 4).backward()
    optimizer.step()
    return (model, optimizer)
}

private func training(step: Int) -> TrainingState {
    TrainingState(epoch: step / 5, batchInEpoch: step % 5, step: step,
                  generators: ["dropout": GeneratorState(Xoshiro256StarStar(seed: UInt64(step)))],
                  scheduler: StepDecay(initialLearningRate: 0.1, stepSize: 2).exportState(),
                  earlyStopping: EarlyStopping(mode: .max, patience: 3).state,
                  bestMetric: step == 0 ? nil : 0.1 * Double(step),
                  values: ["loss_sum": 1.0 / 3.0, "tiny": .leastNonzeroMagnitude, "minus_zero": -0.0, "big": 1.7976931348623157e308, "inf": .infinity])
}

private let config = RunConfig(hiddenSize: 8, learningRate: 0.01, name: "tiny \"tagger\" ✓")

@Suite("Checkpoints")
struct CheckpointTests {
    @Test("round trip: weights, optimizer state, training state and config come back exactly")
    func roundTrip() throws {
        let folder = try makeTrainingTemporaryFolder()
        defer { removeTrainingTemporaryFolder(folder) }
        let store = CheckpointStore(directory: folder.appendingPathComponent("run"))
        #expect(try store.loadLatest(RunConfig.self) == nil)

        let (model, optimizer) = try trainedPair(seed: 1)
        let url = try store.save(model: model, optimizer: optimizer, training: training(step: 7), config: config)
        #expect(url.lastPathComponent == "ckpt-00000001")
        #expect(try String(contentsOf: store.directory.appendingPathComponent("LATEST"), encoding: .utf8) == "ckpt-00000001\n")
        let files = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
        #expect(files == ["model.safetensors", "optimizer.safetensors", "training.json"])

        // The weights file is a plain PyTorch-keyed state dict.
        let weights = try SafeTensorsFile(contentsOf: url.appendingPathComponent("model.safetensors"))
        #expect(weights.sortedNames == model.namedParameters.map(\.key).sorted())
        #expect(weights.sortedNames.contains("lstm.weight_hh_l1"))

        let checkpoint = try #require(try store.loadLatest(RunConfig.self))
        #expect(checkpoint.config == config)
        #expect(checkpoint.training == training(step: 7))
        #expect(checkpoint.training.values["minus_zero"]!.sign == .minus)

        let (fresh, freshOptimizer) = try trainedPair(seed: 2)
        try checkpoint.restore(model: fresh, optimizer: freshOptimizer)
        for ((key, a), (_, b)) in zip(model.namedParameters, fresh.namedParameters) {
            expectBitwiseEqual(a.value.scalars, b.value.scalars, "\(key)")
        }
        #expect(freshOptimizer.stepCounts == optimizer.stepCounts)
        for i in optimizer.parameters.indices {
            expectBitwiseEqual(freshOptimizer.firstMoments[i], optimizer.firstMoments[i], "exp_avg \(i)")
            expectBitwiseEqual(freshOptimizer.secondMoments[i], optimizer.secondMoments[i], "exp_avg_sq \(i)")
        }
        #expect(try checkpoint.training.generator("dropout").state == Xoshiro256StarStar(seed: 7).state)
        #expect(throws: CheckpointError.self) { try checkpoint.training.generator("sampling") }
    }

    @Test("only the newest `keep` checkpoints are kept")
    func pruning() throws {
        let folder = try makeTrainingTemporaryFolder()
        defer { removeTrainingTemporaryFolder(folder) }
        let store = CheckpointStore(directory: folder, keep: 2)
        let (model, optimizer) = try trainedPair(seed: 1)
        for step in 1...4 { try store.save(model: model, optimizer: optimizer, training: training(step: step), config: config) }
        #expect(try store.checkpoints().map(\.lastPathComponent) == ["ckpt-00000003", "ckpt-00000004"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["LATEST", "ckpt-00000003", "ckpt-00000004"])
        #expect(try store.loadLatest(RunConfig.self)?.training.step == 4)
    }

    /// A failure injected at each stage of a save: after the weights file, after the optimizer file, after
    /// the JSON file (all inside the incomplete folder), after the folder is renamed but before LATEST.
    @Test("an interrupted save leaves the previous checkpoint loadable", arguments: [1, 2, 3, 4])
    func interruptedSave(stage: Int) throws {
        struct SimulatedCrash: Error {}
        let folder = try makeTrainingTemporaryFolder()
        defer { removeTrainingTemporaryFolder(folder) }
        var store = CheckpointStore(directory: folder, keep: 3)
        let (model, optimizer) = try trainedPair(seed: 1)
        try store.save(model: model, optimizer: optimizer, training: training(step: 10), config: config)

        let (changed, changedOptimizer) = try trainedPair(seed: 99)
        store.afterStage = { if $0 == stage { throw SimulatedCrash() } }
        #expect(throws: SimulatedCrash.self) {
            try store.save(model: changed, optimizer: changedOptimizer, training: training(step: 20), config: config)
        }
        let survivor = try #require(try store.loadLatest(RunConfig.self))
        #expect(survivor.training.step == 10)
        expectBitwiseEqual(survivor.model["embedding.weight"]!.scalars, model.embedding.value.scalars, "values")
        #expect(try store.checkpoints().map(\.lastPathComponent) == ["ckpt-00000001"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(leftovers == (stage == 4 ? ["LATEST", "ckpt-00000001", "ckpt-00000002"] : ["LATEST", "ckpt-00000001"]))

        // The next save works, numbers past the leftover and commits.
        store.afterStage = { _ in }
        let url = try store.save(model: changed, optimizer: changedOptimizer, training: training(step: 30), config: config)
        #expect(url.lastPathComponent == (stage == 4 ? "ckpt-00000003" : "ckpt-00000002"))
        #expect(try store.loadLatest(RunConfig.self)?.training.step == 30)
    }

    @Test("leftovers of a killed process (a half-written folder, a stray temporary file) are ignored, then cleaned")
    func killedProcessLeftovers() throws {
        let folder = try makeTrainingTemporaryFolder()
        defer { removeTrainingTemporaryFolder(folder) }
        let store = CheckpointStore(directory: folder)
        let (model, optimizer) = try trainedPair(seed: 1)
        try store.save(model: model, optimizer: optimizer, training: training(step: 5), config: config)
        let partial = folder.appendingPathComponent(".incomplete-ckpt-00000002-4242")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: false)
        try Data([1, 2, 3]).write(to: partial.appendingPathComponent("model.safetensors"))
        try Data("ckpt-000".utf8).write(to: folder.appendingPathComponent(".LATEST.4242.abc.tmp"))

        #expect(try store.loadLatest(RunConfig.self)?.training.step == 5)
        try store.save(model: model, optimizer: optimizer, training: training(step: 6), config: config)
        #expect(!FileManager.default.fileExists(atPath: partial.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["LATEST", "ckpt-00000001", "ckpt-00000002"])
        #expect(try store.loadLatest(RunConfig.self)?.training.step == 6)
    }

    @Test("damaged checkpoints give one-line errors naming the file")
    func damagedFiles() throws {
        let folder = try makeTrainingTemporaryFolder()
        defer { removeTrainingTemporaryFolder(folder) }
        let store = CheckpointStore(directory: folder)
        let (model, optimizer) = try trainedPair(seed: 1)
        let url = try store.save(model: model, optimizer: optimizer, training: training(step: 5), config: config)
        let json = url.appendingPathComponent("training.json")
        let original = try Data(contentsOf: json)

        try Data("{\"format\": \"recurrent.checkpoint\", \"version\": 1, \"config\": {}}".utf8).write(to: json)
        #expect(throws: CheckpointError.invalidFile(path: json.path, reason: "missing key 'hiddenSize' at config")) {
            try store.loadLatest(RunConfig.self)
        }
        try Data("{\"format\": \"other\", \"version\": 1}".utf8).write(to: json)
        #expect(throws: CheckpointError.self) { try store.loadLatest([String: Int].self) }
        try original.write(to: json)

        let modelFile = url.appendingPathComponent("model.safetensors")
        let weights = try Data(contentsOf: modelFile)
        try weights.prefix(weights.count - 3).write(to: modelFile)
        do {
            _ = try store.loadLatest(RunConfig.self)
            Issue.record("expected an error")
        } catch let error as CheckpointError {
            guard case .invalidFile(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == modelFile.path)
            #expect(!"\(error)".contains("\n"))
        }
        try FileManager.default.removeItem(at: modelFile)
        #expect(throws: CheckpointError.missingFile(path: modelFile.path)) { try store.loadLatest(RunConfig.self) }

        try Data("../../etc\n".utf8).write(to: folder.appendingPathComponent("LATEST"))
        #expect(throws: CheckpointError.self) { try store.latest() }
        try Data("ckpt-00000009\n".utf8).write(to: folder.appendingPathComponent("LATEST"))
        #expect(throws: CheckpointError.missingFile(path: folder.appendingPathComponent("ckpt-00000009").path)) { try store.latest() }
    }

    @Test("restoring into a different model fails, naming the key, and leaves the optimizer unchanged")
    func incompatibleRestore() throws {
        let folder = try makeTrainingTemporaryFolder()
        defer { removeTrainingTemporaryFolder(folder) }
        let store = CheckpointStore(directory: folder)
        let (model, optimizer) = try trainedPair(seed: 1)
        try store.save(model: model, optimizer: optimizer, training: training(step: 5), config: config)
        let checkpoint = try #require(try store.loadLatest(RunConfig.self))

        // Same parameter shapes in the optimizer's eyes, but the module has an extra key.
        let (other, otherOptimizer) = try trainedPair(seed: 3)
        let bag = ParameterBag(other.namedParameters + [("extra.weight", Parameter(Tensor([1])))])
        let before = otherOptimizer.exportState()
        do {
            try checkpoint.restore(model: bag, optimizer: otherOptimizer)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("missing key 'extra.weight'"))
        }
        #expect(otherOptimizer.stepCounts == otherOptimizer.parameters.indices.map { before.counters["state.\($0).step"] ?? 0 })
        for i in otherOptimizer.parameters.indices {
            expectBitwiseEqual(otherOptimizer.firstMoments[i], before.tensors["state.\(i).exp_avg"]!.scalars, "exp_avg \(i)")
        }
        let sgd = SGD(parameters: other.parameters, learningRate: 0.1)
        #expect(throws: CheckpointError.self) { try checkpoint.restore(model: other, optimizer: sgd) }
    }
}
