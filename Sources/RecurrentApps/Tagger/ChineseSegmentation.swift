import Foundation
import RecurrentData

/// Word segmentation of unsegmented Chinese as character tagging, so the tagger network and trainer do it
/// too: every character gets `B` (begins a word), `I` (inside one), `E` (ends one) or `S` (a word of one
/// character). A segmenter is a tagger trained on characters tagged this way (`trainingData(from:)`).
public enum ChineseSegmentation {
    /// The four character tags.
    public static let tags = ["B", "I", "E", "S"]

    /// The characters of `words`, in order, with their BIES tags.
    ///
    /// - Parameter words: the words of a sentence (whitespace inside a word is dropped).
    /// - Returns: `characters` and `tags`, of equal length.
    public static func characterTags(words: [String]) -> (characters: [String], tags: [String]) {
        var characters: [String] = [], tags: [String] = []
        for word in words {
            let letters = word.filter { !$0.isWhitespace }.map(String.init)
            for (i, letter) in letters.enumerated() {
                characters.append(letter)
                tags.append(letters.count == 1 ? "S" : i == 0 ? "B" : i == letters.count - 1 ? "E" : "I")
            }
        }
        return (characters, tags)
    }

    /// Joins characters into words by their tags: a word starts at `B` or `S` and after `E` or `S`, so any
    /// tag sequence (even an inconsistent one) gives a segmentation.
    ///
    /// - Parameters:
    ///   - characters: `[n]` characters.
    ///   - tags: `[n]` BIES tags.
    /// - Returns: the words, whose concatenation is the characters.
    public static func words(characters: [String], tags: [String]) -> [String] {
        precondition(characters.count == tags.count, "ChineseSegmentation.words: \(characters.count) characters, \(tags.count) tags")
        var words: [String] = []
        var previous = "S"
        for (character, tag) in zip(characters, tags) {
            if words.isEmpty || tag == "B" || tag == "S" || previous == "E" || previous == "S" {
                words.append(character)
            } else {
                words[words.count - 1] += character
            }
            previous = tag
        }
        return words
    }

    /// Training data for a segmenter: each sentence as CoNLL-U whose tokens are its characters, with the BIES
    /// tag in the UPOS column (train with `recurrent tagger train`).
    public static func trainingData(from sentences: [TaggedSentence]) -> String {
        var text = ""
        for sentence in sentences {
            let (characters, tags) = characterTags(words: sentence.words)
            guard !characters.isEmpty else { continue }
            for (i, (character, tag)) in zip(characters, tags).enumerated() {
                text += "\(i + 1)\t\(character)\t_\t\(tag)\t_\t_\t_\t_\t_\t_\n"
            }
            text += "\n"
        }
        return text
    }

    /// Segments unsegmented text (whitespace is ignored) with a segmenter.
    /// - Throws: `TaggerError.emptyInput` for text without characters.
    public static func segment(_ text: String, with segmenter: Tagger) throws -> [String] {
        let characters = text.filter { !$0.isWhitespace }.map(String.init)
        guard !characters.isEmpty else { throw TaggerError.emptyInput }
        return words(characters: characters, tags: try segmenter.tag(characters))
    }

    /// Word precision, recall and F1 of predicted segmentations against gold ones (a predicted word counts
    /// when a gold word spans exactly the same characters).
    public static func score(gold: [[String]], predicted: [[String]]) -> (precision: Double, recall: Double, f1: Double) {
        precondition(gold.count == predicted.count, "ChineseSegmentation.score: \(gold.count) gold sentences, \(predicted.count) predicted")
        func spans(_ words: [String]) -> Set<[Int]> {
            var start = 0, result = Set<[Int]>()
            for word in words {
                let length = word.filter { !$0.isWhitespace }.count
                result.insert([start, start + length])
                start += length
            }
            return result
        }
        var correct = 0, goldCount = 0, predictedCount = 0
        for (g, p) in zip(gold, predicted) {
            let (a, b) = (spans(g), spans(p))
            correct += a.intersection(b).count
            goldCount += a.count
            predictedCount += b.count
        }
        let precision = predictedCount == 0 ? 0 : Double(correct) / Double(predictedCount)
        let recall = goldCount == 0 ? 0 : Double(correct) / Double(goldCount)
        return (precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall))
    }
}
