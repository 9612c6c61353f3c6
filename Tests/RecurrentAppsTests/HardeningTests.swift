import Foundation
import Testing
import RecurrentCore
import RecurrentData
import RecurrentNN
import RecurrentApps
import TestSupport

/// Training that diverges stops and saves nothing; held-out splits share no source sentence with training.
@Suite("Apps: divergence and honest splits")
struct HardeningTests {
    /// Words over five letters, one phoneme per letter.
    static let toyEntries: [G2PEntry] = {
        let sounds: [Character: String] = ["A": "AA", "B": "B", "K": "K", "T": "T", "W": "W"]
        let letters = Array(sounds.keys).sorted()
        var rng = Xoshiro256StarStar(seed: 5)
        var entries: [G2PEntry] = [], seen = Set<String>()
        while entries.count < 60 {
            let word = String((0..<(2 + Int(rng.next() % 3))).map { _ in letters[Int(rng.next() % 5)] })
            if seen.insert(word).inserted { entries.append(G2PEntry(word: word, phonemes: word.map { sounds[$0]! })) }
        }
        return entries
    }()

    static func toyOptions() -> G2PTrainingOptions {
        var options = G2PTrainingOptions()
        (options.embeddingSize, options.encoderHiddenSize, options.decoderHiddenSize) = (4, 4, 8)
        (options.batchSize, options.epochs, options.devWords, options.evaluationsPerEpoch) = (8, 2, 10, 1)
        return options
    }

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-hardening-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A saved toy model whose weights are ±3·10³⁸: finite, but every forward pass overflows to NaN.
    func explodingModel(in folder: URL) throws -> URL {
        let letters = Set(Self.toyEntries.flatMap { $0.word.map(String.init) }).sorted()
        let model = try G2PModel(letters: letters, phonemes: Set(Self.toyEntries.flatMap(\.phonemes)).sorted()) { c in
            (c.sourceEmbeddingSize, c.targetEmbeddingSize, c.encoderHiddenSize, c.decoderHiddenSize) = (4, 4, 4, 8)
        }
        let huge = model.network.stateDict().mapValues { tensor in
            Tensor(shape: tensor.shape, scalars: tensor.scalars.indices.map { $0 % 2 == 0 ? 3e38 : -3e38 })
        }
        try model.network.load(stateDict: huge)
        let url = folder.appendingPathComponent("exploding")
        try model.save(to: url, format: .f32)
        return url
    }

    @Test("G2P training that diverges stops with the step and leaves no model", arguments: NonFinitePolicy.allCases)
    func g2pDiverges(policy: NonFinitePolicy) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = Self.toyOptions()
        options.initialModel = try explodingModel(in: folder)
        options.nonFinitePolicy = policy
        let output = folder.appendingPathComponent("out")
        do {
            _ = try G2PTrainer.train(Self.toyEntries, options: options, output: output) { _ in }
            Issue.record("a diverging run finished")
        } catch let error as TrainingDivergedError {
            #expect(policy == .stop && error.step == 1 && error.skippedBefore == 0)
        } catch let error as SafeTensorsError {
            // Under .skip every step is skipped, the first dev evaluation "improves" on nothing, and saving the
            // unchanged ±3·10³⁸ weights in F16 is refused: still no model.
            #expect(policy == .skip, "\(error)")
            #expect("\(error)".contains("beyond F16's range"))
        }
        #expect(!FileManager.default.fileExists(atPath: output.path), "a diverged run saved a model")
    }

    @Test("options out of range are refused before any work")
    func g2pOptions() throws {
        var options = Self.toyOptions()
        options.devWords = 0
        #expect(throws: ValidationFailure("devWords", "0 is out of range; it must be in 1...\(Limits.maximumVocabulary)")) { try options.validate() }
        options = Self.toyOptions()
        options.learningRate = .infinity
        #expect(throws: ValidationFailure.self) { try G2PTrainer.train(Self.toyEntries, options: options, output: URL(fileURLWithPath: "/nonexistent")) { _ in } }
        var translation = TranslationTrainingOptions()
        translation.hidden = 7
        #expect(throws: ValidationFailure("hidden", "7 must be even (the encoder has half per direction)")) { try translation.validate() }
        #expect(throws: ValidationFailure("training data", "there are no training pairs")) {
            try Translator.train([], dev: [TranslationPair(source: ["a"], target: ["b"])], output: URL(fileURLWithPath: "/nonexistent")) { _ in }
        }
    }

    @Test("the translation split holds out whole source sentences")
    func splitBySource() {
        var pairs: [TranslationPair] = []
        for s in 0..<200 {
            for t in 0..<(1 + s % 3) { pairs.append(TranslationPair(source: ["s\(s)"], target: ["t\(s)", "\(t)"])) }
        }
        let (train, held) = TranslationData.split(pairs, heldOut: 50, seed: 3)
        #expect(train.count + held.count == pairs.count)
        #expect(held.count >= 50 && held.count < 53)
        #expect(Set(train.map(\.source)).isDisjoint(with: Set(held.map(\.source))))
        #expect(TranslationData.split(pairs, heldOut: 50, seed: 3).heldOut == held, "seeded")
    }

    @Test("on the tutorial's data, no test or dev French sentence is trained on")
    func tutorialSplit() throws {
        guard let url = SharedData.require("data/tatoeba/eng-fra.txt") else { return }
        let pairs = try TranslationData.read(url)
        let (rest, test) = TranslationData.split(pairs, heldOut: 1000, seed: 1)
        let (train, dev) = TranslationData.split(rest, heldOut: 500, seed: 2)
        let trained = Set(train.map(\.source))
        #expect(test.allSatisfy { !trained.contains($0.source) } && dev.allSatisfy { !trained.contains($0.source) })
        #expect(Set(test.map(\.source)).isDisjoint(with: Set(dev.map(\.source))))
        // By pair, as before, many test sources would also be training sources.
        var rng = Xoshiro256StarStar(seed: 1)
        let shuffled = SeededShuffle.shuffled(pairs, using: &rng)
        let byPairTrain = Set(shuffled.dropFirst(1000).map(\.source))
        let leaked = shuffled.prefix(1000).filter { byPairTrain.contains($0.source) }.count
        #expect(leaked > 50, "the old split leaked \(leaked) of 1000 test sources")
    }

    @Test("translation test pairs read strictly and are saved with the model")
    func pairFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pairs = [TranslationPair(source: ["je", "suis"], target: ["i", "am"])]
        let url = folder.appendingPathComponent("pairs.txt")
        try AtomicFile.write(text: TranslationData.pairLines(pairs), to: url)
        #expect(try TranslationData.readPairs(url) == pairs)
        try AtomicFile.write(text: "je suis\ti am\nbroken\n", to: url)
        #expect(throws: ValidationFailure("\(url.path):2", "expected SOURCE<TAB>TARGET with words on both sides")) { try TranslationData.readPairs(url) }
        let model = try Translator(sourceWords: ["je", "suis"], targetWords: ["i", "am"]) { c in
            (c.sourceEmbeddingSize, c.targetEmbeddingSize, c.encoderHiddenSize, c.decoderHiddenSize) = (4, 4, 2, 4)
        }
        model.testPairs = pairs
        let directory = folder.appendingPathComponent("model")
        try model.save(to: directory)
        #expect(try TranslationData.readPairs(directory.appendingPathComponent("test-pairs.txt")) == pairs)
        let loaded = try Translator(contentsOf: directory)
        #expect(loaded.sourceVocabulary == model.sourceVocabulary)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("target.json"))
        #expect(throws: TranslatorError.invalidModel(path: directory.path, reason: "target.json is missing")) { try Translator(contentsOf: directory) }
    }
}
