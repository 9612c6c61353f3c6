import ArgumentParser
import Foundation
import Recurrent

/// `recurrent tagger segmentation-data --input F --output F`: BIES character data for a Chinese segmenter.
struct TaggerSegmentationData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segmentation-data",
        abstract: "Turn a segmented CoNLL-U treebank into character-tagged CoNLL-U (B/I/E/S in UPOS) for training a segmenter."
    )

    @Option(name: .long, help: "A segmented CoNLL-U file (e.g. zh-ud-train.conllu).")
    var input: String
    @Option(name: .long, help: "The CoNLL-U file to write (one token per character).")
    var output: String

    func run() throws {
        try cleanly {
            let sentences = try TaggedSentence.read(contentsOf: URL(fileURLWithPath: input), column: .upos)
            let text = ChineseSegmentation.trainingData(from: sentences)
            try AtomicFile.write(text: text, to: URL(fileURLWithPath: output))
            print("\(output): \(sentences.count) sentences, \(sentences.reduce(0) { $0 + $1.words.count }) words")
        }
    }
}

/// `recurrent tagger segment-eval --model DIR --data F`: word precision, recall and F1 of a segmenter.
struct TaggerSegmentEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment-eval",
        abstract: "Score a Chinese segmenter (a tagger trained on segmentation-data) on a segmented CoNLL-U file."
    )

    @Option(name: .long, help: "A segmenter model folder (default: the shipped Models/segmenter-zh).")
    var model: String?
    @Option(name: .long, help: "Gold segmented CoNLL-U data.")
    var data: String

    func run() throws {
        try cleanly { try score() }
    }

    private func score() throws {
        let segmenter = try model.map { try Tagger.load(from: URL(fileURLWithPath: $0)) } ?? ShippedTaggers.loadSegmenter()
        let gold = try TaggedSentence.read(contentsOf: URL(fileURLWithPath: data), column: .upos).map(\.words)
        let characters = gold.map { ChineseSegmentation.characterTags(words: $0).characters }
        let tags = try segmenter.tag(characters)
        let predicted = zip(characters, tags).map { ChineseSegmentation.words(characters: $0, tags: $1) }
        let score = ChineseSegmentation.score(gold: gold, predicted: predicted)
        print(String(format: "%@ (%d sentences): word precision %.2f%%, recall %.2f%%, F1 %.2f%%", data, gold.count,
                     100 * score.precision, 100 * score.recall, 100 * score.f1))
    }
}
