import Foundation
import Testing
import RecurrentCore
import RecurrentData
@testable import RecurrentApps
import TestSupport

@Suite struct TaggerModelTests {
    func untrainedTagger(seed: UInt64 = 4) throws -> Tagger {
        let vocabularies = try TaggerVocabularies(counting: toySentences, minimumWordCount: 1)
        let model = TaggerModel(architecture: tinyArchitecture, wordCount: vocabularies.words.count,
                                characterCount: vocabularies.characters.count, tagCount: vocabularies.tags.count, seed: seed)
        return Tagger(model: model, vocabularies: vocabularies, column: .upos)
    }

    @Test func keysAndShapes() throws {
        let tagger = try untrainedTagger()
        let keys = tagger.model.namedParameters.map(\.key)
        #expect(keys.first == "word_embedding.weight")
        #expect(keys.contains("char_embedding.weight"))
        #expect(keys.contains("char_lstm.weight_ih_l0_reverse"))
        #expect(keys.contains("lstm.weight_hh_l0"))
        #expect(keys.suffix(2) == ["output.weight", "output.bias"])
        #expect(tagger.model.outputWeight.shape == [tagger.vocabularies.tags.count, 2 * tinyArchitecture.hidden])
        // <pad> rows start at zero, as with PyTorch's padding_idx.
        #expect(tagger.model.wordEmbedding.value.scalars.prefix(tinyArchitecture.wordDimension).allSatisfy { $0 == 0 })
    }

    /// Distinct forms are read once; every position points at its form's row, padding at the zero row.
    @Test func batchSharesDistinctWords() throws {
        let tagger = try untrainedTagger()
        let encoded = tagger.encoder.encode([TaggedSentence(words: ["the", "dog", "the"]),
                                             TaggedSentence(words: ["extraordinarily", "dog"])])
        let batch = TaggerBatch(encoded)
        #expect(batch.steps == 3 && batch.batchSize == 2 && batch.lengths == [3, 2])
        #expect(batch.distinctWordCount == 3)
        let index = batch.distinctIndex
        #expect(index[0] == index[2])               // "the" twice
        #expect(index[1] == index[4])               // "dog" in both sentences
        #expect(index[5] == batch.distinctWordCount) // padding
        #expect(batch.characterGroups.count == 2)    // short words, and one long one
        #expect(batch.targets == [-1, -1, -1, -1, -1, -1])
        // Sharing rows gives the same scores as running each sentence alone.
        let together = try tagger.model.predict(batch)
        let alone = try encoded.map { try tagger.model.predict(TaggerBatch([$0]))[0] }
        #expect(together == alone)
    }

    /// The fused loss has PyTorch's value and the gradient of a finite difference.
    @Test func crossEntropyValueAndGradient() {
        var tensors = TestTensors(seed: 12)
        let logits = tensors.uniform([2, 3, 5], -2, 2)
        let targets = [1, 4, -1, 0, 2, -1]
        let loss = logits.taggerCrossEntropy(targets: targets).item
        var expected = 0.0
        for (r, t) in targets.enumerated() where t >= 0 {
            let row = (0..<5).map { Double(logits.scalars[r * 5 + $0]) }
            let m = row.max()!
            expected += log(row.map { exp($0 - m) }.reduce(0, +)) + m - row[t]
        }
        expected /= 4
        #expect(abs(Double(loss) - expected) < 1e-5)
        let mismatches = GradientCheck.mismatches([logits]) { $0[0].taggerCrossEntropy(targets: targets) }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        #expect(Tensor.zeros([1, 3]).taggerCrossEntropy(targets: [-1]).item == 0)
    }

    /// Saved and loaded again, a tagger predicts exactly the same (F32 exactly; F16 once rounded stays fixed).
    @Test func saveAndLoadRoundTrip() throws {
        let folder = try makeTaggerTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tagger = try untrainedTagger()
        let sentences = [["the", "dog", "sleeps", "!"], ["a", "zebra", "runs"], ["cat"]]
        let exact = folder.appendingPathComponent("f32"), half = folder.appendingPathComponent("f16")
        try tagger.save(to: exact, format: .f32)
        let reloaded = try Tagger.load(from: exact)
        #expect(try reloaded.tag(sentences) == tagger.tag(sentences))
        #expect(reloaded.vocabularies == tagger.vocabularies && reloaded.column == .upos)
        for (key, value) in tagger.model.stateDict() { #expect(reloaded.model.stateDict()[key]!.scalars == value.scalars) }

        try tagger.save(to: half)
        let once = try Tagger.load(from: half)
        try once.save(to: folder.appendingPathComponent("again"))
        let twice = try Tagger.load(from: folder.appendingPathComponent("again"))
        #expect(try once.tag(sentences) == twice.tag(sentences))
        let size = try FileManager.default.attributesOfItem(atPath: half.appendingPathComponent("model.safetensors").path)[.size] as! Int
        #expect(size < tagger.model.parameterCount * 2 + 4096)
    }

    @Test func loadingBrokenFoldersFails() throws {
        let folder = try makeTaggerTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: TaggerError.modelNotFound(path: folder.appendingPathComponent("none").path, reason: "no such folder")) {
            _ = try Tagger.load(from: folder.appendingPathComponent("none"))
        }
        let tagger = try untrainedTagger()
        try tagger.save(to: folder)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("tags.json"))
        #expect(throws: TaggerError.modelNotFound(path: folder.path, reason: "tags.json is missing")) {
            _ = try Tagger.load(from: folder)
        }
        try tagger.save(to: folder)
        try Data("{".utf8).write(to: folder.appendingPathComponent("config.json"))
        do {
            _ = try Tagger.load(from: folder)
            Issue.record("a malformed config.json loaded")
        } catch let error as TaggerError {
            guard case .invalidModel = error else { Issue.record("unexpected \(error)"); return }
        }
    }
}

@Suite struct TaggerEvaluationTests {
    @Test func accuracyPerTagScoresAndConfusions() {
        let gold = [["NOUN", "VERB", "NOUN"], ["DET", "NOUN"]]
        let predicted = [["NOUN", "NOUN", "NOUN"], ["DET", "VERB"]]
        let evaluation = TaggerEvaluation(gold: gold, predicted: predicted)
        #expect(evaluation.total == 5 && evaluation.correct == 3)
        let noun = evaluation.tagScores.first { $0.tag == "NOUN" }!
        #expect(noun.support == 3 && noun.predicted == 3 && noun.correct == 2)
        #expect(abs(noun.precision - 2.0 / 3) < 1e-12 && abs(noun.recall - 2.0 / 3) < 1e-12)
        let verb = evaluation.tagScores.first { $0.tag == "VERB" }!
        #expect(verb.precision == 0 && verb.recall == 0 && verb.f1 == 0)
        let confusions = evaluation.confusions()
        #expect(confusions.count == 2)
        #expect(confusions.allSatisfy { $0.count == 1 })
        #expect(confusions[0].gold == "NOUN" && confusions[0].predicted == "VERB")
        let report = evaluation.report()
        #expect(report.hasPrefix("accuracy 60.00% (3 of 5 words)"))
        #expect(report.contains("most frequent confusions"))
    }
}

@Suite struct TaggerCRFTests {
    /// Every tag sequence of a sentence, for brute-force checks.
    func allSequences(length: Int, tags: Int) -> [[Int]] {
        length == 0 ? [[]] : allSequences(length: length - 1, tags: tags).flatMap { p in (0..<tags).map { p + [$0] } }
    }

    func score(_ y: [Int], _ e: [Float], _ base: Int, _ a: [Float], _ s: [Float], _ z: [Float], _ C: Int) -> Double {
        var total = Double(s[y[0]] + z[y[y.count - 1]])
        for (t, tag) in y.enumerated() { total += Double(e[base + t * C + tag]) }
        for t in 1..<y.count { total += Double(a[y[t - 1] * C + y[t]]) }
        return total
    }

    @Test func likelihoodGradientAndViterbiMatchBruteForce() {
        let (B, T, C) = (2, 3, 3)
        var tensors = TestTensors(seed: 21)
        let emissions = tensors.uniform([B, T, C], -2, 2)
        let transitions = tensors.uniform([C, C]), start = tensors.uniform([C]), end = tensors.uniform([C])
        let lengths = [3, 2], targets = [2, 0, 1, 1, 2, -1]
        let loss = TaggerCRF.negativeLogLikelihood(emissions: emissions, transitions: transitions, start: start, end: end,
                                                   lengths: lengths, targets: targets, normalizer: 5).item
        var expected = 0.0
        for (b, L) in lengths.enumerated() {
            let scores = allSequences(length: L, tags: C).map {
                score($0, emissions.scalars, b * T * C, transitions.scalars, start.scalars, end.scalars, C)
            }
            let logZ = log(scores.map { exp($0) }.reduce(0, +))
            expected += logZ - score(Array(targets[(b * T)..<(b * T + L)]), emissions.scalars, b * T * C,
                                     transitions.scalars, start.scalars, end.scalars, C)
        }
        #expect(abs(Double(loss) - expected / 5) < 1e-5)
        let mismatches = GradientCheck.mismatches([emissions, transitions, start, end]) {
            TaggerCRF.negativeLogLikelihood(emissions: $0[0], transitions: $0[1], start: $0[2], end: $0[3],
                                            lengths: lengths, targets: targets, normalizer: 5)
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        let best = TaggerCRF.viterbi(emissions: emissions.scalars, steps: T, tags: C, transitions: transitions.scalars,
                                     start: start.scalars, end: end.scalars, lengths: lengths)
        for (b, L) in lengths.enumerated() {
            let brute = allSequences(length: L, tags: C).max {
                score($0, emissions.scalars, b * T * C, transitions.scalars, start.scalars, end.scalars, C)
                    < score($1, emissions.scalars, b * T * C, transitions.scalars, start.scalars, end.scalars, C)
            }!
            #expect(best[b] == brute)
        }
    }

    @Test func crfTaggerLearnsToySet() throws {
        var architecture = tinyArchitecture
        architecture.crf = true
        let options = TaggerTrainingOptions(architecture: architecture, minimumWordCount: 1, epochs: 15, patience: 15,
                                            batchSize: 2, learningRate: 2e-2, seed: 7)
        let result = try TaggerTrainer(options: options, progressStyle: nil, log: { _ in }).train(train: toySentences, dev: toySentences)
        #expect(result.bestDevAccuracy == 1)
        #expect(result.tagger.model.namedParameters.suffix(3).map(\.key)
                == ["crf.transitions", "crf.start_transitions", "crf.end_transitions"])
        let folder = try makeTaggerTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try result.tagger.save(to: folder, format: .f32)
        let sentence = ["a", "dog", "runs", "!"]
        #expect(try Tagger.load(from: folder).tag(sentence) == result.tagger.tag(sentence))
    }
}
