import Foundation
import Testing
import RecurrentData
import RecurrentNN
@testable import RecurrentApps
import TestSupport

@Suite struct TaggerTrainingTests {
    /// A short run on a slice of EWT beats a fixed dev accuracy (the majority tag, NOUN, gives about 17%): 400 sentences, 3 epochs of a tiny network.
    @Test func shortRunOnEWTSlice() throws {
        guard let train = try sharedSentences("data/ud_en_ewt/en_ewt-ud-train.conllu", first: 400),
              let dev = try sharedSentences("data/ud_en_ewt/en_ewt-ud-dev.conllu", first: 200) else { return }
        let options = TaggerTrainingOptions(architecture: tinyArchitecture, epochs: 3, patience: 3, batchSize: 16,
                                            learningRate: 1e-2, seed: 3)
        let trainer = TaggerTrainer(options: options, progressStyle: nil, log: { _ in })
        let start = Date()
        let result = try trainer.train(train: train, dev: dev)
        let seconds = Date().timeIntervalSince(start)
        print("tagger slice run: dev accuracy \(result.bestDevAccuracy) in \(seconds) s")
        #expect(result.epochs.count == 3)
        #expect(result.bestDevAccuracy > 0.65)   // 74.9% when written
        // The returned tagger holds the best epoch's weights.
        let evaluation = try result.tagger.evaluate(dev)
        #expect(abs(evaluation.accuracy - result.bestDevAccuracy) < 1e-9)
    }

    /// The loss falls and the toy set is learnt; a run is reproducible from its seed.
    @Test func toyRunLearnsAndIsReproducible() throws {
        let options = TaggerTrainingOptions(architecture: tinyArchitecture, minimumWordCount: 1, epochs: 15, patience: 15,
                                            batchSize: 2, batchTokens: 8, learningRate: 2e-2, seed: 7)
        let first = try TaggerTrainer(options: options, progressStyle: nil, log: { _ in }).train(train: toySentences, dev: toySentences)
        let second = try TaggerTrainer(options: options, progressStyle: nil, log: { _ in }).train(train: toySentences, dev: toySentences)
        #expect(first.bestDevAccuracy == 1)
        #expect(first.epochs.last!.loss < first.epochs.first!.loss)
        #expect(first.epochs.map(\.loss) == second.epochs.map(\.loss))
        #expect(try first.tagger.tag(["a", "cat", "runs", "."]) == ["DET", "NOUN", "VERB", "PUNCT"])
    }

    /// A run interrupted after some epochs and resumed from its checkpoint ends exactly like an uninterrupted run.
    @Test func resumeFromCheckpointMatchesUninterruptedRun() throws {
        let folder = try makeTaggerTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Word dropout, final-punctuation dropout, crops and learning-rate decay are on, so their state must survive the
        // checkpoint too.
        var options = TaggerTrainingOptions(architecture: tinyArchitecture, minimumWordCount: 1, epochs: 4, patience: 10,
                                            batchSize: 2, learningRate: 1e-2, seed: 5, wordDropout: 0.5,
                                            learningRateDecay: 0.5, decayPatience: 1, finalPunctuationDropout: 0.5,
                                            cropProbability: 0.3)
        let whole = try TaggerTrainer(options: options, progressStyle: nil, log: { _ in }).train(train: toySentences, dev: toySentences)

        // The same run stopped after 2 epochs (as if killed), then resumed with the full settings.
        let checkpoints = folder.appendingPathComponent("checkpoints")
        options.epochs = 2
        _ = try TaggerTrainer(options: options, checkpointDirectory: checkpoints, progressStyle: nil, log: { _ in })
            .train(train: toySentences, dev: toySentences)
        options.epochs = 4
        let resumed = try TaggerTrainer(options: options, checkpointDirectory: checkpoints, progressStyle: nil, log: { _ in })
            .train(train: toySentences, dev: toySentences)
        #expect(resumed.epochs.map(\.epoch) == [3, 4])
        #expect(resumed.epochs.map(\.loss) == Array(whole.epochs.map(\.loss).suffix(2)))
        let a = whole.tagger.model.stateDict(), b = resumed.tagger.model.stateDict()
        #expect(a.keys.sorted() == b.keys.sorted())
        for key in a.keys { #expect(a[key]!.scalars == b[key]!.scalars, "\(key)") }

        // Other settings are refused.
        options.learningRate = 5e-3
        #expect(throws: TrainerCheckpointing.MismatchError(path: checkpoints.path)) {
            _ = try TaggerTrainer(options: options, checkpointDirectory: checkpoints, progressStyle: nil, log: { _ in })
                .train(train: toySentences, dev: toySentences)
        }
    }

    @Test func badSettingsAndDataAreErrors() throws {
        let trainer = TaggerTrainer(options: TaggerTrainingOptions(architecture: tinyArchitecture, epochs: 1), progressStyle: nil, log: { _ in })
        #expect(throws: TaggerError.self) { _ = try trainer.train(train: [], dev: toySentences) }
        #expect(throws: TaggerError.self) { _ = try trainer.train(train: toySentences, dev: []) }
        #expect(throws: TaggerError.self) {
            _ = try trainer.train(train: [TaggedSentence(words: ["x"])], dev: toySentences)
        }
        var options = TaggerTrainingOptions(architecture: tinyArchitecture)
        options.batchSize = 0
        #expect(throws: ValidationFailure("batchSize", "0 is out of range; it must be in 1...65536")) { try options.validate() }
        options.batchSize = 32
        options.batchTokens = -1
        #expect(throws: ValidationFailure("batchTokens", "-1 is out of range; it must be in 0...4000000")) { try options.validate() }
        options.batchTokens = 512
        options.cropProbability = 1.5
        #expect(throws: ValidationFailure("cropProbability", "1.5 is out of range; it must be in 0.0...1.0")) { try options.validate() }
    }
}
