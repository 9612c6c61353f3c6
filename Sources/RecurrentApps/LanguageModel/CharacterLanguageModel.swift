import Foundation
import RecurrentCore
import RecurrentData
import RecurrentNN

/// The shape and regularization of a `CharacterLanguageModel` (what `config.json` holds, with the alphabet).
public struct LanguageModelConfiguration: Codable, Equatable, Sendable {
    /// The recurrence: `lstm` (the default), `gru` or `rnn` (tanh).
    public var cell: String = "lstm"
    /// Embedding size.
    public var embeddingSize = 64
    /// Hidden units per layer.
    public var hiddenSize = 512
    /// Stacked layers.
    public var layers = 2
    /// Dropout on the recurrent network's output (before the decoder) and between its layers: PyTorch's
    /// `nn.LSTM(dropout=)` plus `nn.Dropout` in `torch_charlm.py`.
    public var dropout: Float = 0.25
    /// Dropout on the embeddings (0 in `torch_charlm.py`).
    public var embeddingDropout: Float = 0
    /// DropConnect on the hidden-to-hidden weights, one mask per window (AWD-LSTM's weight drop; 0 in `torch_charlm.py`).
    public var weightDropout: Float = 0
    /// The characters, in id order (`CharacterAlphabet.saved`).
    public var characters: [String] = []

    /// The defaults of `torch_charlm.py`: LSTM, embedding 64, 2 × 512, dropout 0.25.
    public init() {}

    /// The recurrence kind.
    public var kind: RecurrenceKind {
        switch cell {
        case "gru": return .gru
        case "rnn": return .rnnTanh
        default: return .lstm
        }
    }

    /// The state-dict prefix of the recurrent network (`lstm`, `gru` or `rnn`, as an `nn.Module` attribute would be named).
    public var recurrentKey: String { cell }

    /// Checks sizes and probabilities before anything is allocated.
    /// - Throws: `ValidationFailure` naming the field.
    public func validate() throws(ValidationFailure) {
        try validateSizes()
        try Check.count(characters.count, "characters", in: 1...Limits.maximumVocabulary)
        let (V, E, H, G) = (Double(characters.count), Double(embeddingSize), Double(hiddenSize), Double(kind.gateCount))
        let recurrent = G * H * (E + H + 2) + Double(layers - 1) * G * H * (2 * H + 2)
        try Check.parameterCount(V * E + recurrent + H * V + V, "the language model")
    }

    /// Checks everything but the alphabet (for options before a text is read).
    public func validateSizes() throws(ValidationFailure) {
        try Check.that(["lstm", "gru", "rnn"].contains(cell), "cell", "'\(cell.prefix(40))' is not one of lstm, gru, rnn")
        try Check.widths(["embeddingSize": embeddingSize, "hiddenSize": hiddenSize])
        try Check.count(layers, "layers", in: 1...Limits.maximumLayers)
        try Check.fraction(dropout, "dropout")
        try Check.fraction(embeddingDropout, "embeddingDropout")
        try Check.fraction(weightDropout, "weightDropout")
        let (E, H, G) = (Double(embeddingSize), Double(hiddenSize), Double(kind.gateCount))
        try Check.parameterCount(G * H * (E + H + 2) + Double(layers - 1) * G * H * (2 * H + 2), "the language model")
    }
}

/// A character-level language model: embedding → a multi-layer LSTM (or GRU, RNN) → linear decoder, with
/// the `state_dict` keys of `torch_charlm.py`'s `CharLM` (`embedding.weight`, `lstm.weight_ih_l0`, …,
/// `decoder.weight`, `decoder.bias`), so PyTorch loads its weights unchanged and back.
///
/// Train it with `LanguageModelTrainer`, score it with `evaluate(_:)`, generate with `TextGenerator`.
public final class CharacterLanguageModel: Module {
    /// The configuration (with the alphabet).
    public let configuration: LanguageModelConfiguration
    /// The characters.
    public let alphabet: CharacterAlphabet
    /// `[characters, embeddingSize]`.
    public let embedding: Embedding
    /// The recurrent network, `[seq, batch, embeddingSize]` → `[seq, batch, hiddenSize]`.
    public let recurrent: RecurrentNetwork
    /// `[hiddenSize]` → `[characters]` logits.
    public let decoder: Linear
    /// Whether dropout is on.
    public var isTraining = true
    /// The generator of the embedding and output dropout masks (the network has its own).
    public var generator: Xoshiro256StarStar

    /// Makes a model with PyTorch's initialization, seeded.
    /// - Throws: `ValidationFailure` for a bad configuration.
    public init(configuration: LanguageModelConfiguration, seed: UInt64 = 1) throws {
        try configuration.validate()
        self.configuration = configuration
        alphabet = try CharacterAlphabet(saved: configuration.characters)
        let (V, E, H) = (configuration.characters.count, configuration.embeddingSize, configuration.hiddenSize)
        embedding = try Embedding(V, E, seed: seed)
        recurrent = RecurrentNetwork(kind: configuration.kind, inputSize: E, hiddenSize: H, layerCount: configuration.layers,
                                     dropout: configuration.dropout, seed: seed &+ 1)
        recurrent.hiddenWeightDropout = configuration.weightDropout
        decoder = try Linear(H, V, seed: seed &+ 2)
        generator = Xoshiro256StarStar(seed: seed &+ 3)
    }

    public var namedParameters: [(key: String, parameter: Parameter)] {
        prefixed("embedding", embedding) + prefixed(configuration.recurrentKey, recurrent) + prefixed("decoder", decoder)
    }

    public var children: [(name: String, module: any Module)] {
        [("embedding", embedding), (configuration.recurrentKey, recurrent), ("decoder", decoder)]
    }

    /// The logits of the next character at every position.
    ///
    /// - Parameters:
    ///   - ids: `[seq, batch]` character ids.
    ///   - state: the state carried from the previous window (`[layers, batch, hidden]`), or nil for zeros.
    /// - Returns: `logits` `[seq × batch, characters]` (row `t × batch + b`) and the final state.
    public func callAsFunction(_ ids: IntTensor, state: RecurrentState? = nil) throws -> (logits: Tensor, state: RecurrentState) {
        guard ids.shape.count == 2 else { throw LayerError.input(layer: "CharacterLanguageModel", reason: "ids must be [seq, batch], got \(ids.shape)") }
        var x = try embedding(ids)
        if isTraining && configuration.embeddingDropout > 0 {
            x = x.dropout(probability: configuration.embeddingDropout, training: true, using: &generator)
        }
        let result = try recurrent(x, initialState: state)
        var y = result.output.reshaped([ids.shape[0] * ids.shape[1], configuration.hiddenSize])
        if isTraining && configuration.dropout > 0 { y = y.dropout(probability: configuration.dropout, training: true, using: &generator) }
        return (try decoder(y), result.state)
    }

    /// The mean cross-entropy (nats per character) of predicting `targets` from `inputs`.
    /// - Parameters:
    ///   - inputs: `[seq, batch]` ids; `targets`: `[seq, batch]`, the next character of each.
    ///   - state: carried in; the returned state is the window's final one (still on the tape: detach it).
    public func loss(inputs: IntTensor, targets: IntTensor, state: RecurrentState?) throws -> (loss: Tensor, state: RecurrentState) {
        let (logits, final) = try self(inputs, state: state)
        return (try crossEntropy(logits: logits, targets: IntTensor(shape: [targets.count], scalars: targets.scalars)), final)
    }

    /// The loss of window `window` of `streams` (truncated backpropagation through time): starts from
    /// `carried` — reset to nil (zeros) at window 0, the start of the text — and leaves there the window's
    /// final state, detached, for the next window.
    public func windowLoss(_ streams: TextStreams, window: Int, carried: inout RecurrentState?) throws -> Tensor {
        if window == 0 { carried = nil }
        let (inputs, targets) = streams.window(window)
        let (loss, final) = try loss(inputs: inputs, targets: targets, state: carried)
        carried = final.detached()
        return loss
    }

    /// The mean loss in nats per character of predicting each character of `ids` from those before it,
    /// reading `streams` contiguous slices side by side (1: the text as one stream, as `lm eval` does),
    /// `chunk` characters at a time with the state carried; in inference mode, without gradients.
    /// - Parameter ids: at least 2 ids.
    public func evaluate(_ ids: [Int], streams: Int = 1, chunk: Int = 1024) throws -> Double {
        try Check.that(ids.count >= 2 * streams, "the evaluation text", "\(ids.count) characters are too few for \(streams) streams")
        let wasTraining = isTraining
        eval()
        defer { train(wasTraining) }
        let length = (ids.count - 1) / streams  // predictions per stream
        var total = 0.0, count = 0
        var state: RecurrentState? = nil
        try withoutGradients {
            var start = 0
            while start < length {
                let n = Swift.min(chunk, length - start)
                var inputs = [Int](repeating: 0, count: n * streams), targets = inputs
                for t in 0..<n {
                    for b in 0..<streams {
                        inputs[t * streams + b] = ids[b * length + start + t]
                        targets[t * streams + b] = ids[b * length + start + t + 1]
                    }
                }
                let (loss, final) = try loss(inputs: IntTensor(shape: [n, streams], scalars: inputs),
                                             targets: IntTensor(shape: [n, streams], scalars: targets), state: state)
                state = final
                total += Double(loss.item) * Double(n * streams)
                count += n * streams
                start += n
            }
        }
        return total / Double(count)
    }

    /// The model folder's format name.
    public static let formatName = "recurrent.charlm"

    /// Saves the model folder whole: `config.json` (this configuration with the alphabet, and `training`
    /// notes) and `model.safetensors` (F32, `torch_charlm.py`'s keys).
    public func save(to folder: URL, training: [String: String] = [:]) throws {
        try ModelFiles.save(self, configuration: SavedLanguageModel(model: configuration, training: training),
                            format: Self.formatName, to: folder)
    }

    /// Loads a model folder strictly.
    /// - Throws: `ModelFolderReader.ReadError` or `ValidationFailure` naming the folder and the problem.
    public static func load(from folder: URL) throws -> (model: CharacterLanguageModel, training: [String: String]) {
        let loaded = try ModelFiles.load(SavedLanguageModel.self, format: formatName, from: folder) { saved, _ in
            try CharacterLanguageModel(configuration: saved.model)
        }
        loaded.model.eval()
        return (loaded.model, loaded.configuration.training)
    }
}

/// What a language model's `config.json` holds under `configuration`.
struct SavedLanguageModel: Codable {
    var model: LanguageModelConfiguration
    var training: [String: String]
}
