import Foundation
import Testing
import RecurrentCore
import RecurrentNN

/// A hand-made "model": the next-token distribution depends on the tokens so far (0 = end).
struct ToyLanguageModel {
    let table: ([Int]) -> [Float]  // probabilities over the vocabulary given the history

    func run(_ search: BeamSearch) -> [Seq2SeqHypothesis] {
        var histories: [[Int]] = [[]]
        var first = true
        return search.search(startToken: -1) { tokens, parents in
            histories = parents.map { histories[$0] }
            if !first { for i in histories.indices { histories[i].append(tokens[i]) } }
            first = false
            let rows = histories.map { table($0).map { Foundation.log(Swift.max($0, 1e-12)) } }
            return BeamSearch.Step(logProbabilities: Tensor(rows))
        }
    }
}

@Suite("Beam search")
struct Seq2SeqBeamSearchTests {
    /// Greedy takes `a` (0.6) and then at best 0.4; beam keeps `b` (0.4), which then has 0.9.
    let trap = ToyLanguageModel { history in
        switch history {
        case []: return [0, 0.6, 0.4]
        case [1]: return [0.3, 0.4, 0.3]
        case [2]: return [0.05, 0.05, 0.9]
        default: return [1, 0, 0]
        }
    }

    @Test("beam search finds a more probable output than greedy decoding")
    func beatsGreedy() {
        let greedy = trap.run(BeamSearch(width: 1, maximumLength: 5, endToken: 0))[0]
        #expect(greedy.tokens == [1, 1])
        #expect(abs(greedy.logProbability - Foundation.log(Float(0.24))) < 1e-5)
        let beam = trap.run(BeamSearch(width: 2, maximumLength: 5, endToken: 0))
        #expect(beam[0].tokens == [2, 2])
        #expect(abs(beam[0].logProbability - Foundation.log(Float(0.36))) < 1e-5)
        #expect(beam[0].logProbability > greedy.logProbability)
        #expect(beam[0].finished)
    }

    /// Stopping at once has p 0.5; the long output "a a" has p 0.5·0.99·0.6 ≈ 0.30 over 3 tokens.
    let lengthy = ToyLanguageModel { history in
        switch history.count {
        case 0: return [0.5, 0.5]
        case 1: return [0.01, 0.99]
        case 2: return [0.6, 0.4]
        default: return [1, 0]
        }
    }

    @Test("length normalization: α = 0 prefers the short output, α = 1 the long one")
    func lengthNormalization() {
        let raw = lengthy.run(BeamSearch(width: 2, maximumLength: 6, lengthNormalization: 0, endToken: 0))
        #expect(raw[0].tokens == [])
        let normalized = lengthy.run(BeamSearch(width: 2, maximumLength: 6, lengthNormalization: 1, endToken: 0))
        #expect(normalized[0].tokens == [1, 1])
        #expect(abs(normalized[0].score - normalized[0].logProbability / 3) < 1e-6)
        #expect(BeamSearch.normalizedScore(logProbability: -6, length: 3, alpha: 1) == -2)
        #expect(BeamSearch.normalizedScore(logProbability: -6, length: 4, alpha: 0.5) == -3)
        #expect(BeamSearch.normalizedScore(logProbability: -6, length: 0, alpha: 1) == -6)
    }

    @Test("the maximum length ends unfinished outputs with the end token")
    func maximumLength() {
        let never = ToyLanguageModel { _ in [0.01, 0.99] }
        let result = never.run(BeamSearch(width: 3, maximumLength: 4, endToken: 0))
        #expect(result.allSatisfy { $0.tokens.count <= 4 })
        // The forced end token costs 0.01 as well, so stopping at once (0.01) still ranks first.
        let longest = result.first { $0.tokens == [1, 1, 1, 1] }
        #expect(longest != nil && longest!.finished == false)
        #expect(result[0].tokens == [] && result[0].finished)
    }
}
