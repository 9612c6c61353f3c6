import RecurrentCore

/// What the encoder hands to the decoder for a batch of source sequences.
public struct EncodedSource {
    /// Encoder outputs, batch-first: `[batch, sourceLength, directions × encoderHiddenSize]` (zero past each
    /// length); the keys and values of attention.
    public var outputs: Tensor
    /// Each source's length.
    public var lengths: [Int]
    /// The fixed context (`.lastHidden`, `.transformed`): `[batch, contextSize]`; nil for `.attention`.
    public var fixedContext: Tensor?
    /// The decoder's initial state: hidden (and cell for an LSTM) `[decoderLayers, batch, decoderHiddenSize]`.
    public var initialState: RecurrentState

    /// The number of sequences.
    public var batchSize: Int { lengths.count }

    /// The same encoding for the sequences at `indices` (repeats allowed), e.g. one source copied per beam.
    public func selecting(_ indices: [Int]) -> EncodedSource {
        EncodedSource(outputs: outputs.indexSelected(axis: 0, indices: indices), lengths: indices.map { lengths[$0] },
                      fixedContext: fixedContext?.indexSelected(axis: 0, indices: indices),
                      initialState: initialState.selectingBatch(indices))
    }
}

/// The decoder's state between steps.
public struct Seq2SeqDecoderState {
    /// The recurrent state: hidden (and cell) `[decoderLayers, batch, decoderHiddenSize]`.
    public var recurrent: RecurrentState
    /// `.attention` with input feeding: the previous attentional vector `h̃_{t−1}` `[batch, decoderHiddenSize]`.
    public var attentional: Tensor?

    /// The state of the sequences at `indices` (beam search reorders states this way).
    public func selecting(_ indices: [Int]) -> Seq2SeqDecoderState {
        Seq2SeqDecoderState(recurrent: recurrent.selectingBatch(indices),
                            attentional: attentional?.indexSelected(axis: 0, indices: indices))
    }
}

/// One decoder step's results.
public struct Seq2SeqStep {
    /// Unnormalized scores of the next token: `[batch, targetVocabularySize]`.
    public var logits: Tensor
    /// The state after the step.
    public var state: Seq2SeqDecoderState
    /// `.attention`: the weights over source positions `[batch, sourceLength]`; nil otherwise.
    public var attention: Tensor?
}

extension RecurrentState {
    /// The state of the batch entries at `indices` (axis 1 of `[layers, batch, hidden]`).
    func selectingBatch(_ indices: [Int]) -> RecurrentState {
        RecurrentState(hidden: hidden.indexSelected(axis: 1, indices: indices),
                       cell: cell?.indexSelected(axis: 1, indices: indices))
    }
}

/// A recurrent encoder–decoder (sequence to sequence), configured by `Seq2SeqConfiguration`: an embedding
/// and an RNN / LSTM / GRU encoder (layers, bidirectional, lengths), a bridge, a decoder that receives the
/// encoder's context as its initial state, as an input at every step, or both, and an output layer.
///
/// State-dict keys: `encoder.embedding.weight` `[Vs, Es]`, `encoder.rnn.*` (PyTorch RNN keys),
/// `bridge.weight` `[Hd, D·He]`, `bridge.bias` `[Hd]`, `decoder.embedding.weight` `[Vt, Et]`, `decoder.rnn.*`,
/// `decoder.attention.*` (see `Attention`), `decoder.combine.weight` `[Hd, D·He + Hd]` (`W_c`),
/// `decoder.output.weight` `[Vt, Hd']`, `decoder.output.bias` `[Vt]`, where `Hd'` is the width of what
/// predicts a token (`Hd`, the attentional vector for `.attention`).
///
/// Decoder inputs are `startID` followed by the target; the targets are the target followed by `endID`.
public final class Seq2Seq: Module {
    /// The shape of the model.
    public let configuration: Seq2SeqConfiguration
    /// `[Vs, Es]`.
    public let sourceEmbedding: Parameter
    /// The encoder.
    public let encoder: RecurrentNetwork
    /// `[Vt, Et]`.
    public let targetEmbedding: Parameter
    /// The decoder (run one step at a time, or over a whole teacher-forced sequence when the feed allows).
    public let decoder: RecurrentNetwork
    /// Linear + tanh from a bridged encoder state to a decoder state: `[Hd, D·He]` and `[Hd]`.
    public let bridgeWeight: Parameter?, bridgeBias: Parameter?
    /// `.attention`: the attention layer (query: decoder state; keys and values: encoder outputs).
    public let attention: Attention?
    /// `.attention`: `W_c` `[Hd, D·He + Hd]` of `h̃ = tanh(W_c·[a; h])`.
    public let combineWeight: Parameter?
    /// `[Vt, Hd]` and `[Vt]`.
    public let outputWeight: Parameter, outputBias: Parameter
    /// Whether dropout is active (true by default).
    public var isTraining = true {
        didSet {
            encoder.isTraining = isTraining
            decoder.isTraining = isTraining
        }
    }
    /// The generator for dropout masks and teacher-forcing coin flips.
    public var generator: Xoshiro256StarStar

    /// Makes a model with PyTorch's default initializations (embeddings N(0, 1); recurrent layers and
    /// linear layers U(−1/√fan-in, 1/√fan-in)).
    ///
    /// - Throws: `Seq2SeqError.configuration` for an inconsistent configuration.
    public init(configuration c: Seq2SeqConfiguration, seed: UInt64 = 0) throws {
        try c.validate()
        configuration = c
        var rng = Xoshiro256StarStar(seed: seed)
        func uniform(_ shape: [Int], fanIn: Int) -> Parameter {
            let bound = 1 / Float(fanIn).squareRoot()
            return Parameter(Tensor.uniform(shape, low: -bound, high: bound, using: &rng))
        }
        sourceEmbedding = Parameter(Tensor.normal([c.sourceVocabularySize, c.sourceEmbeddingSize], using: &rng))
        targetEmbedding = Parameter(Tensor.normal([c.targetVocabularySize, c.targetEmbeddingSize], using: &rng))
        encoder = RecurrentNetwork(kind: c.encoderCell.recurrence, inputSize: c.sourceEmbeddingSize,
                                   hiddenSize: c.encoderHiddenSize, layerCount: c.encoderLayers,
                                   dropout: c.encoderLayers > 1 ? c.dropout : 0, bidirectional: c.bidirectional,
                                   seed: seed &+ 1)
        let decoderInput = c.targetEmbeddingSize + (c.feed.feedsEveryStep ? c.contextSize : 0)
        decoder = RecurrentNetwork(kind: c.decoderCell.recurrence, inputSize: decoderInput, hiddenSize: c.decoderHiddenSize,
                                   layerCount: c.decoderLayers, dropout: c.decoderLayers > 1 ? c.dropout : 0, seed: seed &+ 2)
        if c.hasBridge {
            bridgeWeight = uniform([c.decoderHiddenSize, c.encoderStateSize], fanIn: c.encoderStateSize)
            bridgeBias = uniform([c.decoderHiddenSize], fanIn: c.encoderStateSize)
        } else {
            (bridgeWeight, bridgeBias) = (nil, nil)
        }
        if c.context == .attention {
            let score: Attention.Score
            switch c.attentionScore {
            case .dot: score = .dot
            case .general: score = .general
            case .additive: score = .additive(hiddenSize: c.decoderHiddenSize)
            case .scaledDot: score = .scaledDot
            }
            attention = Attention(score: score, queryDimension: c.decoderHiddenSize, keyDimension: c.encoderStateSize,
                                  seed: seed &+ 3)
            combineWeight = uniform([c.decoderHiddenSize, c.encoderStateSize + c.decoderHiddenSize],
                                    fanIn: c.encoderStateSize + c.decoderHiddenSize)
        } else {
            (attention, combineWeight) = (nil, nil)
        }
        outputWeight = uniform([c.targetVocabularySize, c.decoderHiddenSize], fanIn: c.decoderHiddenSize)
        outputBias = uniform([c.targetVocabularySize], fanIn: c.decoderHiddenSize)
        generator = Xoshiro256StarStar(seed: seed &+ 0xD20)
    }

    /// See the type's documentation for the keys.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        var result: [(key: String, parameter: Parameter)] = [("encoder.embedding.weight", sourceEmbedding)]
        result += prefixed("encoder.rnn", encoder)
        if let bridgeWeight, let bridgeBias { result += [("bridge.weight", bridgeWeight), ("bridge.bias", bridgeBias)] }
        result.append(("decoder.embedding.weight", targetEmbedding))
        result += prefixed("decoder.rnn", decoder)
        if let attention { result += prefixed("decoder.attention", attention) }
        if let combineWeight { result.append(("decoder.combine.weight", combineWeight)) }
        result += [("decoder.output.weight", outputWeight), ("decoder.output.bias", outputBias)]
        return result
    }

    private func dropped(_ x: Tensor) -> Tensor {
        guard isTraining && configuration.dropout > 0 else { return x }
        return x.dropout(probability: configuration.dropout, training: true, using: &generator)
    }

    // MARK: Encoder and bridge

    /// Runs the encoder over a batch of source sequences (any order of lengths; padding is internal).
    ///
    /// - Parameter sources: `batch` sequences of source ids, each non-empty.
    /// - Returns: the outputs, the fixed context and the decoder's initial state.
    /// - Throws: `Seq2SeqError.input` for an empty batch, an empty sequence or an id out of range.
    public func encode(_ sources: [[Int]]) throws -> EncodedSource {
        let c = configuration
        guard !sources.isEmpty else { throw Seq2SeqError.input("no source sequences") }
        for (i, source) in sources.enumerated() {
            guard !source.isEmpty else { throw Seq2SeqError.input("source \(i) is empty") }
            if let bad = source.first(where: { $0 < 0 || $0 >= c.sourceVocabularySize }) {
                throw Seq2SeqError.input("source \(i) has id \(bad) outside 0..<\(c.sourceVocabularySize)")
            }
        }
        let batch = sources.count, lengths = sources.map(\.count), steps = lengths.max()!
        var ids = [Int](repeating: 0, count: steps * batch)  // time-major [steps, batch], padded with id 0
        for (b, source) in sources.enumerated() { for (t, id) in source.enumerated() { ids[t * batch + b] = id } }
        let embedded = dropped(Tensor.embedding(sourceEmbedding.value, ids: IntTensor(shape: [steps, batch], scalars: ids)))
        let result = try encoder(embedded, lengths: lengths.allSatisfy { $0 == steps } ? nil : lengths)
        let outputs = result.output.permuted([1, 0, 2])
        // Bridged encoder states: per encoder layer, both directions concatenated: [batch, D·He].
        let D = c.bidirectional ? 2 : 1
        func bridged(_ states: Tensor, layer: Int) -> Tensor {
            D == 1 ? states.selecting(axis: 0, index: layer)
                : Tensor.concatenate([states.selecting(axis: 0, index: 2 * layer), states.selecting(axis: 0, index: 2 * layer + 1)], axis: 1)
        }
        let sourceLayer: (Int) -> Int = { c.encoderLayers == c.decoderLayers ? $0 : c.encoderLayers - 1 }
        let hiddens = (0..<c.decoderLayers).map { bridged(result.hidden, layer: sourceLayer($0)) }
        let cells: [Tensor]? = c.encoderCell == .lstm && c.decoderCell == .lstm
            ? (0..<c.decoderLayers).map { bridged(result.cell!, layer: sourceLayer($0)) } : nil
        let top = bridged(result.hidden, layer: c.encoderLayers - 1)
        func transform(_ x: Tensor) -> Tensor { x.linear(weight: bridgeWeight!.value, bias: bridgeBias!.value).tanh() }

        let zeros = Tensor.zeros([c.decoderLayers, batch, c.decoderHiddenSize])
        var initial = RecurrentState(hidden: zeros, cell: c.decoderCell == .lstm ? zeros : nil)
        var fixedContext: Tensor? = nil
        switch c.context {
        case .lastHidden:
            fixedContext = top
            if c.feed.setsInitialState {
                initial.hidden = Tensor.stack(hiddens, axis: 0)
                if let cells { initial.cell = Tensor.stack(cells, axis: 0) }
            }
        case .transformed:
            fixedContext = transform(top)
            if c.feed.setsInitialState {
                initial.hidden = c.decoderLayers == 1 ? fixedContext!.unsqueezed(at: 0) : Tensor.stack(hiddens.map(transform), axis: 0)
            }
        case .attention:
            if c.feed.setsInitialState {
                if c.hasBridge {
                    initial.hidden = Tensor.stack(hiddens.map(transform), axis: 0)
                } else {
                    initial.hidden = Tensor.stack(hiddens, axis: 0)
                    if let cells { initial.cell = Tensor.stack(cells, axis: 0) }
                }
            }
        }
        return EncodedSource(outputs: outputs, lengths: lengths, fixedContext: fixedContext, initialState: initial)
    }

    // MARK: Decoder

    /// The decoder's state before the first step.
    public func initialDecoderState(_ source: EncodedSource) -> Seq2SeqDecoderState {
        let c = configuration
        let attentional = c.context == .attention && c.feed.feedsEveryStep
            ? Tensor.zeros([source.batchSize, c.decoderHiddenSize]) : nil
        return Seq2SeqDecoderState(recurrent: source.initialState, attentional: attentional)
    }

    /// One decoder step for every sequence of the batch.
    ///
    /// - Parameters:
    ///   - tokens: `[batch]` the previous target tokens (`startID` at the first step).
    ///   - state: the state from `initialDecoderState` or the previous step.
    ///   - source: the encoding (same batch order).
    /// - Returns: logits `[batch, Vt]`, the next state and (attention) the weights `[batch, sourceLength]`.
    public func decodeStep(_ tokens: [Int], state: Seq2SeqDecoderState, source: EncodedSource) throws -> Seq2SeqStep {
        let c = configuration
        let batch = tokens.count
        guard batch == source.batchSize else {
            throw Seq2SeqError.input("\(batch) tokens for a batch of \(source.batchSize) sources")
        }
        if let bad = tokens.first(where: { $0 < 0 || $0 >= c.targetVocabularySize }) {
            throw Seq2SeqError.input("target id \(bad) outside 0..<\(c.targetVocabularySize)")
        }
        var input = dropped(Tensor.embedding(targetEmbedding.value, ids: IntTensor(shape: [batch], scalars: tokens)))
        if c.feed.feedsEveryStep {
            input = Tensor.concatenate([input, state.attentional ?? source.fixedContext!], axis: 1)
        }
        let result = try decoder(input.unsqueezed(at: 0), initialState: state.recurrent)
        let h = result.output.squeezed(at: 0)
        var next = Seq2SeqDecoderState(recurrent: result.state, attentional: nil)
        guard let attention else {
            return Seq2SeqStep(logits: dropped(h).linear(weight: outputWeight.value, bias: outputBias.value), state: next, attention: nil)
        }
        let read = try attention(decoderState: h, encoderStates: source.outputs, mask: .lengths(source.lengths))
        let attentional = Tensor.concatenate([read.context, h], axis: 1).linear(weight: combineWeight!.value).tanh()
        if c.feed.feedsEveryStep { next.attentional = attentional }
        return Seq2SeqStep(logits: dropped(attentional).linear(weight: outputWeight.value, bias: outputBias.value),
                           state: next, attention: read.weights)
    }

    /// Whether a teacher-forced pass can run the decoder over the whole sequence at once (one fused node
    /// per layer) rather than step by step: always, except attention with input feeding.
    public var decodesWholeSequences: Bool {
        !(configuration.context == .attention && configuration.feed.feedsEveryStep)
    }

    /// The decoder's logits for every target position, teacher-forced: the decoder reads `startID` and
    /// then the target tokens (or, with probability `1 − teacherForcingRatio` per step and sequence, its
    /// own previous argmax).
    ///
    /// - Parameters:
    ///   - source: from `encode`.
    ///   - targets: `batch` target sequences without start and end tokens (may be empty).
    ///   - teacherForcingRatio: the probability of reading the true previous token; 1 = always.
    /// - Returns: `[batch, maxLength + 1, Vt]`: position `t` predicts target `t` (and the last one of each
    ///   sequence `endID`); positions past a sequence's `length + 1` are padding (use `targetIDs`'s ignore index).
    public func logits(_ source: EncodedSource, targets: [[Int]], teacherForcingRatio: Float = 1) throws -> Tensor {
        let c = configuration
        let batch = targets.count
        guard batch == source.batchSize else {
            throw Seq2SeqError.input("\(batch) targets for \(source.batchSize) sources")
        }
        for (i, target) in targets.enumerated() {
            if let bad = target.first(where: { $0 < 0 || $0 >= c.targetVocabularySize }) {
                throw Seq2SeqError.input("target \(i) has id \(bad) outside 0..<\(c.targetVocabularySize)")
            }
        }
        let steps = (targets.map(\.count).max() ?? 0) + 1
        // Decoder inputs, time-major [steps, batch]: start, then the target, padded with the end token.
        var inputs = [Int](repeating: c.endID, count: steps * batch)
        for b in 0..<batch {
            inputs[b] = c.startID
            for (t, id) in targets[b].enumerated() { inputs[(t + 1) * batch + b] = id }
        }
        if teacherForcingRatio >= 1 && decodesWholeSequences {
            var x = dropped(Tensor.embedding(targetEmbedding.value, ids: IntTensor(shape: [steps, batch], scalars: inputs)))
            if c.feed.feedsEveryStep {
                let context = source.fixedContext!.unsqueezed(at: 0).broadcast(to: [steps, batch, c.contextSize])
                x = Tensor.concatenate([x, context], axis: 2)
            }
            let h = try decoder(x, initialState: source.initialState).output.permuted([1, 0, 2])  // [batch, steps, Hd]
            guard let attention else { return dropped(h).linear(weight: outputWeight.value, bias: outputBias.value) }
            let read = try attention(decoderState: h, encoderStates: source.outputs, mask: .lengths(source.lengths))
            let attentional = Tensor.concatenate([read.context, h], axis: 2).linear(weight: combineWeight!.value).tanh()
            return dropped(attentional).linear(weight: outputWeight.value, bias: outputBias.value)
        }
        var state = initialDecoderState(source)
        var previous = Array(inputs[0..<batch])
        var all: [Tensor] = []
        for t in 0..<steps {
            if t > 0 {
                previous = Array(inputs[(t * batch)..<((t + 1) * batch)])
                if teacherForcingRatio < 1 {
                    let predicted = all[t - 1].argmax(alongAxis: 1).scalars
                    for b in 0..<batch where generator.nextFloat() >= teacherForcingRatio { previous[b] = predicted[b] }
                }
            }
            let step = try decodeStep(previous, state: state, source: source)
            all.append(step.logits)
            state = step.state
        }
        return Tensor.stack(all, axis: 1)
    }

    /// The targets that go with `logits(_:targets:)`: `[batch, maxLength + 1]`, each target followed by
    /// `endID`, padded with `ignoreIndex`.
    public func targetIDs(_ targets: [[Int]], ignoreIndex: Int = -100) -> IntTensor {
        let steps = (targets.map(\.count).max() ?? 0) + 1
        var ids = [Int](repeating: ignoreIndex, count: targets.count * steps)
        for (b, target) in targets.enumerated() {
            for (t, id) in target.enumerated() { ids[b * steps + t] = id }
            ids[b * steps + target.count] = configuration.endID
        }
        return IntTensor(shape: [targets.count, steps], scalars: ids)
    }

    /// The mean cross-entropy of a teacher-forced pass (padding ignored).
    ///
    /// - Parameters:
    ///   - sources: source id sequences.
    ///   - targets: target id sequences (without start / end tokens), one per source.
    ///   - teacherForcingRatio: see `logits(_:targets:teacherForcingRatio:)`.
    ///   - labelSmoothing: `ε` of `crossEntropy`.
    /// - Returns: a scalar.
    public func loss(sources: [[Int]], targets: [[Int]], teacherForcingRatio: Float = 1, labelSmoothing: Float = 0) throws -> Tensor {
        let encoded = try encode(sources)
        let scores = try logits(encoded, targets: targets, teacherForcingRatio: teacherForcingRatio)
        return try crossEntropy(logits: scores, targets: targetIDs(targets), labelSmoothing: labelSmoothing)
    }
}
