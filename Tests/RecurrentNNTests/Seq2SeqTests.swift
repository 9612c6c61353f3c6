import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

typealias Context = Seq2SeqConfiguration.Context
typealias Feed = Seq2SeqConfiguration.Feed

/// A tiny model: 6 source ids, 7 target ids (start 1, end 2), widths of 2–4, dropout off.
func tinySeq2Seq(_ context: Context, _ feed: Feed, encoder: Seq2SeqConfiguration.CellKind = .lstm,
                 decoder: Seq2SeqConfiguration.CellKind = .lstm, bidirectional: Bool = true, encoderLayers: Int = 1,
                 decoderLayers: Int = 1, score: Seq2SeqConfiguration.Score = .general, decoderHidden: Int = 4,
                 seed: UInt64 = 3) throws -> Seq2Seq {
    let configuration = Seq2SeqConfiguration(
        sourceVocabularySize: 6, targetVocabularySize: 7, sourceEmbeddingSize: 3, targetEmbeddingSize: 3,
        encoderCell: encoder, encoderHiddenSize: 2, encoderLayers: encoderLayers, bidirectional: bidirectional,
        decoderCell: decoder, decoderHiddenSize: decoderHidden, decoderLayers: decoderLayers, context: context, feed: feed,
        attentionScore: score, dropout: 0, startID: 1, endID: 2)
    let model = try Seq2Seq(configuration: configuration, seed: seed)
    model.isTraining = false
    return model
}

let tinySources = [[3, 4, 5], [2, 5], [4, 3, 3, 5]]
let tinyTargets = [[3, 4], [5], [6, 3, 4]]

/// Every context × feed with a bidirectional LSTM encoder and an LSTM decoder.
let allModes: [(Context, Feed)] = [Context.lastHidden, .transformed, .attention].flatMap { c in
    [Feed.initialState, .everyStep, .both].map { (c, $0) }
}

/// Other encoder / decoder shapes: bridging of layers, directions and cell kinds.
let bridgeCases: [(String, () throws -> Seq2Seq)] = [
    ("GRU 2×bi → GRU 2 layers, lastHidden both", { try tinySeq2Seq(.lastHidden, .both, encoder: .gru, decoder: .gru, encoderLayers: 2, decoderLayers: 2) }),
    ("LSTM 2×bi → LSTM 1 layer, attention additive", { try tinySeq2Seq(.attention, .both, encoderLayers: 2, score: .additive) }),
    ("RNN uni → LSTM 2 layers, transformed", { try tinySeq2Seq(.transformed, .both, encoder: .rnn, bidirectional: false, decoderLayers: 2, decoderHidden: 3) }),
    ("GRU bi → RNN, attention dot", { try tinySeq2Seq(.attention, .initialState, encoder: .gru, decoder: .rnn, score: .dot) }),
    ("LSTM bi → GRU (bridged), attention scaledDot", { try tinySeq2Seq(.attention, .both, decoder: .gru, score: .scaledDot) }),
    ("LSTM bi → LSTM 6 units, attention with linear+tanh bridge", { try tinySeq2Seq(.attention, .both, decoderHidden: 5) }),
]

/// Finite differences of the teacher-forced logits with respect to every parameter.
func expectSeq2SeqGradientsMatch(_ model: Seq2Seq, sourceLocation: SourceLocation = #_sourceLocation) {
    let parameters = model.parameters
    let mismatches = GradientCheck.mismatches(parameters.map(\.value), tolerance: 5e-3) { values in
        for (p, v) in zip(parameters, values) { p.value = v }
        return try! model.logits(model.encode(tinySources), targets: tinyTargets)
    }
    #expect(mismatches.isEmpty, "mismatches: \(mismatches.prefix(4))", sourceLocation: sourceLocation)
}

/// The decoder run one step at a time by hand, reading the true previous tokens.
func steppedLogits(_ model: Seq2Seq, _ sources: [[Int]], _ targets: [[Int]]) throws -> Tensor {
    let encoded = try model.encode(sources)
    var state = model.initialDecoderState(encoded)
    let steps = targets.map(\.count).max()! + 1
    var all: [Tensor] = []
    for t in 0..<steps {
        let tokens = targets.map { t == 0 ? model.configuration.startID : (t - 1 < $0.count ? $0[t - 1] : model.configuration.endID) }
        let step = try model.decodeStep(tokens, state: state, source: encoded)
        state = step.state
        all.append(step.logits)
    }
    return Tensor.stack(all, axis: 1)
}

@Suite("Seq2Seq")
struct Seq2SeqTests {
    @Test("gradients match finite differences in every context mode and decoder feed", arguments: allModes.indices)
    func gradientsEveryMode(_ index: Int) throws {
        let (context, feed) = allModes[index]
        expectSeq2SeqGradientsMatch(try tinySeq2Seq(context, feed))
    }

    @Test("gradients match finite differences across bridged shapes", arguments: bridgeCases.indices)
    func gradientsBridges(_ index: Int) throws {
        expectSeq2SeqGradientsMatch(try bridgeCases[index].1())
    }

    @Test("gradients flow with teacher forcing below 1 (step path)")
    func gradientsSteppedTeacherForcing() throws {
        let model = try tinySeq2Seq(.transformed, .both)
        let parameters = model.parameters
        let mismatches = GradientCheck.mismatches(parameters.map(\.value), tolerance: 5e-3) { values in
            for (p, v) in zip(parameters, values) { p.value = v }
            model.generator = Xoshiro256StarStar(seed: 5)  // the same coin flips in every evaluation
            return try! model.logits(model.encode(tinySources), targets: tinyTargets, teacherForcingRatio: 0.5)
        }
        #expect(mismatches.isEmpty, "mismatches: \(mismatches.prefix(4))")
    }

    @Test("whole-sequence decoding equals step-by-step decoding", arguments: allModes.indices)
    func wholeEqualsStepped(_ index: Int) throws {
        let (context, feed) = allModes[index]
        let model = try tinySeq2Seq(context, feed)
        let whole = try model.logits(model.encode(tinySources), targets: tinyTargets)
        let stepped = try steppedLogits(model, tinySources, tinyTargets)
        #expect(whole.shape == [3, 4, 7])
        #expect(whole.isApproximatelyEqual(to: stepped, relativeTolerance: 1e-4, absoluteTolerance: 1e-5))
    }

    @Test("padding in a batch does not change any sequence's logits", arguments: allModes.indices)
    func paddingInvariance(_ index: Int) throws {
        let (context, feed) = allModes[index]
        let model = try tinySeq2Seq(context, feed)
        let batched = try model.logits(model.encode(tinySources), targets: tinyTargets)
        for (b, (source, target)) in zip(tinySources, tinyTargets).enumerated() {
            let alone = try model.logits(model.encode([source]), targets: [target])
            let slice = batched.narrowed(axis: 0, start: b, length: 1).narrowed(axis: 1, start: 0, length: target.count + 1)
            #expect(slice.isApproximatelyEqual(to: alone, relativeTolerance: 1e-4, absoluteTolerance: 1e-5), "sequence \(b)")
        }
        // Greedy decoding too.
        let together = try model.greedyDecode(tinySources, maximumLength: 6)
        for (b, source) in tinySources.enumerated() {
            let alone = try model.greedyDecode([source], maximumLength: 6)[0]
            #expect(alone.tokens == together[b].tokens)
            #expect(abs(alone.logProbability - together[b].logProbability) < 1e-4)
        }
    }

    @Test("teacher forcing ratio 1 reads the targets; ratio 0 reads its own argmax like greedy decoding")
    func teacherForcingRatios() throws {
        for (context, feed) in allModes {
            let model = try tinySeq2Seq(context, feed)
            let encoded = try model.encode(tinySources)
            let forced = try model.logits(encoded, targets: tinyTargets, teacherForcingRatio: 1)
            #expect(forced.isApproximatelyEqual(to: try steppedLogits(model, tinySources, tinyTargets), relativeTolerance: 1e-4, absoluteTolerance: 1e-5))
            let free = try model.logits(encoded, targets: tinyTargets, teacherForcingRatio: 0)
            let predicted = free.argmax(alongAxis: 2)  // [batch, steps]
            let steps = free.shape[1]
            let greedy = try model.greedyDecode(tinySources, maximumLength: steps)
            for b in 0..<tinySources.count {
                let own = Array(predicted.scalars[(b * steps)..<((b + 1) * steps)])
                let expected = greedy[b].tokens + (greedy[b].finished ? [model.configuration.endID] : [])
                let n = min(own.count, expected.count)
                #expect(Array(own.prefix(n)) == Array(expected.prefix(n)), "\(context) \(feed) sequence \(b)")
            }
        }
    }

    @Test("beam search with width 1 equals greedy decoding", arguments: allModes.indices)
    func beamWidthOneIsGreedy(_ index: Int) throws {
        let (context, feed) = allModes[index]
        for seed in [UInt64(1), 2, 3] {
            let model = try tinySeq2Seq(context, feed, seed: seed)
            let greedy = try model.greedyDecode(tinySources, maximumLength: 8)
            for (b, source) in tinySources.enumerated() {
                let beam = try model.beamSearch(source, width: 1, maximumLength: 8)
                #expect(beam.count == 1)
                #expect(beam[0].tokens == greedy[b].tokens)
                #expect(beam[0].finished == greedy[b].finished)
                #expect(abs(beam[0].logProbability - greedy[b].logProbability) < 1e-4)
                if context == .attention {
                    #expect(beam[0].attention.count == greedy[b].attention.count)
                    #expect(beam[0].attention.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-4 && $0.count == source.count })
                }
            }
        }
    }

    @Test("wider beams never score worse than width 1 on tiny models")
    func widerBeamsScoreAtLeastAsWell() throws {
        for seed in [UInt64(1), 2, 3, 4] {
            let model = try tinySeq2Seq(.attention, .both, seed: seed)
            for source in tinySources {
                let one = try model.beamSearch(source, width: 1, maximumLength: 8)[0]
                let five = try model.beamSearch(source, width: 5, maximumLength: 8)
                #expect(five.count <= 5 && !five.isEmpty)
                #expect(five[0].score >= one.score - 1e-5)
                #expect(zip(five, five.dropFirst()).allSatisfy { $0.score >= $1.score })
            }
        }
    }

    @Test("a configuration that cannot bridge is an error, not a crash")
    func configurationErrors() {
        #expect(throws: Seq2SeqError.self) { try tinySeq2Seq(.lastHidden, .initialState, decoderHidden: 5) }
        #expect(throws: Seq2SeqError.self) { try tinySeq2Seq(.attention, .both, score: .dot, decoderHidden: 5) }
        #expect(throws: Seq2SeqError.self) { try tinySeq2Seq(.attention, .both).encode([[]]) }
        #expect(throws: Seq2SeqError.self) { try tinySeq2Seq(.attention, .both).encode([[9]]) }
    }

    @Test("state-dict keys follow the PyTorch naming")
    func keys() throws {
        let keys = try tinySeq2Seq(.attention, .both, decoderHidden: 5).namedParameters.map(\.key)
        #expect(keys.contains("encoder.embedding.weight") && keys.contains("encoder.rnn.weight_ih_l0_reverse"))
        #expect(keys.contains("bridge.weight") && keys.contains("decoder.attention.weight") && keys.contains("decoder.combine.weight"))
        #expect(keys.contains("decoder.rnn.weight_hh_l0") && keys.contains("decoder.output.bias"))
    }
}
