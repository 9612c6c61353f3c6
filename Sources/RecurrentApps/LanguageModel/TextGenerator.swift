import CRecurrentKernels
import Foundation
import RecurrentCore
import RecurrentData
import RecurrentNN

/// Generates text from a `CharacterLanguageModel`, one character per step, over a `RecurrentSession`.
///
/// The embedding is folded into layer 0's input product once (a table of `W_ih · e + b` per character), so
/// a step is the session's recurrent products and the decoder's: nothing is allocated per character. The
/// state is kept between calls, so `generate` continues where the last call stopped; `reset()` starts over,
/// and `state` forks or restores it (one generator per user of a shared model, or per thread).
///
/// ```swift
/// let (model, _) = try CharacterLanguageModel.load(from: folder)
/// let generator = try TextGenerator(model: model)
/// try generator.generate(prompt: "ROMEO:", length: 200, sampling: SamplingOptions(temperature: 0.8, seed: 1)) { text in
///     print(text, terminator: ""); return true    // false stops early
/// }
/// ```
public final class TextGenerator {
    /// The model.
    public let model: CharacterLanguageModel
    /// The session over the model's recurrent network.
    public let session: RecurrentSession
    private let projectedEmbeddings: [Float]  // [characters, G·H]
    private let decoderWeight: [Float], decoderBias: [Float]
    private var logits: [Float]
    private let gateWidth: Int
    /// The last character fed (its logits are in `logits`), or nil at the start.
    private var lastFed: Int? = nil

    /// The carried state: the session's, and the last character fed.
    public struct State: Equatable, Sendable {
        public var session: RecurrentSession.State
        public var lastCharacter: Int?
    }

    /// Makes a generator at the start of a text (zero state).
    public init(model: CharacterLanguageModel) throws {
        self.model = model
        session = try RecurrentSession(model.recurrent)
        projectedEmbeddings = try session.inputProjections(of: model.embedding.weight.value).scalars
        gateWidth = model.recurrent.kind.gateCount * model.configuration.hiddenSize
        decoderWeight = model.decoder.weight.value.scalars
        decoderBias = model.decoder.bias?.value.scalars ?? [Float](repeating: 0, count: model.alphabet.count)
        logits = [Float](repeating: 0, count: model.alphabet.count)
    }

    /// The state; assign a saved one to go back to it.
    public var state: State {
        get { State(session: session.state, lastCharacter: lastFed) }
        set {
            session.state = newValue.session
            lastFed = newValue.lastCharacter
            if lastFed != nil { recomputeLogits() }
        }
    }

    /// Goes back to the start of a text.
    public func reset() {
        session.reset()
        lastFed = nil
    }

    /// Feeds one character id; afterwards `nextLogits` are the scores of the character after it.
    public func feed(_ id: Int) {
        precondition(id >= 0 && id < model.alphabet.count, "TextGenerator.feed: id \(id) outside the alphabet")
        projectedEmbeddings.withUnsafeBufferPointer { table in
            _ = session.step(projectedInput: UnsafeBufferPointer(rebasing: table[(id * gateWidth)..<((id + 1) * gateWidth)]))
        }
        lastFed = id
        recomputeLogits()
    }

    /// The scores `[characters]` of the next character (after at least one `feed`).
    public var nextLogits: [Float] { logits }

    private func recomputeLogits() {
        let H = model.configuration.hiddenSize, V = model.alphabet.count
        session.withOutput { hidden in
            logits.withUnsafeMutableBufferPointer { out in
                rk_gemv_rows(V, H, decoderWeight, H, hidden.baseAddress!, decoderBias, out.baseAddress!, 0)
            }
        }
    }

    /// Generates `length` characters after `prompt` (fed first; an empty prompt starts from a newline when
    /// the alphabet has one, else from its first character), calling `emit` with each character as it is
    /// made; `emit` returns false to stop.
    ///
    /// - Parameters:
    ///   - prompt: text in the model's alphabet, fed before generating (continuing the current state).
    ///   - length: characters to generate.
    ///   - sampling: temperature, top-k, top-p, seed.
    /// - Returns: the generated text (without the prompt).
    /// - Throws: `ValidationFailure` for a character outside the alphabet or bad sampling options.
    @discardableResult
    public func generate(prompt: String, length: Int, sampling: SamplingOptions, emit: (String) -> Bool = { _ in true }) throws -> String {
        try sampling.validate()
        try Check.count(length, "length", in: 0...Self.maximumLength)
        let promptIDs = try model.alphabet.encode(prompt, what: "the prompt")
        if promptIDs.isEmpty && lastFed == nil { feed(model.alphabet.id(of: "\n") ?? 0) }
        for id in promptIDs { feed(id) }
        var sampler = TokenSampler(options: sampling)
        var generated = String.UnicodeScalarView()
        for _ in 0..<length {
            let next = logits.withUnsafeBufferPointer { sampler.sample(logits: $0) }
            let character = model.alphabet.characters[next]
            generated.append(character)
            feed(next)
            if !emit(String(character)) { break }
        }
        return String(generated)
    }

    /// The most characters one call generates.
    public static let maximumLength = 10_000_000
}
