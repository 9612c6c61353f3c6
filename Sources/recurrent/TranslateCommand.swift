import ArgumentParser
import Foundation
import Recurrent

/// `recurrent translate`: French → English on the PyTorch tutorial's Tatoeba subset.
struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Sentence translation (French → English, the PyTorch seq2seq tutorial's Tatoeba subset): translate, train, evaluate.",
        subcommands: [TranslateSentences.self, TranslateTrain.self, TranslateEval.self],
        defaultSubcommand: TranslateSentences.self)
}

struct TranslateSentences: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sentence", abstract: "Translate each sentence.")

    @Argument(help: "Sentences (quote each one).") var sentences: [String] = []
    @Option(help: "Model directory (default: Models/translate).") var model: String?
    @Option(help: "Beam width.") var beam = 5
    @Option(help: "Write the attention heatmap of the first sentence as SVG.") var attentionSVG: String?

    func validate() throws {
        guard !sentences.isEmpty else { throw ValidationError("give at least one sentence, e.g. `recurrent translate \"je suis content .\"`") }
        try checkingOptions { try Check.count(beam, "beam", in: 1...Limits.maximumBeamWidth) }
    }

    func run() throws {
        try cleanly {
            let translator = try Translator(contentsOf: try modelFolder("translate", explicit: model))
            var failures = 0
            for (index, sentence) in sentences.enumerated() {
                do {
                    let result = try translator.translate(sentence, beamWidth: beam)
                    print("\(result.source.joined(separator: " "))\t\(result.words.joined(separator: " "))")
                    if index == 0, let path = attentionSVG {
                        let svg = AttentionHeatmap.svg(weights: result.attention, inputs: result.source, outputs: result.words + ["</s>"],
                                                       title: result.words.joined(separator: " "))
                        try svg.write(toFile: path, atomically: true, encoding: .utf8)
                    }
                } catch let error as TranslatorError {
                    FileHandle.standardError.write("error: \(error.description)\n".data(using: .utf8)!)
                    failures += 1
                }
            }
            if failures > 0 { throw ExitCode(1) }
        }
    }
}

struct TranslateTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train on eng-fra.txt; held-out pairs go to DIR/test-pairs.txt.",
        discussion: """
        The test and dev pairs are held out by French sentence: every translation of a held-out sentence is \
        held out with it, so no test sentence is trained on.
        """)

    @Option(help: "Tatoeba eng-fra.txt.") var train: String
    @Option(help: "Output model directory.") var out: String
    @Option(help: "Held-out test pairs (written to DIR/test-pairs.txt, never trained on).") var testPairs = 1000
    @Option(help: "Held-out dev pairs (for model selection).") var devPairs = 500
    @Option(help: "Embedding width.") var embedding = 128
    @Option(help: "Decoder hidden units (encoder: half per direction).") var hidden = 256
    @Option(help: "Most epochs.") var epochs = 20
    @Option(help: "Stop after this many minutes (0 = no limit).") var maxMinutes: Double = 0
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "A step whose loss or gradient is not finite: stop (the run fails) or skip (no update).") var onNonFinite: NonFinitePolicy = .stop

    var options: TranslationTrainingOptions {
        var options = TranslationTrainingOptions()
        (options.embedding, options.hidden, options.epochs) = (embedding, hidden, epochs)
        (options.maximumMinutes, options.seed, options.nonFinitePolicy) = (maxMinutes, seed, onNonFinite)
        return options
    }

    func validate() throws {
        try checkingOptions(["maximumMinutes": "--max-minutes"]) {
            try options.validate()
            try Check.count(testPairs, "testPairs", in: 1...Int(Int32.max))
            try Check.count(devPairs, "devPairs", in: 1...Int(Int32.max))
        }
    }

    func run() throws {
        try cleanly {
            let pairs = try TranslationData.read(URL(fileURLWithPath: train))
            guard pairs.count > testPairs + devPairs else {
                throw CommandFailure(description: "\(train): \(pairs.count) usable pairs, not enough for \(testPairs) test and \(devPairs) dev pairs and a training set")
            }
            let (rest, test) = TranslationData.split(pairs, heldOut: testPairs, seed: seed)
            let (trainPairs, dev) = TranslationData.split(rest, heldOut: devPairs, seed: seed &+ 1)
            guard !trainPairs.isEmpty else {
                throw CommandFailure(description: "\(train): no training pairs are left after holding out the test and dev sentences")
            }
            print("\(pairs.count) tutorial pairs: train \(trainPairs.count), dev \(dev.count), test \(test.count) (held out by source sentence)")
            let best = try Translator.train(trainPairs, dev: dev, test: test, output: URL(fileURLWithPath: out), options: options) { line in
                print(line)
                fflush(stdout)
            }
            print(String(format: "done: best dev BLEU %.2f", best * 100))
        }
    }
}

extension NonFinitePolicy: ExpressibleByArgument {}

struct TranslateEval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Corpus BLEU-4 on SOURCE<TAB>TARGET pairs (e.g. DIR/test-pairs.txt).")

    @Option(help: "Model directory.") var model: String?
    @Option(help: "Test pairs, normalized SOURCE<TAB>TARGET per line.") var test: String
    @Option(help: "Beam width (1 = batched greedy).") var beam = 1

    func validate() throws {
        try checkingOptions { try Check.count(beam, "beam", in: 1...Limits.maximumBeamWidth) }
    }

    func run() throws {
        try cleanly {
            let pairs = try TranslationData.readPairs(URL(fileURLWithPath: test))
            let translator = try Translator(contentsOf: try modelFolder("translate", explicit: model))
            let result = try translator.bleu(pairs, beamWidth: beam)
            print(String(format: "pairs %d  BLEU %.2f  beam %d", pairs.count, result.bleu * 100, beam))
            for (pair, hypothesis) in zip(pairs, result.hypotheses).prefix(5) {
                print("  \(pair.source.joined(separator: " ")) → \(hypothesis.joined(separator: " "))   [\(pair.target.joined(separator: " "))]")
            }
        }
    }
}
