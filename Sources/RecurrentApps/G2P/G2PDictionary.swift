import Foundation
import RecurrentCore
import RecurrentData

/// One dictionary line: a word and one of its pronunciations.
public struct G2PEntry: Equatable, Sendable {
    /// The word, upper case (`WATERMELON`).
    public var word: String
    /// Its phonemes without stress (`W AO T ER M EH L AH N`).
    public var phonemes: [String]

    /// Makes an entry.
    public init(word: String, phonemes: [String]) {
        self.word = word
        self.phonemes = phonemes
    }
}

/// Reads pronunciation dictionaries in the Phonetisaurus g014b2b format: `WORD<TAB>P H O N E S` per line,
/// with any further `<TAB>`-separated fields as alternative pronunciations of the same word.
public enum G2PDictionary {
    /// Parses a dictionary file.
    ///
    /// - Throws: `G2PError.fileFormat` naming the line of a malformed entry (line 0: a file without
    ///   entries); `.unreadableFile` when the file cannot be read as UTF-8 text.
    public static func read(_ url: URL) throws -> [G2PEntry] {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw G2PError.unreadableFile(path: url.path, reason: ErrorText.reason(error))
        }
        let entries = try parse(text, name: url.path)
        guard !entries.isEmpty else { throw G2PError.fileFormat(path: url.path, line: 0, reason: "no dictionary entries") }
        return entries
    }

    /// Parses dictionary text (see `read`). Blank lines are skipped.
    public static func parse(_ text: String, name: String = "<text>") throws -> [G2PEntry] {
        var entries: [G2PEntry] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            // WORD<TAB>P H O N E S, optionally followed by <TAB>-separated alternative pronunciations
            // (g014b2b.ref lists several references for 673 of its words).
            let fields = trimmed.split(separator: "\t", omittingEmptySubsequences: false)
            let pronunciations = fields.dropFirst().map { $0.split(separator: " ").map(String.init) }
            guard fields.count >= 2, !fields[0].isEmpty, pronunciations.allSatisfy({ !$0.isEmpty }) else {
                throw G2PError.fileFormat(path: name, line: number + 1, reason: "expected WORD<TAB>PHONEMES[<TAB>PHONEMES…]")
            }
            for phonemes in pronunciations {
                entries.append(G2PEntry(word: String(fields[0]).uppercased(), phonemes: phonemes))
            }
        }
        return entries
    }

    /// Groups entries by word (first-seen order): `[(word, [pronunciation])]`.
    public static func grouped(_ entries: [G2PEntry]) -> [(word: String, pronunciations: [[String]])] {
        var order: [String] = [], map: [String: [[String]]] = [:]
        for entry in entries {
            if map[entry.word] == nil { order.append(entry.word) }
            map[entry.word, default: []].append(entry.phonemes)
        }
        return order.map { ($0, map[$0]!) }
    }

    /// Splits entries into train and held-out (dev) parts by word, so every pronunciation of a held-out
    /// word is held out.
    ///
    /// - Parameters:
    ///   - heldOutWords: how many distinct words to hold out.
    ///   - seed: the shuffle seed.
    public static func split(_ entries: [G2PEntry], heldOutWords: Int, seed: UInt64) -> (train: [G2PEntry], heldOut: [G2PEntry]) {
        var words = Array(Set(entries.map(\.word))).sorted()
        var rng = Xoshiro256StarStar(seed: seed)
        SeededShuffle.shuffle(&words, using: &rng)
        let held = Set(words.prefix(heldOutWords))
        return (entries.filter { !held.contains($0.word) }, entries.filter { held.contains($0.word) })
    }
}

/// Word and phoneme error rates.
public enum G2PMetrics {
    /// The Levenshtein distance between two token sequences (insertions, deletions, substitutions cost 1).
    public static func editDistance(_ a: [String], _ b: [String]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The error counts of a test.
    public struct Score: Equatable, Sendable {
        /// Words scored.
        public var words = 0
        /// Words whose prediction matches none of their references.
        public var wordErrors = 0
        /// Summed edit distance to the closest reference of each word.
        public var phonemeErrors = 0
        /// Summed length of those closest references.
        public var referencePhonemes = 0

        /// `wordErrors / words`.
        public var wordErrorRate: Double { words == 0 ? 0 : Double(wordErrors) / Double(words) }
        /// `phonemeErrors / referencePhonemes`.
        public var phonemeErrorRate: Double { referencePhonemes == 0 ? 0 : Double(phonemeErrors) / Double(referencePhonemes) }
    }

    /// Scores predictions against references; a word with several references is scored against the
    /// closest one (fewest edits; then the shorter).
    ///
    /// - Parameters:
    ///   - predictions: one phoneme sequence per word.
    ///   - references: the references of each word (at least one each).
    public static func score(predictions: [[String]], references: [[[String]]]) -> Score {
        report(words: [String](repeating: "", count: predictions.count), predictions: predictions, references: references).score
    }

    /// A word the model got wrong.
    public struct Mistake: Equatable, Sendable {
        /// The word, as in the test dictionary.
        public var word: String
        /// The model's phonemes.
        public var predicted: [String]
        /// Every reference pronunciation of the word, the closest to `predicted` first.
        public var references: [[String]]
        /// Edits from `predicted` to the closest reference (at least 1).
        public var edits: Int

        /// Makes a mistake record.
        public init(word: String, predicted: [String], references: [[String]], edits: Int) {
            self.word = word
            self.predicted = predicted
            self.references = references
            self.edits = edits
        }

        /// `WORD<TAB>PREDICTED<TAB>EDITS<TAB>REFERENCE[<TAB>REFERENCE…]`, phonemes separated by spaces.
        public var tabSeparated: String {
            ([word, predicted.joined(separator: " "), String(edits)] + references.map { $0.joined(separator: " ") })
                .joined(separator: "\t")
        }
    }

    /// The words whose prediction matches none of their references, in input order.
    ///
    /// - Parameters:
    ///   - words: the words, one per prediction.
    ///   - predictions: one phoneme sequence per word.
    ///   - references: the references of each word (at least one each).
    public static func mistakes(words: [String], predictions: [[String]], references: [[[String]]]) -> [Mistake] {
        report(words: words, predictions: predictions, references: references).mistakes
    }

    /// The score (see `score(predictions:references:)`) and the mistakes (see `mistakes(words:predictions:references:)`)
    /// in one pass, each word compared with its references once.
    public static func report(words: [String], predictions: [[String]], references: [[[String]]]) -> (score: Score, mistakes: [Mistake]) {
        precondition(words.count == predictions.count && predictions.count == references.count,
                     "G2PMetrics: \(words.count) words, \(predictions.count) predictions, \(references.count) reference lists")
        var score = Score(), mistakes: [Mistake] = []
        for ((word, prediction), refs) in zip(zip(words, predictions), references) {
            let best = closestReference(prediction, refs)
            score.words += 1
            score.phonemeErrors += best.distance
            score.referencePhonemes += refs[best.index].count
            guard best.distance > 0 else { continue }
            score.wordErrors += 1
            var ordered = refs
            ordered.swapAt(0, best.index)
            mistakes.append(Mistake(word: word, predicted: prediction, references: ordered, edits: best.distance))
        }
        return (score, mistakes)
    }

    /// The reference closest to `prediction` (fewest edits; then the shorter; then the first) and its distance.
    static func closestReference(_ prediction: [String], _ references: [[String]]) -> (index: Int, distance: Int) {
        precondition(!references.isEmpty, "G2PMetrics: a word without references")
        var best = (index: 0, distance: editDistance(prediction, references[0]))
        for index in references.indices.dropFirst() {
            let distance = editDistance(prediction, references[index])
            if (distance, references[index].count) < (best.distance, references[best.index].count) {
                best = (index, distance)
            }
        }
        return best
    }
}
