import ArgumentParser
import Foundation
import Recurrent

/// `recurrent g2p`: grapheme-to-phoneme conversion with the shipped (or a given) model.
struct G2PCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "g2p",
        abstract: "Grapheme-to-phoneme: pronounce words (ARPAbet without stress), train and evaluate models.",
        discussion: "`recurrent g2p WORD…` pronounces with the shipped model (Models/g2p, or $RECURRENT_MODELS/g2p).",
        subcommands: [G2PPronounce.self, G2PTrain.self, G2PEval.self, G2PConvert.self, G2PAverage.self],
        defaultSubcommand: G2PPronounce.self)
}

/// The model folder to use: `--model DIR` when given, else the shipped model `name` found by the library's
/// `ModelLocator`.
func modelFolder(_ name: String, explicit: String?) throws -> URL {
    if let explicit { return URL(fileURLWithPath: explicit) }
    do {
        return try ModelLocator.find(name)
    } catch {
        throw CommandFailure(description: error.description)
    }
}

struct G2PPronounce: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pronounce", abstract: "Print the phonemes of each word.")

    @Argument(help: "Words (letters A–Z and apostrophes, any case).")
    var words: [String] = []

    @Option(help: "Model directory (default: the shipped Models/g2p).")
    var model: String?

    @Option(help: "Beam width (1 = greedy).")
    var beam = 5

    @Option(help: "Write the attention heatmap (letters × phonemes) of the first word as SVG to this file.")
    var attentionSVG: String?

    func validate() throws {
        guard !words.isEmpty else { throw ValidationError("give at least one word, e.g. `recurrent g2p watermelon`") }
        try checkingOptions { try Check.count(beam, "beam", in: 1...Limits.maximumBeamWidth) }
    }

    func run() throws {
        try cleanly {
            let g2p = try G2PModel(contentsOf: try modelFolder("g2p", explicit: model))
            var failures = 0
            for (index, word) in words.enumerated() {
                do {
                    let result = try g2p.pronounce(word, beamWidth: beam)
                    print("\(result.word)\t\(result.phonemes.joined(separator: " "))")
                    if index == 0, let path = attentionSVG {
                        guard !result.attention.isEmpty else { throw ValidationError("this model has no attention to draw") }
                        let svg = AttentionHeatmap.svg(weights: result.attention, inputs: result.word.map(String.init),
                                                       outputs: result.phonemes + ["</s>"], title: "\(result.word) → \(result.phonemes.joined(separator: " "))")
                        try svg.write(toFile: path, atomically: true, encoding: .utf8)
                    }
                } catch let error as G2PError {
                    FileHandle.standardError.write("error: \(error.description)\n".data(using: .utf8)!)
                    failures += 1
                }
            }
            if failures > 0 { throw ExitCode(1) }
        }
    }
}

struct G2PTrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a G2P model on a WORD<TAB>PHONEMES dictionary.")

    @Option(help: "Training dictionary (e.g. g014b2b.train); a dev set is held out of it.")
    var train: String

    @Option(help: "Output model directory.")
    var out: String

    @Option(help: "Embedding width.") var embedding = 64
    @Option(help: "Encoder hidden units per direction.") var encoderHidden = 192
    @Option(help: "Encoder layers (bidirectional LSTMs).") var encoderLayers = 1
    @Option(help: "Decoder hidden units.") var decoderHidden = 256
    @Option(help: "Dropout.") var dropout: Float = 0.25
    @Option(help: "Words per batch.") var batchSize = 64
    @Option(help: "Adam learning rate.") var learningRate: Float = 2e-3
    @Option(help: "Label smoothing.") var labelSmoothing: Float = 0.1
    @Option(help: "Most epochs.") var epochs = 30
    @Option(help: "Early-stopping patience (dev evaluations).") var patience = 4
    @Option(help: "Learning-rate schedule: plateau (halve after a dev evaluation without improvement) or cosine (anneal per batch over --epochs).")
    var schedule: String = "plateau"
    @Option(help: "The learning rate the cosine schedule ends at.") var minLearningRate: Float = 1e-5
    @Option(help: "Evaluate and save an exponential moving average of the weights with this decay (0 = off, e.g. 0.999).")
    var averageDecay: Float = 0
    @Option(help: "Held-out dev words.") var devWords = 3000
    @Option(help: "Dev evaluations per epoch.") var evaluationsPerEpoch = 2
    @Option(help: "Stop after this many minutes (0 = no limit).") var maxMinutes: Double = 0
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Continue training from this model directory (same seed and --dev-words keep the same dev split).") var initialModel: String?
    @Option(help: "Seconds already spent training --initial-model (for the recorded training time; default: its recorded training_seconds).") var previousSeconds: Double?
    @Option(help: "Epochs already spent training --initial-model (for the recorded epochs_total; default: its recorded count).") var previousEpochs: Double?

    @Option(help: "A step whose loss or gradient is not finite: stop (the run fails) or skip (no update).") var onNonFinite: NonFinitePolicy = .stop

    /// The library's settings for these options.
    var options: G2PTrainingOptions {
        var options = G2PTrainingOptions()
        options.embeddingSize = embedding
        options.encoderHiddenSize = encoderHidden
        options.encoderLayers = encoderLayers
        options.decoderHiddenSize = decoderHidden
        options.dropout = dropout
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.labelSmoothing = labelSmoothing
        options.epochs = epochs
        options.patience = patience
        options.schedule = G2PLearningRateSchedule(rawValue: schedule) ?? .plateau
        options.minimumLearningRate = minLearningRate
        options.averageDecay = averageDecay
        options.devWords = devWords
        options.evaluationsPerEpoch = evaluationsPerEpoch
        options.maximumMinutes = maxMinutes
        options.seed = seed
        options.initialModel = initialModel.map { URL(fileURLWithPath: $0) }
        options.previousSeconds = previousSeconds
        options.previousEpochs = previousEpochs
        options.nonFinitePolicy = onNonFinite
        return options
    }

    /// Library settings whose option is not their kebab-case name.
    static let optionNames = ["embeddingSize": "--embedding", "encoderHiddenSize": "--encoder-hidden", "decoderHiddenSize": "--decoder-hidden",
                              "minimumLearningRate": "--min-learning-rate", "maximumMinutes": "--max-minutes"]

    func validate() throws {
        guard G2PLearningRateSchedule(rawValue: schedule) != nil else {
            throw ValidationError("--schedule must be one of: \(G2PLearningRateSchedule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try checkingOptions(Self.optionNames) { try options.validate() }
    }

    func run() throws {
        try cleanly {
            let entries = try G2PDictionary.read(URL(fileURLWithPath: train))
            let summary = try G2PTrainer.train(entries, options: options, output: URL(fileURLWithPath: out)) { line in
                print(line)
                fflush(stdout)
            }
            print(String(format: "done: best dev WER %.2f%%, PER %.2f%% after %.2f epochs in %.0f s; model in %@",
                         summary.bestDevWER * 100, summary.bestDevPER * 100, summary.epochs, summary.seconds, out))
        }
    }
}

struct G2PEval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Word and phoneme error rates on a test dictionary.")

    @Option(help: "Model directory (default: the shipped Models/g2p).")
    var model: String?

    @Option(help: "Test dictionary (WORD<TAB>PHONEMES), e.g. g014b2b.ref.")
    var test: String?

    @Option(help: "Instead of --test, score the dev words `g2p train` holds out of this training dictionary (same --dev-words and --seed).")
    var devOf: String?
    @Option(help: "Held-out dev words (with --dev-of).") var devWords = 3000
    @Option(help: "The training run's random seed (with --dev-of).") var seed: UInt64 = 1

    @Option(help: "Beam width (1 = batched greedy decoding).")
    var beam = 5

    @Option(help: "Also write the words it got wrong to this file: WORD<TAB>PREDICTED<TAB>EDITS<TAB>REFERENCE[<TAB>…].")
    var errors: String?

    func validate() throws {
        guard (test == nil) != (devOf == nil) else { throw ValidationError("give exactly one of --test FILE and --dev-of TRAIN_FILE") }
        try checkingOptions {
            try Check.count(beam, "beam", in: 1...Limits.maximumBeamWidth)
            try Check.count(devWords, "devWords", in: 1...Limits.maximumVocabulary)
        }
        if let errors {  // fail before a long evaluation, not after it
            let folder = URL(fileURLWithPath: errors).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: folder) else {
                throw ValidationError("cannot write \(errors): the folder \(folder) is missing or not writable")
            }
        }
    }

    func run() throws {
        try cleanly {
            let g2p = try G2PModel(contentsOf: try modelFolder("g2p", explicit: model))
            let entries: [G2PEntry]
            if let devOf {
                entries = G2PDictionary.split(try G2PDictionary.read(URL(fileURLWithPath: devOf)), heldOutWords: devWords, seed: seed).heldOut
            } else {
                entries = try G2PDictionary.read(URL(fileURLWithPath: test!))
            }
            let start = Date()
            let (score, mistakes) = try g2p.evaluateWithMistakes(entries, beamWidth: beam)
            print(String(format: "words %d  WER %.2f%% (%d wrong)  PER %.2f%% (%d edits / %d phonemes)  beam %d  %.1f s",
                         score.words, score.wordErrorRate * 100, score.wordErrors, score.phonemeErrorRate * 100,
                         score.phonemeErrors, score.referencePhonemes, beam, Date().timeIntervalSince(start)))
            if let errors {
                let header = "# word\tpredicted\tedits\treference (closest first)\t…\n"
                try AtomicFile.write(text: header + mistakes.map { $0.tabSeparated + "\n" }.joined(), to: URL(fileURLWithPath: errors))
                print("\(mistakes.count) wrong words written to \(errors)")
            }
        }
    }
}

struct G2PConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Rewrite a model's weights as f32, f16 or int8 (one scale per matrix row; a quarter of f32's size).")

    @Option(help: "Model directory to read.") var model: String
    @Option(help: "Model directory to write.") var out: String
    @Option(help: "Weight storage: f32, f16 or int8.") var format: WeightStorage = .int8

    func run() throws {
        try cleanly {
            try G2PConvert.save(try G2PModel(contentsOf: URL(fileURLWithPath: model)), to: out, format: format)
        }
    }

    /// Saves `g2p` to `out` with weights stored as `format` and reports the file size.
    static func save(_ g2p: G2PModel, to out: String, format: WeightStorage) throws {
        g2p.trainingInfo["weights_storage"] = format.summary
        do {
            try g2p.save(to: URL(fileURLWithPath: out), format: format.floatFormat)
        } catch {
            throw CommandFailure(description: "cannot write \(out): \(ErrorText.reason(error))")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: URL(fileURLWithPath: out).appendingPathComponent("model.safetensors").path)[.size] as? Int) ?? 0
        print(String(format: "wrote %@ (%@ weights, model.safetensors %.2f MB)", out, format.rawValue, Double(size) / 1e6))
    }
}

/// How `g2p convert` and `g2p average` store weights.
enum WeightStorage: String, CaseIterable, ExpressibleByArgument {
    case f32, f16, int8

    var floatFormat: SafeTensorsWriter.FloatFormat {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .int8: return .int8Rows
        }
    }

    /// What the model's config records as `weights_storage`.
    var summary: String { self == .int8 ? "int8, one f32 scale per matrix row; vectors f16" : rawValue }
}

struct G2PAverage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "average",
        abstract: "Average the weights of models of one architecture (checkpoint averaging) into a new model.")

    @Option(name: .customLong("model"), help: "A model directory to average (give two or more).") var models: [String] = []
    @Option(help: "Model directory to write.") var out: String
    @Option(help: "Weight storage: f32, f16 or int8.") var format: WeightStorage = .f16

    func validate() throws {
        guard models.count >= 2 else { throw ValidationError("give at least two --model directories") }
    }

    func run() throws {
        try cleanly {
            let averaged = try G2PModel.averaging(models.map { URL(fileURLWithPath: $0) })
            try G2PConvert.save(averaged, to: out, format: format)
        }
    }
}
