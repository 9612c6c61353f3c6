import Foundation
import Testing
import RecurrentCore
import RecurrentData
import RecurrentNN
import RecurrentApps
import TestSupport

/// A small text with structure to learn.
let tinyText = String(repeating: "the cat sat on the mat. a dog ate the hat!\n", count: 40)

func tinyLanguageModel(cell: String = "lstm", layers: Int = 2, dropout: Float = 0, seed: UInt64 = 1) throws -> CharacterLanguageModel {
    var c = LanguageModelConfiguration()
    (c.cell, c.embeddingSize, c.hiddenSize, c.layers, c.dropout) = (cell, 6, 10, layers, dropout)
    c.characters = CharacterAlphabet(of: tinyText).saved
    return try CharacterLanguageModel(configuration: c, seed: seed)
}

func tinyOptions() -> LanguageModelTrainingOptions {
    var o = LanguageModelTrainingOptions()
    (o.model.embeddingSize, o.model.hiddenSize, o.model.layers, o.model.dropout, o.model.weightDropout) = (6, 12, 2, 0.1, 0.1)
    (o.batchSize, o.bptt, o.epochs, o.learningRate) = (4, 16, 2, 1e-2)
    return o
}

@Suite("Character language model")
struct LanguageModelTests {
    @Test("the alphabet is Python's sorted(set(text)): code-point order, ids from 0")
    func alphabet() throws {
        let a = CharacterAlphabet(of: "ba\nZé b")
        #expect(a.saved == ["\n", " ", "Z", "a", "b", "é"])
        #expect(try a.encode("ab é") == [3, 4, 1, 5])
        #expect(a.decode([2, 3]) == "Za")
        #expect(throws: ValidationFailure.self) { try a.encode("aq") }
        #expect(throws: ValidationFailure.self) { try CharacterAlphabet(saved: ["b", "a"]) }
    }

    @Test("streams: stream b is the b-th slice; targets are the inputs shifted by one step")
    func streams() throws {
        let ids = Array(0..<50)
        let s = try TextStreams(ids: ids, batch: 3, bptt: 4)   // 16 steps per stream
        #expect(s.steps == 16 && s.windowCount == 3)
        let (x, y) = s.window(1)
        #expect(x.shape == [4, 3])
        #expect(Array(x.scalars[0..<3]) == [4, 20, 36])       // step 4 of streams 0, 1, 2
        #expect(Array(y.scalars[0..<3]) == [5, 21, 37])
        #expect(throws: ValidationFailure.self) { try TextStreams(ids: Array(0..<8), batch: 2, bptt: 4) }
    }

    @Test("carried state: two windows in turn give what one long window gives", arguments: ["lstm", "gru", "rnn"])
    func carriedState(cell: String) throws {
        let model = try tinyLanguageModel(cell: cell)
        model.eval()
        let ids = try model.alphabet.encode(String(tinyText.prefix(40)))
        let long = IntTensor(shape: [40, 1], scalars: ids)
        let (whole, wholeState) = try model(long)
        let (first, state) = try model(IntTensor(shape: [25, 1], scalars: Array(ids[0..<25])))
        let (second, final) = try model(IntTensor(shape: [15, 1], scalars: Array(ids[25..<40])), state: state)
        // Equal up to rounding: a BLAS (OpenBLAS in CI) may round a product of 15 or 25 rows differently
        // from one of 40 in the last bit. A state that was not carried would differ by far more.
        func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0 }
        #expect(first.scalars.count + second.scalars.count == whole.scalars.count)
        #expect(worst(first.scalars + second.scalars, whole.scalars) <= 1e-5)
        #expect(worst(final.hidden.scalars, wholeState.hidden.scalars) <= 1e-5)
        let (fresh, _) = try model(IntTensor(shape: [15, 1], scalars: Array(ids[25..<40])))
        #expect(worst(fresh.scalars, second.scalars) > 1e-3, "without the carried state the second window differs")
    }

    @Test("detaching the carried state cuts the gradient; not detaching lets it through")
    func detachCutsGradient() throws {
        let model = try tinyLanguageModel()
        model.eval()
        // Window 1 reads only 't' (and predicts 'h'); window 2 reads only 'a'.
        let (t, h, a) = (model.alphabet.id(of: "t")!, model.alphabet.id(of: "h")!, model.alphabet.id(of: "a")!)
        func window2Gradient(detach: Bool) throws -> [Float] {
            model.zeroGrad()
            let (_, state) = try model.loss(inputs: IntTensor(shape: [3, 1], scalars: [t, t, t]), targets: IntTensor(shape: [3, 1], scalars: [h, h, h]), state: nil)
            let carried = detach ? RecurrentState(hidden: state.hidden.detached(), cell: state.cell?.detached()) : state
            let (loss, _) = try model.loss(inputs: IntTensor(shape: [3, 1], scalars: [a, a, a]), targets: IntTensor(shape: [3, 1], scalars: [t, t, t]), state: carried)
            loss.backward()
            let grad = model.embedding.weight.grad!.scalars
            return Array(grad[(t * 6)..<((t + 1) * 6)])   // the row of 't', used in window 1 only
        }
        #expect(try window2Gradient(detach: true).allSatisfy { $0 == 0 })
        #expect(try window2Gradient(detach: false).contains { $0 != 0 })
    }

    @Test("the keys are torch_charlm.py's CharLM state_dict keys")
    func keys() throws {
        let keys = try tinyLanguageModel().namedParameters.map(\.key)
        #expect(keys == ["embedding.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
                         "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1", "decoder.weight", "decoder.bias"])
    }

    @Test("the generator's greedy text equals the arg-max of the full model's logits, step by step")
    func generatorMatchesModel() throws {
        let model = try tinyLanguageModel(cell: "lstm")
        model.eval()
        let generator = try TextGenerator(model: model)
        let text = try generator.generate(prompt: "the ", length: 12, sampling: SamplingOptions(temperature: 0))
        var ids = try model.alphabet.encode("the ")
        for _ in 0..<12 {
            let (logits, _) = try model(IntTensor(shape: [ids.count, 1], scalars: ids))
            let last = Array(logits.scalars.suffix(model.alphabet.count))
            ids.append(last.indices.max { last[$0] < last[$1] }!)
        }
        #expect(text == model.alphabet.decode(Array(ids.dropFirst(4))))
    }

    @Test("sampling is deterministic per seed; other seeds give other text; emit can stop early")
    func deterministicSampling() throws {
        let model = try tinyLanguageModel()
        func sample(_ seed: UInt64) throws -> String {
            try TextGenerator(model: model).generate(prompt: "a", length: 60, sampling: SamplingOptions(temperature: 1.2, topK: 10, seed: seed))
        }
        #expect(try sample(5) == sample(5))
        #expect(try sample(5) != sample(6))
        var count = 0
        let stopped = try TextGenerator(model: model).generate(prompt: "", length: 100, sampling: SamplingOptions(seed: 1)) { _ in
            count += 1
            return count < 7
        }
        #expect(stopped.unicodeScalars.count == 7)
        #expect(throws: ValidationFailure.self) { try TextGenerator(model: model).generate(prompt: "Q", length: 3, sampling: SamplingOptions()) }
    }

    @Test("a forked generator state continues with the same text")
    func forkedGenerator() throws {
        let model = try tinyLanguageModel()
        let generator = try TextGenerator(model: model)
        try generator.generate(prompt: "the cat", length: 0, sampling: SamplingOptions())
        let fork = generator.state
        let a = try generator.generate(prompt: "", length: 20, sampling: SamplingOptions(seed: 3))
        generator.state = fork
        let b = try generator.generate(prompt: "", length: 20, sampling: SamplingOptions(seed: 3))
        #expect(a == b)
    }

    @Test("training lowers the validation loss, saves a loadable model folder with the same loss")
    func trains() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lm-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CharacterLanguageModel(configuration: { var c = tinyOptions().model; c.characters = CharacterAlphabet(of: tinyText).saved; return c }(), seed: 1)
        let validation = LanguageModelTrainer.split(try model.alphabet.encode(tinyText), trainFraction: 0.9).validation
        let before = try model.evaluate(validation)
        var options = tinyOptions()
        options.epochs = 6
        let summary = try LanguageModelTrainer.train(text: tinyText, options: options, output: folder) { _ in }
        #expect(summary.bestValidationLoss < before - 0.5, "from \(before) to \(summary.bestValidationLoss)")
        let (loaded, training) = try CharacterLanguageModel.load(from: folder)
        #expect(Swift.abs(try loaded.evaluate(validation) - summary.bestValidationLoss) < 1e-9)
        #expect(training["validation_loss"] != nil)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(LearningCurve.fileName).path))
    }

    @Test("resume is exact: 1 epoch, then resumed to 2, gives the weights of 2 epochs straight (with dropout and weight drop)")
    func exactResume() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lm-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var options = tinyOptions()
        options.epochs = 2
        _ = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("straight"),
                                           checkpoints: root.appendingPathComponent("straight-checkpoints")) { _ in }
        options.epochs = 1
        let checkpoints = root.appendingPathComponent("resumed-checkpoints")
        _ = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("resumed"), checkpoints: checkpoints) { _ in }
        options.epochs = 2
        var lines: [String] = []
        _ = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("resumed"), checkpoints: checkpoints) { lines.append($0) }
        #expect(lines.contains { $0.contains("resuming after epoch 1") })
        // The checkpoints hold the last weights of each run: compare them.
        let straight = try CheckpointStore(directory: root.appendingPathComponent("straight-checkpoints")).latest()!
        let resumed = try CheckpointStore(directory: checkpoints).latest()!
        let a = try SafeTensorsFile(contentsOf: straight.appendingPathComponent("model.safetensors")).floatTensors()
        let b = try SafeTensorsFile(contentsOf: resumed.appendingPathComponent("model.safetensors")).floatTensors()
        #expect(a.keys.sorted() == b.keys.sorted() && !a.isEmpty)
        for key in a.keys { #expect(a[key]!.scalars == b[key]!.scalars, "\(key)") }
    }

    @Test("with a moving average of the weights: both are scored, and resume is exact (weights and average)")
    func averagedResume() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lm-average-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var options = tinyOptions()
        (options.epochs, options.averageDecay) = (2, 0.9)
        var straightLines: [String] = []
        _ = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("straight"),
                                           checkpoints: root.appendingPathComponent("straight-checkpoints")) { straightLines.append($0) }
        #expect(straightLines.filter { $0.contains("validation loss (averaged)") }.count == 2, "\(straightLines)")
        options.epochs = 1
        let checkpoints = root.appendingPathComponent("resumed-checkpoints")
        _ = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("resumed"), checkpoints: checkpoints) { _ in }
        options.epochs = 2
        _ = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("resumed"), checkpoints: checkpoints) { _ in }
        let straight = try CheckpointStore(directory: root.appendingPathComponent("straight-checkpoints")).latest()!
        let resumed = try CheckpointStore(directory: checkpoints).latest()!
        for file in [CheckpointFileName.model, CheckpointFileName.average] {
            let a = try SafeTensorsFile(contentsOf: straight.appendingPathComponent(file)).floatTensors()
            let b = try SafeTensorsFile(contentsOf: resumed.appendingPathComponent(file)).floatTensors()
            #expect(a.keys.sorted() == b.keys.sorted() && !a.isEmpty, "\(file)")
            for key in a.keys { #expect(a[key]!.scalars == b[key]!.scalars, "\(file) \(key)") }
        }
        // The average differs from the last weights (it lags them), so the test above compares two things.
        let weights = try SafeTensorsFile(contentsOf: straight.appendingPathComponent(CheckpointFileName.model)).floatTensors()
        let average = try SafeTensorsFile(contentsOf: straight.appendingPathComponent(CheckpointFileName.average)).floatTensors()
        #expect(weights.values.map(\.scalars).flatMap { $0 }.sorted() != average.values.map(\.scalars).flatMap { $0 }.sorted())
        // The saved models of both runs are the same, and say which weights they hold.
        let (x, xInfo) = try CharacterLanguageModel.load(from: root.appendingPathComponent("straight"))
        let (y, yInfo) = try CharacterLanguageModel.load(from: root.appendingPathComponent("resumed"))
        #expect(xInfo["weights"] == yInfo["weights"])
        for (key, value) in x.stateDict() { #expect(value.scalars == y.stateDict()[key]!.scalars, "\(key)") }
    }

    @Test("a resumed run with a moving average refuses a checkpoint that has none")
    func averageMissingFromCheckpoint() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lm-average-missing-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var options = tinyOptions()
        options.epochs = 1
        let checkpoints = root.appendingPathComponent("checkpoints")
        _ = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("model"), checkpoints: checkpoints) { _ in }
        // Same settings but for the average: the configurations differ, so the checkpoint is refused.
        (options.epochs, options.averageDecay) = (2, 0.9)
        #expect(throws: TrainerCheckpointing.MismatchError.self) {
            _ = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("model"), checkpoints: checkpoints) { _ in }
        }
        // A checkpoint whose average file was deleted is refused by name.
        _ = try LanguageModelTrainer.train(text: tinyText, options: { var o = options; o.epochs = 1; return o }(),
                                           output: root.appendingPathComponent("averaged"), checkpoints: root.appendingPathComponent("averaged-checkpoints")) { _ in }
        let latest = try CheckpointStore(directory: root.appendingPathComponent("averaged-checkpoints")).latest()!
        try FileManager.default.removeItem(at: latest.appendingPathComponent(CheckpointFileName.average))
        #expect {
            _ = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("averaged"),
                                               checkpoints: root.appendingPathComponent("averaged-checkpoints")) { _ in }
        } throws: { error in "\(error)".contains("no moving average") }
    }

    @Test("--init-from starts from a model's weights; another architecture or alphabet is refused before any work")
    func fineTuning() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lm-init-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var options = tinyOptions()
        options.epochs = 3
        let first = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("first")) { _ in }
        // A near-zero learning rate: the fine-tuned run starts (and so stays) at the first model's loss.
        (options.epochs, options.learningRate, options.weightDecay, options.initialModel) = (1, 1e-7, 0, root.appendingPathComponent("first").path)
        (options.model.dropout, options.model.weightDropout) = (0, 0)
        let tuned = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("tuned")) { _ in }
        #expect(Swift.abs(tuned.bestValidationLoss - first.bestValidationLoss) < 1e-3, "\(tuned.bestValidationLoss) vs \(first.bestValidationLoss)")
        let fresh = try LanguageModelTrainer.train(text: tinyText, options: { var o = options; o.initialModel = nil; return o }(),
                                                   output: root.appendingPathComponent("fresh")) { _ in }
        #expect(fresh.bestValidationLoss > first.bestValidationLoss + 0.3, "random weights at that rate stay near the start")
        #expect(try CharacterLanguageModel.load(from: root.appendingPathComponent("tuned")).training["initial_weights"] == options.initialModel)

        options.model.hiddenSize = 10
        #expect(throws: ValidationFailure.self) {
            _ = try LanguageModelTrainer.train(text: tinyText, options: options, output: root.appendingPathComponent("wider")) { _ in }
        }
        options.model.hiddenSize = 12
        #expect(throws: ValidationFailure.self) {
            _ = try LanguageModelTrainer.train(text: tinyText + "Z", options: options, output: root.appendingPathComponent("other")) { _ in }
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("wider").path))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("other").path))
    }

    @Test("bad options and texts are refused before any work")
    func validation() throws {
        var o = tinyOptions()
        o.bptt = 0
        #expect(throws: ValidationFailure.self) { try o.validate() }
        o = tinyOptions()
        o.model.hiddenSize = 1_000_000_000
        #expect(throws: ValidationFailure.self) { try o.validate() }
        o = tinyOptions()
        o.model.cell = "transformer"
        #expect(throws: ValidationFailure.self) { try o.validate() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lm-bad-\(UUID().uuidString)")
        #expect(throws: ValidationFailure.self) { try LanguageModelTrainer.train(text: "too short", options: tinyOptions(), output: folder) { _ in } }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }
}
