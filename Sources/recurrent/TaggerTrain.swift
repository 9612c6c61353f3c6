import ArgumentParser
import Foundation
import Recurrent

/// `recurrent tagger train --train F --dev F --out DIR [--column upos|xpos] …`.
struct TaggerTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a tagger on a CoNLL-U file, keeping the weights of the best dev epoch.",
        discussion: """
            Writes the model folder DIR (model.safetensors in F16, config.json, words.json, characters.json, \
            tags.json) whenever the dev accuracy improves, and a checkpoint after every epoch in DIR/checkpoints; \
            run the same command with --resume to continue an interrupted run exactly.
            """
    )

    @Option(name: .long, help: "Training data (CoNLL-U).")
    var train: String
    @Option(name: .long, help: "Dev data for early stopping (CoNLL-U).")
    var dev: String
    @Option(name: .long, help: "The model folder to write.")
    var out: String
    @Option(name: .long, help: "The column to predict: upos or xpos.")
    var column: String = "upos"
    @Option(name: .long, help: "The most epochs to run.")
    var epochs: Int = 30
    @Option(name: .long, help: "Stop after this many epochs without a better dev accuracy.")
    var patience: Int = 5
    @Option(name: .customLong("batch-size"), help: "Sentences per batch.")
    var batchSize: Int = 32
    @Option(name: .customLong("batch-tokens"), help: "Batches of at most this many padded words instead of --batch-size sentences (0: off).")
    var batchTokens: Int = 0
    @Option(name: .customLong("bucket-width"), help: "Batch sentences whose lengths agree after dividing by this (0: random batches).")
    var bucketWidth: Int = 0
    @Option(name: .customLong("learning-rate"), help: "Adam's step size.")
    var learningRate: Float = 2e-3
    @Option(name: .customLong("clip-norm"), help: "The largest gradient norm (0: no clipping).")
    var clipNorm: Float = 5
    @Option(name: .long, help: "Dropout probability.")
    var dropout: Float = 0.33
    @Option(name: .customLong("min-word-count"), help: "Word forms seen fewer times map to <unk>.")
    var minWordCount: Int = 2
    @Option(name: .customLong("max-words"), help: "Keep at most this many word ids (most frequent first).")
    var maxWords: Int?
    @Option(name: .customLong("min-char-count"), help: "Characters seen fewer times map to <unk>.")
    var minCharCount: Int = 1
    @Option(name: .customLong("word-dim"), help: "Word embedding size.")
    var wordDimension: Int = 100
    @Option(name: .customLong("char-dim"), help: "Character embedding size.")
    var characterDimension: Int = 32
    @Option(name: .customLong("char-hidden"), help: "Character BiLSTM units per direction.")
    var characterHidden: Int = 50
    @Option(name: .long, help: "Sentence BiLSTM units per direction.")
    var hidden: Int = 200
    @Option(name: .long, help: "Sentence BiLSTM layers.")
    var layers: Int = 2
    @Option(name: .customLong("word-dropout"), help: "Word dropout α: a word seen n times becomes <unk> with probability α/(α+n) (0: off).")
    var wordDropout: Float = 0
    @Option(name: .customLong("lr-decay"), help: "Multiply the learning rate by this after every --decay-patience epochs without improvement (1: off).")
    var learningRateDecay: Float = 1
    @Option(name: .customLong("decay-patience"), help: "Epochs without improvement between learning-rate decays.")
    var decayPatience: Int = 2
    @Option(name: .customLong("drop-final-punct"), help: "Probability of dropping a training sentence's final punctuation each epoch (0: off).")
    var dropFinalPunctuation: Float = 0
    @Option(name: .long, help: "Probability of training on a random window of 2–8 words of a sentence instead (0: off).")
    var crop: Float = 0
    @Flag(name: .long, help: "Add a CRF output layer (sentence-level likelihood, Viterbi decoding).")
    var crf = false
    @Option(name: .long, help: "Seed of the weights, data order and dropout.")
    var seed: UInt64 = 1
    @Flag(name: .long, help: "Continue from DIR/checkpoints if a checkpoint is there.")
    var resume = false
    @Flag(name: .long, help: "Write progress as log lines even on a terminal.")
    var plain = false

    @Option(name: .customLong("on-non-finite"), help: "A step whose loss or gradient is not finite: stop (the run fails) or skip (no update).")
    var onNonFinite: NonFinitePolicy = .stop

    /// The library's settings for these options.
    var options: TaggerTrainingOptions {
        let architecture = TaggerArchitecture(wordDimension: wordDimension, characterDimension: characterDimension,
                                              characterHidden: characterHidden, hidden: hidden, layerCount: layers,
                                              dropout: dropout, crf: crf)
        return TaggerTrainingOptions(column: TagColumn(rawValue: column) ?? .upos, architecture: architecture,
                                     minimumWordCount: minWordCount, maximumWordCount: maxWords,
                                     minimumCharacterCount: minCharCount, epochs: epochs,
                                     patience: patience, batchSize: batchSize, batchTokens: batchTokens, bucketWidth: bucketWidth,
                                     learningRate: learningRate, clipNorm: clipNorm, seed: seed, wordDropout: wordDropout,
                                     learningRateDecay: learningRateDecay, decayPatience: decayPatience,
                                     finalPunctuationDropout: dropFinalPunctuation, cropProbability: crop)
    }

    /// Library settings whose option is not their kebab-case name.
    static let optionNames = ["wordDimension": "--word-dim", "characterDimension": "--char-dim", "characterHidden": "--char-hidden",
                              "layerCount": "--layers", "minimumWordCount": "--min-word-count", "maximumWordCount": "--max-words",
                              "minimumCharacterCount": "--min-char-count", "learningRateDecay": "--lr-decay",
                              "finalPunctuationDropout": "--drop-final-punct", "cropProbability": "--crop",
                              "maximumWordLength": "the maximum word length"]

    func validate() throws {
        guard TagColumn(rawValue: column) != nil else { throw ValidationError("--column must be upos or xpos") }
        try checkingOptions(Self.optionNames) { try options.validate() }
    }

    func run() throws {
        try cleanly { try trainTagger() }
    }

    private func trainTagger() throws {
        let options = self.options
        let trainURL = URL(fileURLWithPath: train), devURL = URL(fileURLWithPath: dev)
        let trainSentences = try TaggedSentence.read(contentsOf: trainURL, column: options.column)
        let devSentences = try TaggedSentence.read(contentsOf: devURL, column: options.column)
        let outURL = URL(fileURLWithPath: out)
        let checkpoints = outURL.appendingPathComponent("checkpoints")
        if !resume, FileManager.default.fileExists(atPath: checkpoints.path) {
            try FileManager.default.removeItem(at: checkpoints)
        }
        var trainer = TaggerTrainer(options: options, outputDirectory: outURL, checkpointDirectory: checkpoints,
                                    progressStyle: plain ? .lines : .automatic)
        trainer.nonFinitePolicy = onNonFinite
        let result = try trainer.train(train: trainSentences, dev: devSentences,
                                       trainName: trainURL.lastPathComponent, devName: devURL.lastPathComponent)
        try? FileManager.default.removeItem(at: checkpoints)
        let seconds = result.epochs.map(\.seconds)
        let mean = seconds.isEmpty ? 0 : seconds.reduce(0, +) / Double(seconds.count)
        print(String(format: "best dev accuracy %.2f%% (epoch %d of %d); %.1f s per training epoch; model in %@",
                     100 * result.bestDevAccuracy, result.tagger.training?.bestEpoch ?? 0, result.epochs.last?.epoch ?? 0,
                     mean, out))
    }
}
