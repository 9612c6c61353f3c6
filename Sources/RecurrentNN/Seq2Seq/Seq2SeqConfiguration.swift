import RecurrentCore
import RecurrentData

/// The shape of a `Seq2Seq` encoder–decoder: sizes, cells, and how the encoder's context reaches the decoder.
///
/// Stored as JSON next to a model's weights (`Codable`), so a saved model can be rebuilt exactly.
public struct Seq2SeqConfiguration: Codable, Equatable, Sendable {
    /// The recurrence of the encoder or the decoder.
    public enum CellKind: String, Codable, Sendable {
        case rnn, lstm, gru

        /// The fused recurrence.
        public var recurrence: RecurrenceKind {
            switch self {
            case .rnn: return .rnnTanh
            case .lstm: return .lstm
            case .gru: return .gru
            }
        }
    }

    /// What the decoder receives from the encoder.
    public enum Context: String, Codable, Sendable {
        /// The encoder's last hidden state (both directions of a layer concatenated): `c = [h→_L; h←_1]`,
        /// `[batch, directions × encoderHiddenSize]`; fixed for the whole output.
        case lastHidden
        /// A linear + tanh transform of the encoder's last hidden state: `c = tanh(W·[h→_L; h←_1] + b)`,
        /// `[batch, decoderHiddenSize]` (Bahdanau et al.'s initial state); fixed for the whole output.
        case transformed
        /// All encoder outputs through attention (Luong): after each decoder step `h_t`,
        /// `a_t = attend(h_t, encoder outputs)` and the attentional vector `h̃_t = tanh(W_c·[a_t; h_t])`
        /// `[batch, decoderHiddenSize]` predicts the next token; the context changes at every step.
        case attention
    }

    /// Where the context enters the decoder.
    public enum Feed: String, Codable, Sendable {
        /// As the decoder's initial state (every decoder layer). For `.attention`, the initial state is the
        /// bridged last encoder state (identity when `directions × encoderHiddenSize == decoderHiddenSize`,
        /// else linear + tanh).
        case initialState
        /// As an extra input at every step, concatenated to the previous token's embedding. For
        /// `.attention` this is input feeding: the previous step's attentional vector `h̃_{t−1}` (zeros at
        /// the first step). The initial state is then zeros.
        case everyStep
        /// Both of the above.
        case both

        /// Whether the context sets the decoder's initial state.
        public var setsInitialState: Bool { self != .everyStep }
        /// Whether the context is an input at every step.
        public var feedsEveryStep: Bool { self != .initialState }
    }

    /// The attention score (for `.attention`): see `Attention.Score`.
    public enum Score: String, Codable, Sendable {
        case dot, general, additive, scaledDot
    }

    /// Source tokens (ids `0..<sourceVocabularySize`; `paddingID` pads).
    public var sourceVocabularySize: Int
    /// Target tokens, including `startID` and `endID`.
    public var targetVocabularySize: Int
    /// Source embedding width.
    public var sourceEmbeddingSize: Int
    /// Target embedding width.
    public var targetEmbeddingSize: Int
    /// The encoder's recurrence.
    public var encoderCell: CellKind
    /// Encoder hidden units per direction.
    public var encoderHiddenSize: Int
    /// Encoder layers.
    public var encoderLayers: Int
    /// Whether the encoder reads in both directions.
    public var bidirectional: Bool
    /// The decoder's recurrence.
    public var decoderCell: CellKind
    /// Decoder hidden units.
    public var decoderHiddenSize: Int
    /// Decoder layers. When it differs from `encoderLayers`, every decoder layer starts from the encoder's
    /// top layer; when equal, layer `l` starts from encoder layer `l`.
    public var decoderLayers: Int
    /// The context.
    public var context: Context
    /// Where the context enters.
    public var feed: Feed
    /// The attention score (used with `.attention` only).
    public var attentionScore: Score
    /// Dropout on embeddings, between recurrent layers and before the output layer, in training.
    public var dropout: Float
    /// The target token that starts decoding.
    public var startID: Int
    /// The target token that ends an output.
    public var endID: Int

    /// Makes a configuration; see the properties for the meaning of each argument.
    public init(sourceVocabularySize: Int, targetVocabularySize: Int, sourceEmbeddingSize: Int = 64,
                targetEmbeddingSize: Int = 64, encoderCell: CellKind = .lstm, encoderHiddenSize: Int = 128,
                encoderLayers: Int = 1, bidirectional: Bool = true, decoderCell: CellKind = .lstm,
                decoderHiddenSize: Int = 256, decoderLayers: Int = 1, context: Context = .attention,
                feed: Feed = .both, attentionScore: Score = .general, dropout: Float = 0, startID: Int, endID: Int) {
        self.sourceVocabularySize = sourceVocabularySize
        self.targetVocabularySize = targetVocabularySize
        self.sourceEmbeddingSize = sourceEmbeddingSize
        self.targetEmbeddingSize = targetEmbeddingSize
        self.encoderCell = encoderCell
        self.encoderHiddenSize = encoderHiddenSize
        self.encoderLayers = encoderLayers
        self.bidirectional = bidirectional
        self.decoderCell = decoderCell
        self.decoderHiddenSize = decoderHiddenSize
        self.decoderLayers = decoderLayers
        self.context = context
        self.feed = feed
        self.attentionScore = attentionScore
        self.dropout = dropout
        self.startID = startID
        self.endID = endID
    }

    /// `directions × encoderHiddenSize`: the width of an encoder output and of a bridged encoder state.
    public var encoderStateSize: Int { (bidirectional ? 2 : 1) * encoderHiddenSize }

    /// The width of the context the decoder sees at every step (when fed every step).
    public var contextSize: Int {
        switch context {
        case .lastHidden: return encoderStateSize
        case .transformed, .attention: return decoderHiddenSize
        }
    }

    /// Whether the model has the `bridge` linear layer (linear + tanh from encoder state to decoder state).
    public var hasBridge: Bool {
        switch context {
        case .lastHidden: return false
        case .transformed: return true
        case .attention: return feed.setsInitialState && encoderStateSize != decoderHiddenSize
        }
    }

    /// An upper bound of the parameter count these sizes describe (computed in `Double`: it cannot overflow).
    public var estimatedParameterCount: Double {
        let (se, te, eh, dh) = (Double(sourceEmbeddingSize), Double(targetEmbeddingSize), Double(encoderHiddenSize), Double(decoderHiddenSize))
        let directions: Double = bidirectional ? 2 : 1, state = directions * eh
        var total = Double(sourceVocabularySize) * se + Double(targetVocabularySize) * (te + dh + 1)
        var input = se
        for _ in 0..<Swift.max(0, Swift.min(encoderLayers, Limits.maximumLayers)) {
            total += directions * 4 * eh * (input + eh + 2)
            input = state
        }
        input = te + Double(contextSize)
        for _ in 0..<Swift.max(0, Swift.min(decoderLayers, Limits.maximumLayers)) {
            total += 4 * dh * (input + dh + 2)
            input = dh
        }
        return total + 3 * (state + dh + 1) * dh  // attention score, the attentional combination, the bridge
    }

    /// Checks sizes (against `Limits`) and combinations, before anything is allocated.
    ///
    /// - Throws: `Seq2SeqError.configuration` naming the problem.
    public func validate() throws {
        func fail(_ message: String) -> Seq2SeqError { .configuration(message) }
        do {
            try Check.count(sourceVocabularySize, "sourceVocabularySize", in: 1...Limits.maximumVocabulary)
            try Check.count(targetVocabularySize, "targetVocabularySize", in: 1...Limits.maximumVocabulary)
            try Check.widths(["sourceEmbeddingSize": sourceEmbeddingSize, "targetEmbeddingSize": targetEmbeddingSize,
                              "encoderHiddenSize": encoderHiddenSize, "decoderHiddenSize": decoderHiddenSize])
            try Check.count(encoderLayers, "encoderLayers", in: 1...Limits.maximumLayers)
            try Check.count(decoderLayers, "decoderLayers", in: 1...Limits.maximumLayers)
            try Check.parameterCount(estimatedParameterCount, "the configuration")
        } catch {
            throw fail(error.description)
        }
        guard (0..<targetVocabularySize).contains(startID), (0..<targetVocabularySize).contains(endID), startID != endID else {
            throw fail("startID \(startID) and endID \(endID) must be two different target ids in 0..<\(targetVocabularySize)")
        }
        guard dropout >= 0 && dropout < 1 else { throw fail("dropout must be in [0, 1), got \(dropout)") }
        if context == .lastHidden && feed.setsInitialState && encoderStateSize != decoderHiddenSize {
            throw fail("context lastHidden as the initial state needs decoderHiddenSize == directions × encoderHiddenSize (\(encoderStateSize)), got \(decoderHiddenSize); use context transformed to bridge different sizes")
        }
        if context == .attention && (attentionScore == .dot || attentionScore == .scaledDot) && encoderStateSize != decoderHiddenSize {
            throw fail("\(attentionScore) attention needs decoderHiddenSize == directions × encoderHiddenSize (\(encoderStateSize)), got \(decoderHiddenSize)")
        }
    }
}

/// Why a sequence-to-sequence model could not be built or run.
public enum Seq2SeqError: Error, CustomStringConvertible, Equatable {
    /// An inconsistent configuration.
    case configuration(String)
    /// A bad input (empty sequence, id out of range, mismatched counts).
    case input(String)

    public var description: String {
        switch self {
        case .configuration(let message): return "seq2seq configuration: \(message)"
        case .input(let message): return "seq2seq input: \(message)"
        }
    }

    /// Runs checks, turning a `ValidationFailure` into `.input`.
    static func checkingInput(_ checks: () throws(ValidationFailure) -> Void) throws(Seq2SeqError) {
        do { try checks() } catch { throw .input(error.description) }
    }
}
