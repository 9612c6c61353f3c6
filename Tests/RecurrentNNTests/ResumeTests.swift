import Foundation
import Testing
import RecurrentCore
import RecurrentData
import RecurrentNN

private struct ResumeConfig: Codable, Equatable {
    var seed: UInt64
    var batchSize: Int
}

/// Synthetic tagging data: 37 sequences of 2–9 tokens (ids 2..<12) whose tag is `id % 4`.
private func syntheticData() -> (words: [[Int]], tags: [[Int]]) {
    var rng = Xoshiro256StarStar(seed: 2024)
    var words: [[Int]] = [], tags: [[Int]] = []
    for _ in 0..<37 {
        let length = 2 + SeededShuffle.uniform(below: 8, using: &rng)
        let sequence = (0..<length).map { _ in 2 + SeededShuffle.uniform(below: 10, using: &rng) }
        words.append(sequence)
        tags.append(sequence.map { $0 % 4 })
    }
    return (words, tags)
}

/// Everything a run consists of, built fresh from the configuration.
private final class Run {
    let model: TinyTagger
    let optimizer: AdamW
    let schedule: LinearWarmup
    let stopper = EarlyStopping(mode: .min, patience: 3)
    let batcher: BucketBatcher
    let data = syntheticData()
    var state = TrainingState()

    init(modelSeed: UInt64) throws {
        model = TinyTagger(vocabulary: 12, tags: 4, seed: modelSeed)
        optimizer = AdamW(parameters: model.parameters, learningRate: 0.02, weightDecay: 0.01, amsgrad: true)
        schedule = LinearWarmup(warmupSteps: 3, startFactor: 0.2, wrapping: CosineAnnealing(initialLearningRate: 0.02, period: 12))
        batcher = try BucketBatcher(lengths: data.words.map(\.count), size: .sentences(8), bucketWidth: 2, seed: 5)
    }

    /// Trains until `state.step == steps`, continuing wherever `state` says.
    func train(until steps: Int) throws {
        while state.step < steps {
            let batches = batcher.batches(epoch: state.epoch)
            while state.batchInEpoch < batches.count && state.step < steps {
                let indices = batches[state.batchInEpoch]
                let batch = PaddedBatch(sequences: indices.map { data.words[$0] }, indices: indices)
                schedule.apply(to: optimizer)
                optimizer.zeroGrad()
                let loss = try model.loss(batch, tags: indices.map { data.tags[$0] }, tagCount: 4)
                loss.backward()
                GradientClipping.clipNorm(of: optimizer.parameters, maxNorm: 1)
                optimizer.step()
                schedule.step()
                state.values["loss_sum", default: 0] += Double(loss.item)
                state.batchInEpoch += 1
                state.step += 1
            }
            if state.batchInEpoch == batches.count {
                // End of epoch: a "dev metric" (here the epoch's summed loss) drives early stopping.
                if stopper.record(state.values["loss_sum"] ?? 0) { state.bestMetric = stopper.best }
                state.values["loss_sum"] = 0
                state.epoch += 1
                state.batchInEpoch = 0
            }
        }
    }

    func save(to store: CheckpointStore) throws {
        var saved = state
        saved.generators = ["dropout": GeneratorState(model.lstm.generator)]
        saved.scheduler = schedule.exportState()
        saved.earlyStopping = stopper.state
        try store.save(model: model, optimizer: optimizer, training: saved, config: ResumeConfig(seed: 5, batchSize: 8))
    }

    func restore(from store: CheckpointStore) throws {
        let checkpoint = try #require(try store.loadLatest(ResumeConfig.self))
        #expect(checkpoint.config == ResumeConfig(seed: 5, batchSize: 8))
        try checkpoint.restore(model: model, optimizer: optimizer)
        state = checkpoint.training
        model.lstm.generator = try state.generator("dropout")
        try schedule.importState(try #require(state.scheduler))
        try stopper.restore(try #require(state.earlyStopping))
    }
}

@Suite("Resuming from a checkpoint")
struct ResumeTests {
    /// 5 batches per epoch; 23 steps end inside the fifth epoch, and the break after 11 steps falls inside
    /// the third epoch (mid-epoch: data order, dropout generator, warm-up and schedule position all matter).
    @Test("N steps straight equal N/2 steps, save, load into fresh objects, N/2 steps — bit for bit")
    func resumeEqualsUninterrupted() throws {
        let total = 23, half = 11
        let straight = try Run(modelSeed: 1)
        #expect(straight.batcher.batchCount() == 5)
        try straight.train(until: total)

        let folder = try makeTrainingTemporaryFolder()
        defer { removeTrainingTemporaryFolder(folder) }
        let store = CheckpointStore(directory: folder)
        let first = try Run(modelSeed: 1)
        try first.train(until: half)
        #expect(first.state.epoch == 2 && first.state.batchInEpoch == 1)
        try first.save(to: store)

        let resumed = try Run(modelSeed: 777)  // different initial weights: everything must come from the checkpoint
        try resumed.restore(from: store)
        try resumed.train(until: total)

        for ((key, a), (_, b)) in zip(straight.model.namedParameters, resumed.model.namedParameters) {
            expectBitwiseEqual(a.value.scalars, b.value.scalars, "parameter \(key)")
        }
        #expect(straight.model.lstm.generator.state == resumed.model.lstm.generator.state)
        #expect(straight.optimizer.stepCounts == resumed.optimizer.stepCounts)
        for i in straight.optimizer.parameters.indices {
            expectBitwiseEqual(straight.optimizer.firstMoments[i], resumed.optimizer.firstMoments[i], "exp_avg \(i)")
            expectBitwiseEqual(straight.optimizer.secondMoments[i], resumed.optimizer.secondMoments[i], "exp_avg_sq \(i)")
            expectBitwiseEqual(straight.optimizer.maxSecondMoments[i], resumed.optimizer.maxSecondMoments[i], "max_exp_avg_sq \(i)")
        }
        #expect(straight.schedule.exportState() == resumed.schedule.exportState())
        #expect(straight.stopper.state == resumed.stopper.state)
        #expect(straight.state.values["loss_sum"]!.bitPattern == resumed.state.values["loss_sum"]!.bitPattern)
        #expect(straight.state.bestMetric == resumed.state.bestMetric)

        // And training did something: the weights moved.
        let initial = TinyTagger(vocabulary: 12, tags: 4, seed: 1)
        #expect(!bitwiseEqual(initial.readoutWeight.value.scalars, straight.model.readoutWeight.value.scalars))
    }
}
