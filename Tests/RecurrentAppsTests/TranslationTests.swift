import Foundation
import Testing
import RecurrentApps
import TestSupport

@Suite("Translation")
struct TranslationTests {
    @Test("normalization follows the PyTorch tutorial")
    func normalize() {
        #expect(TranslationData.normalize("Je suis très content!") == "je suis tres content !")
        #expect(TranslationData.normalize("I'm O.K.") == "i m o .k .")  // as the tutorial's r" \1" substitution does
        #expect(TranslationData.normalize("  Où est-il ?") == "ou est il ?")
    }

    @Test("corpus BLEU on hand-made examples")
    func bleu() {
        let s = "the cat is on the mat".split(separator: " ").map(String.init)
        #expect(abs(TranslationData.bleu(hypotheses: [s], references: [s]) - 1) < 1e-12)
        #expect(TranslationData.bleu(hypotheses: [["a", "b"]], references: [["c", "d"]]) == 0)
        // 5/6 unigrams, 3/5 bigrams, 2/4 trigrams, 1/3 four-grams.
        let h = "the cat is on a mat".split(separator: " ").map(String.init)
        #expect(abs(TranslationData.bleu(hypotheses: [h], references: [s]) - Foundation.pow(5.0 / 6 * 3 / 5 * 2 / 4 * 1 / 3, 0.25)) < 1e-12)
        // Up to bigrams: sqrt(5/6 · 3/5), no brevity penalty.
        #expect(abs(TranslationData.bleu(hypotheses: [h], references: [s], maximumOrder: 2) - (5.0 / 6 * 3.0 / 5).squareRoot()) < 1e-12)
        // A short hypothesis pays the brevity penalty exp(1 − 6/3).
        let short = ["the", "cat", "is"]
        #expect(abs(TranslationData.bleu(hypotheses: [short], references: [s], maximumOrder: 1) - Foundation.exp(1 - 2.0)) < 1e-12)
    }

    @Test("the tutorial filter keeps short pairs with the English prefixes")
    func tutorialFilter() throws {
        guard let url = SharedData.require("data/tatoeba/eng-fra.txt") else { return }
        let pairs = try TranslationData.read(url)
        #expect(pairs.count > 10_000 && pairs.count < 13_000)
        #expect(pairs.allSatisfy { $0.source.count < 10 && $0.target.count < 10 })
        #expect(pairs.allSatisfy { TranslationData.englishPrefixes.contains(where: $0.target.joined(separator: " ").hasPrefix) })
    }
}
