import Foundation
import RecurrentCore
import RecurrentData

/// A source sentence and its translation, normalized and split into tokens.
public struct TranslationPair: Equatable, Sendable {
    /// Source tokens.
    public var source: [String]
    /// Target tokens.
    public var target: [String]

    /// Makes a pair.
    public init(source: [String], target: [String]) {
        self.source = source
        self.target = target
    }
}

/// The PyTorch "NLP From Scratch: translation with a sequence to sequence network and attention"
/// tutorial's data preparation for Tatoeba `eng-fra.txt`.
public enum TranslationData {
    /// The English prefixes the tutorial keeps.
    public static let englishPrefixes = ["i am ", "i m ", "he is", "he s ", "she is", "she s ", "you are", "you re ",
                                         "we are", "we re ", "they are", "they re "]
    /// The tutorial's `MAX_LENGTH`: both sides have fewer tokens than this.
    public static let maximumLength = 10

    /// The tutorial's `normalizeString`: lower case, accents removed, a space before `.`, `!` and `?`,
    /// anything else that is not a letter becomes a space.
    public static func normalize(_ text: String) -> String {
        let folded = text.lowercased().folding(options: .diacriticInsensitive, locale: nil)
        var out = ""
        var lastWasSpace = false
        for scalar in folded.unicodeScalars {
            let c = Character(scalar)
            if scalar.isASCII && c.isLetter {
                out.append(c)
                lastWasSpace = false
            } else if c == "." || c == "!" || c == "?" {
                if !lastWasSpace && !out.isEmpty { out.append(" ") }
                out.append(c)
                lastWasSpace = false
            } else if !lastWasSpace {
                out.append(" ")
                lastWasSpace = true
            }
        }
        return out.trimmingCharacters(in: .whitespaces).split(separator: " ").joined(separator: " ")
    }

    /// Reads `English<TAB>French[<TAB>…]` lines, normalizes, and keeps the tutorial's pairs (both sides
    /// shorter than `maximumLength` tokens, English starting with one of `englishPrefixes`).
    ///
    /// - Parameter frenchToEnglish: the tutorial's direction (`reverse=True`): French source, English target.
    public static func read(_ url: URL, frenchToEnglish: Bool = true) throws -> [TranslationPair] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var pairs: [TranslationPair] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 2 else { continue }
            let english = normalize(String(fields[0])), french = normalize(String(fields[1]))
            let e = english.split(separator: " ").map(String.init), f = french.split(separator: " ").map(String.init)
            guard !e.isEmpty, !f.isEmpty, e.count < maximumLength, f.count < maximumLength,
                  englishPrefixes.contains(where: { english.hasPrefix($0) }) else { continue }
            pairs.append(frenchToEnglish ? TranslationPair(source: f, target: e) : TranslationPair(source: e, target: f))
        }
        return pairs
    }

    /// Pairs as `SOURCE<TAB>TARGET` lines, the format `readPairs(_:)` reads.
    public static func pairLines(_ pairs: [TranslationPair]) -> String {
        pairs.map { $0.source.joined(separator: " ") + "\t" + $0.target.joined(separator: " ") + "\n" }.joined()
    }

    /// Reads normalized `SOURCE<TAB>TARGET` lines (as `translate train` writes `test-pairs.txt`).
    ///
    /// - Throws: `ValidationFailure` naming `FILE:LINE` for a line without exactly two non-empty fields, or
    ///   the file when it has no pairs; file errors.
    public static func readPairs(_ url: URL) throws -> [TranslationPair] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var pairs: [TranslationPair] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let source = fields.first?.split(separator: " ").map(String.init) ?? []
            let target = fields.count > 1 ? fields[1].split(separator: " ").map(String.init) : []
            try Check.that(fields.count == 2 && !source.isEmpty && !target.isEmpty, "\(url.path):\(number + 1)",
                           "expected SOURCE<TAB>TARGET with words on both sides")
            pairs.append(TranslationPair(source: source, target: target))
        }
        try Check.that(!pairs.isEmpty, url.path, "no pairs to score")
        return pairs
    }

    /// Splits pairs into train and held-out parts by source sentence (seeded shuffle of the distinct sources):
    /// every pair of a held-out source is held out, so no held-out source sentence is ever trained on (the
    /// tutorial's data has many sources with several translations). Whole groups are taken until at least
    /// `heldOut` pairs are held out.
    ///
    /// - Returns: the pairs of the remaining sources (in their original order) and the held-out pairs
    ///   (grouped by source, in shuffled order).
    public static func split(_ pairs: [TranslationPair], heldOut: Int, seed: UInt64) -> (train: [TranslationPair], heldOut: [TranslationPair]) {
        var groups: [[String]: [Int]] = [:], sources: [[String]] = []
        for (index, pair) in pairs.enumerated() {
            if groups[pair.source] == nil { sources.append(pair.source) }
            groups[pair.source, default: []].append(index)
        }
        var rng = Xoshiro256StarStar(seed: seed)
        var held: [Int] = []
        for source in SeededShuffle.shuffled(sources, using: &rng) where held.count < heldOut {
            held += groups[source]!
        }
        let heldSet = Set(held)
        return (pairs.indices.filter { !heldSet.contains($0) }.map { pairs[$0] }, held.map { pairs[$0] })
    }

    /// Corpus BLEU-4 (Papineni et al.): the geometric mean of clipped 1–4-gram precisions over the whole
    /// corpus times the brevity penalty, one reference per sentence; 0 when some precision is 0.
    public static func bleu(hypotheses: [[String]], references: [[String]], maximumOrder: Int = 4) -> Double {
        precondition(hypotheses.count == references.count, "bleu: counts differ")
        var matches = [Int](repeating: 0, count: maximumOrder), totals = [Int](repeating: 0, count: maximumOrder)
        var hypothesisLength = 0, referenceLength = 0
        for (h, r) in zip(hypotheses, references) {
            hypothesisLength += h.count
            referenceLength += r.count
            for n in 1...maximumOrder {
                guard h.count >= n else { continue }
                var counts: [ArraySlice<String>: Int] = [:]
                if r.count >= n { for i in 0...(r.count - n) { counts[r[i..<(i + n)], default: 0] += 1 } }
                for i in 0...(h.count - n) {
                    totals[n - 1] += 1
                    let gram = h[i..<(i + n)]
                    if let left = counts[gram], left > 0 {
                        matches[n - 1] += 1
                        counts[gram] = left - 1
                    }
                }
            }
        }
        guard hypothesisLength > 0, matches.allSatisfy({ $0 > 0 }) else { return 0 }
        let logPrecision = zip(matches, totals).map { Foundation.log(Double($0) / Double($1)) }.reduce(0, +) / Double(maximumOrder)
        let brevity = hypothesisLength >= referenceLength ? 1 : Foundation.exp(1 - Double(referenceLength) / Double(hypothesisLength))
        return brevity * Foundation.exp(logPrecision)
    }
}
