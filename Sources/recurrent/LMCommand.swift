import ArgumentParser
import Foundation
import Recurrent

/// `recurrent lm`: character-level language models — train with carried state, evaluate, sample.
struct LMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Character-level language models: train with state carried across windows, evaluate, generate text.",
        discussion: "`recurrent lm sample` writes text with the shipped Models/lm-shakespeare (or $RECURRENT_MODELS/lm-shakespeare).",
        subcommands: [LMSample.self, LMTrain.self, LMEval.self],
        defaultSubcommand: LMSample.self)

    /// The most bytes of text `lm train` and `lm eval` read.
    static let maximumTextBytes = 1 << 30

    /// Reads a UTF-8 text file of at most `maximumTextBytes`.
    static func readText(_ path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maximumTextBytes else {
            throw CommandFailure(description: "\(path): \(size) bytes; the limit is \(maximumTextBytes)")
        }
        let data = try Data(contentsOf: url)
        guard let text = String(data: data, encoding: .utf8) else { throw CommandFailure(description: "\(path): not valid UTF-8") }
        guard !text.isEmpty else { throw CommandFailure(description: "\(path): the file is empty") }
        return text
    }
}

struct LMTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a character language model on a text: the first 90% trains, the last 10% validates.",
        discussion: """
            B streams (--batch-size), each a contiguous slice of the training text, are read in windows of --bptt \
            characters; the final state of a window is the detached initial state of the next. The model folder DIR \
            (config.json, model.safetensors with torch_charlm.py's keys, learning-curve.svg) is rewritten whole at every \
            better validation loss; a checkpoint after every epoch in DIR/checkpoints lets --resume continue exactly.
            """)

    @Option(help: "The text (UTF-8), e.g. ../shared/data/tinyshakespeare/input.txt.") var text: String
    @Option(help: "Output model directory.") var out: String
    @Option(help: "Recurrence: lstm, gru or rnn.") var cell = "lstm"
    @Option(help: "Stacked layers.") var layers = 2
    @Option(help: "Hidden units per layer.") var hidden = 512
    @Option(help: "Embedding size.") var embedding = 64
    @Option(help: "Dropout between layers and before the decoder.") var dropout: Float = 0.25
    @Option(help: "Dropout on the embeddings.") var embeddingDropout: Float = 0
    @Option(help: "DropConnect on the hidden-to-hidden weights (weight drop), one mask per window.") var weightDropout: Float = 0
    @Option(help: "Parallel streams.") var batchSize = 32
    @Option(help: "Characters per window (truncated backpropagation through time).") var bptt = 128
    @Option(help: "AdamW learning rate.") var learningRate: Float = 2e-3
    @Option(help: "AdamW weight decay.") var weightDecay: Float = 0.01
    @Option(help: "Clip the gradient norm to this (0 = off).") var clip: Float = 1
    @Option(help: "Learning-rate schedule: constant, or cosine (annealed over --epochs to --min-learning-rate).") var schedule = "constant"
    @Option(help: "The learning rate the cosine schedule ends at.") var minLearningRate: Float = 1e-5
    @Option(help: "Linear warm-up steps.") var warmupSteps = 0
    @Option(help: "Passes over the training text.") var epochs = 10
    @Option(help: "Stop after this many minutes (0 = no limit).") var maxMinutes: Double = 0
    @Option(help: "Validation evaluations per epoch.") var evaluationsPerEpoch = 1
    @Option(help: "Read the validation text as this many parallel streams during training (1 = one stream, as lm eval).") var evaluationStreams = 1
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "A step whose loss or gradient is not finite: stop (the run fails) or skip (no update).") var onNonFinite: NonFinitePolicy = .stop
    @Option(help: "Keep a moving average of the weights with this decay (e.g. 0.999), scored beside them and saved when best (0 = off).") var averageDecay: Float = 0
    @Option(help: "Start from this model folder's weights (fine-tuning; same architecture and alphabet) instead of random ones.") var initFrom: String?
    @Flag(help: "Continue from DIR/checkpoints if a checkpoint is there.") var resume = false

    var options: LanguageModelTrainingOptions {
        var o = LanguageModelTrainingOptions()
        (o.model.cell, o.model.layers, o.model.hiddenSize, o.model.embeddingSize) = (cell, layers, hidden, embedding)
        (o.model.dropout, o.model.embeddingDropout, o.model.weightDropout) = (dropout, embeddingDropout, weightDropout)
        (o.batchSize, o.bptt, o.learningRate, o.weightDecay, o.clipNorm) = (batchSize, bptt, learningRate, weightDecay, clip)
        (o.schedule, o.minimumLearningRate, o.warmupSteps, o.epochs, o.maximumMinutes) = (schedule, minLearningRate, warmupSteps, epochs, maxMinutes)
        (o.evaluationsPerEpoch, o.evaluationStreams, o.seed, o.nonFinitePolicy) = (evaluationsPerEpoch, evaluationStreams, seed, onNonFinite)
        (o.averageDecay, o.initialModel) = (averageDecay, initFrom)
        return o
    }

    static let optionNames = ["embeddingSize": "--embedding", "hiddenSize": "--hidden", "clipNorm": "--clip", "minimumLearningRate": "--min-learning-rate",
                              "minutes": "--max-minutes", "maximumMinutes": "--max-minutes",
                              "initialModel": "--init-from"]

    func validate() throws {
        try checkingOptions(Self.optionNames) { try options.validate() }
    }

    func run() throws {
        try cleanly {
            let corpus = try LMCommand.readText(text)
            let output = URL(fileURLWithPath: out)
            let checkpoints = output.appendingPathComponent("checkpoints")
            if !resume, FileManager.default.fileExists(atPath: checkpoints.path) { try FileManager.default.removeItem(at: checkpoints) }
            let summary = try LanguageModelTrainer.train(text: corpus, options: options, output: output, checkpoints: checkpoints) { line in
                print(line)
                fflush(stdout)
            }
            print(String(format: "best validation loss %.4f nats/char (%.4f bits/char) after %.2f epochs, %.0f s; %.0f training chars/s; model in %@",
                         summary.bestValidationLoss, summary.bestValidationLoss / log(2), summary.epochs, summary.seconds,
                         summary.charactersPerSecond, out))
        }
    }
}

struct LMEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Validation loss of a model: the last 10% of a text read as one stream with carried state.")

    @Option(help: "Model directory (default: the shipped Models/lm-shakespeare).") var model: String?
    @Option(help: "The text; its last 10% is scored (the split of lm train).") var text: String
    @Option(help: "The share of the text before the scored part.") var trainFraction = 0.9
    @Option(help: "Characters per chunk (the state is carried between chunks).") var chunk = 1024

    func validate() throws {
        try checkingOptions {
            try Check.that(trainFraction >= 0 && trainFraction < 1, "trainFraction", "\(trainFraction) is out of range; it must be in [0, 1)")
            try Check.count(chunk, "chunk", in: 1...1_000_000)
        }
    }

    func run() throws {
        try cleanly {
            let (lm, _) = try CharacterLanguageModel.load(from: try modelFolder("lm-shakespeare", explicit: model))
            let ids = try lm.alphabet.encode(try LMCommand.readText(text), what: text)
            let scored = LanguageModelTrainer.split(ids, trainFraction: trainFraction).validation
            let started = Date()
            let loss = try lm.evaluate(scored, streams: 1, chunk: chunk)
            print(String(format: "validation loss %.4f nats/char, %.4f bits/char, perplexity %.3f over %d characters (%.1f s)",
                         loss, loss / log(2), exp(loss), scored.count - 1, Date().timeIntervalSince(started)))
        }
    }
}

struct LMSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate text, written to standard output as it is made.")

    @Option(help: "Model directory (default: the shipped Models/lm-shakespeare).") var model: String?
    @Option(help: "Text to start from (fed before generating).") var prompt = ""
    @Option(help: "Characters to generate.") var length = 500
    @Option(help: "Softmax temperature (0 = greedy).") var temperature: Float = 0.8
    @Option(help: "Draw among the K most likely characters only (0 = all).") var topK = 0
    @Option(help: "Draw among the most likely characters adding up to P (1 = all).") var topP: Float = 1
    @Option(help: "Random seed: the same seed gives the same text.") var seed: UInt64 = 0

    var sampling: SamplingOptions { SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: seed) }

    func validate() throws {
        try checkingOptions {
            try sampling.validate()
            try Check.count(length, "length", in: 0...TextGenerator.maximumLength)
            try Check.count(prompt.unicodeScalars.count, "prompt", in: 0...Limits.maximumPromptLength)
        }
    }

    func run() throws {
        try cleanly {
            let (lm, _) = try CharacterLanguageModel.load(from: try modelFolder("lm-shakespeare", explicit: model))
            _ = try lm.alphabet.encode(prompt, what: "--prompt")  // refused before anything is written
            let generator = try TextGenerator(model: lm)
            print(prompt, terminator: "")
            fflush(stdout)
            try generator.generate(prompt: prompt, length: length, sampling: sampling) { text in
                fputs(text, stdout)
                fflush(stdout)
                return true
            }
            print()
        }
    }
}
