import Foundation
import RecurrentCore
import RecurrentData

/// One decoded output.
public struct Seq2SeqHypothesis: Equatable {
    /// The output tokens, without the start token and without the end token.
    public var tokens: [Int]
    /// `Σ log p(token)` over the tokens and, when `finished`, the end token.
    public var logProbability: Float
    /// The ranking score: `logProbability / length^α` (see `BeamSearch.normalizedScore`).
    public var score: Float
    /// Whether the model chose to end the output (false when the maximum length forced the end token,
    /// which is then still scored).
    public var finished: Bool
    /// Attention weights per output step (tokens, then the end token when finished), each over the source
    /// positions; empty when the model has no attention.
    public var attention: [[Float]]
}

/// Beam search over any step function: keeps the `width` best partial outputs, finishes those that emit
/// `endToken`, and ranks finished outputs by length-normalized log-probability.
///
/// The search does not know about models. At each step it calls `step(previousTokens, parents)`: row `i`
/// of the batch continues row `parents[i]` of the previous call (the caller reorders its own state with
/// `parents`; the first call has one row and `parents == [0]`) and reads `previousTokens[i]`; the step
/// returns log-probabilities `[rows, vocabulary]` and optionally attention rows.
public struct BeamSearch {
    /// Beams kept at each step (≥ 1). Width 1 is greedy decoding.
    public var width: Int
    /// The most output tokens (not counting the end token).
    public var maximumLength: Int
    /// `α` of the length normalization `logP / length^α`: 0 ranks by total log-probability (favouring
    /// short outputs), 1 by the mean per token.
    public var lengthNormalization: Float
    /// The token that ends an output.
    public var endToken: Int

    /// Makes a search.
    public init(width: Int, maximumLength: Int, lengthNormalization: Float = 0, endToken: Int) {
        precondition(width >= 1, "BeamSearch: width must be at least 1")
        precondition(maximumLength >= 0, "BeamSearch: maximumLength must not be negative")
        self.width = width
        self.maximumLength = maximumLength
        self.lengthNormalization = lengthNormalization
        self.endToken = endToken
    }

    /// `logProbability / length^α` with `length` the number of scored tokens (at least 1).
    public static func normalizedScore(logProbability: Float, length: Int, alpha: Float) -> Float {
        alpha == 0 ? logProbability : logProbability / Foundation.pow(Float(Swift.max(length, 1)), alpha)
    }

    /// What a step returns.
    public struct Step {
        /// `[rows, vocabulary]` log-probabilities of the next token.
        public var logProbabilities: Tensor
        /// Attention rows `[rows, sourceLength]`, or nil.
        public var attention: Tensor?

        /// Wraps a step's results.
        public init(logProbabilities: Tensor, attention: Tensor? = nil) {
            self.logProbabilities = logProbabilities
            self.attention = attention
        }
    }

    private struct Beam {
        var tokens: [Int]
        var logProbability: Float
        var attention: [[Float]]
    }

    /// Runs the search.
    ///
    /// - Parameters:
    ///   - startToken: the token read at the first step.
    ///   - step: see the type's documentation.
    /// - Returns: up to `width` hypotheses, best score first.
    public func search(startToken: Int, step: (_ previousTokens: [Int], _ parents: [Int]) throws -> Step) rethrows -> [Seq2SeqHypothesis] {
        var beams = [Beam(tokens: [], logProbability: 0, attention: [])]
        var previous = [startToken], parents = [0]
        var finished: [Seq2SeqHypothesis] = []
        func hypothesis(_ beam: Beam, finished done: Bool) -> Seq2SeqHypothesis {
            let length = beam.tokens.count + (done ? 1 : 0)
            return Seq2SeqHypothesis(tokens: beam.tokens, logProbability: beam.logProbability,
                                     score: BeamSearch.normalizedScore(logProbability: beam.logProbability, length: length, alpha: lengthNormalization),
                                     finished: done, attention: beam.attention)
        }
        for t in 0...maximumLength {
            let result = try step(previous, parents)
            let vocabulary = result.logProbabilities.shape[1]
            let rows = result.attention?.rows
            // Candidates (beam, token, total log-probability): the best `width` of each beam suffice.
            var candidates: [(beam: Int, token: Int, total: Float)] = []
            result.logProbabilities.scalars.withUnsafeBufferPointer { p in
                for b in beams.indices {
                    let row = p.baseAddress! + b * vocabulary
                    var best: [(Int, Float)] = []
                    for v in 0..<vocabulary {
                        // At the last step only the end token may follow.
                        if t == maximumLength && v != endToken { continue }
                        let value = row[v]
                        if best.count < width {
                            best.append((v, value))
                            best.sort { $0.1 > $1.1 }
                        } else if value > best[width - 1].1 {
                            best[width - 1] = (v, value)
                            best.sort { $0.1 > $1.1 }
                        }
                    }
                    for (v, value) in best { candidates.append((b, v, beams[b].logProbability + value)) }
                }
            }
            candidates.sort { $0.total > $1.total || ($0.total == $1.total && ($0.beam, $0.token) < ($1.beam, $1.token)) }
            var next: [Beam] = []
            var nextPrevious: [Int] = [], nextParents: [Int] = []
            // The best `width − finished` candidates: those ending finish, the others continue (the beam
            // narrows as outputs finish).
            for candidate in candidates.prefix(width - finished.count) {
                var beam = beams[candidate.beam]
                beam.logProbability = candidate.total
                if let rows { beam.attention.append(rows[candidate.beam]) }
                if candidate.token == endToken {
                    var done = hypothesis(beam, finished: true)
                    done.finished = t < maximumLength
                    finished.append(done)
                } else {
                    beam.tokens.append(candidate.token)
                    next.append(beam)
                    nextPrevious.append(candidate.token)
                    nextParents.append(candidate.beam)
                }
            }
            if finished.count >= width || next.isEmpty { break }
            beams = next
            previous = nextPrevious
            parents = nextParents
        }
        return Array(finished.sorted { $0.score > $1.score }.prefix(width))
    }
}

extension Seq2Seq {
    /// Greedy decoding of a batch: at each step every unfinished sequence takes its most likely token.
    ///
    /// - Parameters:
    ///   - sources: source id sequences.
    ///   - maximumLength: the most output tokens per sequence (the end token not counted).
    /// - Returns: one hypothesis per source (score = total log-probability).
    /// - Throws: `Seq2SeqError.input` for a `maximumLength` outside `1...Limits.maximumSequenceLength` or a bad source.
    public func greedyDecode(_ sources: [[Int]], maximumLength: Int) throws -> [Seq2SeqHypothesis] {
        try Seq2SeqError.checkingInput { () throws(ValidationFailure) in try Check.count(maximumLength, "maximumLength", in: 1...Limits.maximumSequenceLength) }
        return try withoutGradients {
            let wasTraining = isTraining
            isTraining = false
            defer { isTraining = wasTraining }
            let encoded = try encode(sources)
            let batch = sources.count, end = configuration.endID
            var state = initialDecoderState(encoded)
            var previous = [Int](repeating: configuration.startID, count: batch)
            var ended = [Bool](repeating: false, count: batch)
            var results = (0..<batch).map { _ in Seq2SeqHypothesis(tokens: [], logProbability: 0, score: 0, finished: false, attention: []) }
            for t in 0...maximumLength {
                let step = try decodeStep(previous, state: state, source: encoded)
                state = step.state
                let logProbabilities = step.logits.logSoftmax(alongAxis: 1)
                let vocabulary = logProbabilities.shape[1]
                let rows = step.attention?.rows
                var allDone = true
                for b in 0..<batch where !ended[b] {
                    var best = 0, bestValue = -Float.infinity
                    for v in 0..<vocabulary {
                        if t == maximumLength && v != end { continue }
                        let value = logProbabilities.scalars[b * vocabulary + v]
                        if value > bestValue { (best, bestValue) = (v, value) }
                    }
                    results[b].logProbability += bestValue
                    if let rows { results[b].attention.append(rows[b]) }
                    if best == end {
                        results[b].finished = t < maximumLength
                        ended[b] = true
                    } else {
                        results[b].tokens.append(best)
                        allDone = false
                    }
                    previous[b] = best
                }
                if allDone { break }
            }
            for b in 0..<batch { results[b].score = results[b].logProbability }
            return results
        }
    }

    /// Beam search for one source sequence.
    ///
    /// - Parameters:
    ///   - source: source ids.
    ///   - width: beams kept (1 = greedy).
    ///   - maximumLength: the most output tokens (the end token not counted).
    ///   - lengthNormalization: `α` of `logP / length^α`.
    /// - Returns: up to `width` hypotheses, best first.
    /// - Throws: `Seq2SeqError.input` for a width outside `1...Limits.maximumBeamWidth`, a `maximumLength`
    ///   outside `1...Limits.maximumSequenceLength`, or a bad source.
    public func beamSearch(_ source: [Int], width: Int, maximumLength: Int, lengthNormalization: Float = 0) throws -> [Seq2SeqHypothesis] {
        try Seq2SeqError.checkingInput { () throws(ValidationFailure) in
            try Check.count(width, "beam width", in: 1...Limits.maximumBeamWidth)
            try Check.count(maximumLength, "maximumLength", in: 1...Limits.maximumSequenceLength)
            try Check.number(lengthNormalization, "lengthNormalization", in: 0...10)
        }
        return try withoutGradients {
            let wasTraining = isTraining
            isTraining = false
            defer { isTraining = wasTraining }
            let encoded = try encode([source])
            var state = initialDecoderState(encoded)
            var rows = encoded
            let search = BeamSearch(width: width, maximumLength: maximumLength, lengthNormalization: lengthNormalization,
                                    endToken: configuration.endID)
            return try search.search(startToken: configuration.startID) { tokens, parents in
                if parents.count != rows.batchSize { rows = encoded.selecting([Int](repeating: 0, count: parents.count)) }
                state = state.selecting(parents)
                let step = try decodeStep(tokens, state: state, source: rows)
                state = step.state
                return BeamSearch.Step(logProbabilities: step.logits.logSoftmax(alongAxis: 1), attention: step.attention)
            }
        }
    }
}
