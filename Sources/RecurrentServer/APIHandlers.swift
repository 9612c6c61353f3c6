import Foundation
import RecurrentApps
import RecurrentData
import RecurrentNN

/// What each API route does once its body is decoded: validate against the limits, then queue the work on
/// the model's batcher. Kept apart from HTTP so it reads, and tests, as plain functions.
extension ModelServices {
    /// `/v1/tag`.
    func tag(_ request: TagRequest, limits: ServerLimits) async throws -> TagResponse {
        let language = request.lang ?? "en"
        guard let tagger = taggers[language] else {
            if ShippedTaggers.languages.contains(language) { throw APIError(.serviceUnavailable, "no tagger-\(language) model is loaded") }
            throw APIError.badRequest("unknown language '\(language.prefix(20))'; use \(ShippedTaggers.languages.joined(separator: " or "))")
        }
        var tokens: [String]
        switch (request.text, request.tokens) {
        case (.some, .some):
            throw APIError.badRequest("give text or tokens, not both")
        case (nil, nil):
            throw APIError.badRequest("give text (a sentence) or tokens (a list of words)")
        case (.some(let text), nil):
            guard text.count <= limits.textCharacters else {
                throw APIError.tooLarge("text is \(text.count) characters; at most \(limits.textCharacters)")
            }
            tokens = text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        case (nil, .some(let given)):
            guard given.count <= limits.tokens else { throw APIError.tooLarge("\(given.count) tokens; at most \(limits.tokens)") }
            if let index = given.firstIndex(where: { $0.isEmpty || $0.contains(where: \.isWhitespace) }) {
                throw APIError.badRequest("tokens[\(index)] is empty or holds white space")
            }
            tokens = given
        }
        guard !tokens.isEmpty else { throw APIError.badRequest("empty input: no tokens to tag") }
        guard tokens.count <= limits.tokens else { throw APIError.tooLarge("\(tokens.count) tokens; at most \(limits.tokens)") }
        if let index = tokens.firstIndex(where: { $0.count > limits.tokenCharacters }) {
            throw APIError.tooLarge("token \(index + 1) is \(tokens[index].count) characters; at most \(limits.tokenCharacters)")
        }
        if language == "zh", request.text != nil, tokens.count == 1, Self.isUnspacedChinese(tokens[0]) {
            if let segmenter {
                tokens = try await segmenter.submit(tokens[0])
            }
        }
        if request.gates == true, tokens.count > limits.gateTokens {
            throw APIError.tooLarge("gates are shown for at most \(limits.gateTokens) tokens; this sentence has \(tokens.count)")
        }
        let tagged = try await tagger.submit(TagJob(tokens: tokens, gates: request.gates ?? false))
        return TagResponse(tokens: tokens, tags: tagged.tags, gates: tagged.gates)
    }

    /// Several characters, some of them Chinese: what `recurrent tag --lang zh` segments first.
    static func isUnspacedChinese(_ text: String) -> Bool {
        text.count > 1 && text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
    }

    /// `/v1/g2p`.
    func g2p(_ request: G2PRequest, limits: ServerLimits) async throws -> G2PResponse {
        guard let g2p, let model = g2pModel else { throw APIError(.serviceUnavailable, "no g2p model is loaded") }
        guard !request.words.isEmpty else { throw APIError.badRequest("empty input: words is an empty list") }
        guard request.words.count <= limits.words else { throw APIError.tooLarge("\(request.words.count) words; at most \(limits.words)") }
        let beam = request.beam ?? 5
        guard (1...limits.beam).contains(beam) else { throw APIError.badRequest("beam is \(beam); it must be 1 to \(limits.beam)") }
        for (index, word) in request.words.enumerated() {
            guard word.count <= model.maximumWordLength else {
                throw APIError.tooLarge("words[\(index)] is \(word.count) characters; at most \(model.maximumWordLength)")
            }
            do {
                _ = try model.encode(word)
            } catch {
                throw APIError.badRequest("words[\(index)]: \(error)")
            }
        }
        let results = try await g2p.submit(G2PJob(words: request.words, beam: beam, attention: request.attention ?? false))
        return G2PResponse(results: results)
    }

    /// `/v1/lm/generate`: the checked options and the stream of text.
    func generate(_ request: GenerateRequest, limits: ServerLimits) throws -> AsyncStream<String> {
        guard let generator else { throw APIError(.serviceUnavailable, "no lm-shakespeare model is loaded") }
        let length = request.length ?? 200
        guard length >= 0 else { throw APIError.badRequest("length is \(length); it must be ≥ 0") }
        guard length <= limits.generatedCharacters else { throw APIError.tooLarge("length is \(length); at most \(limits.generatedCharacters)") }
        let prompt = request.prompt ?? ""
        guard prompt.unicodeScalars.count <= limits.promptCharacters else {
            throw APIError.tooLarge("the prompt is \(prompt.unicodeScalars.count) characters; at most \(limits.promptCharacters)")
        }
        let sampling = SamplingOptions(temperature: request.temperature ?? 0.8, topK: request.topK ?? 0, topP: request.topP ?? 1, seed: request.seed ?? 0)
        do {
            try sampling.validate()
        } catch {
            throw APIError.badRequest("\(error)")
        }
        let ids: [Int]
        do {
            ids = try generator.model.alphabet.encode(prompt, what: "the prompt")
        } catch {
            throw APIError.badRequest("\(error)")
        }
        return try generator.start(prompt: ids, length: length, sampling: sampling)
    }
}
