import Foundation

/// `POST /v1/tag`: `{"lang": "en"|"zh", "text": "I saw her duck"}` or `{"lang": …, "tokens": ["我", "吃", "瓜"]}`,
/// with `"gates": true` to also get the LSTM's gate activations.
public struct TagRequest: Codable, Sendable {
    /// `en` (the default) or `zh`.
    public var lang: String?
    /// A sentence; split at white space. Chinese without spaces is segmented first.
    public var text: String?
    /// The tokens, already split (instead of `text`).
    public var tokens: [String]?
    /// Also return the sentence LSTM's gate activations (false by default).
    public var gates: Bool?
}

/// What the tagger's sentence LSTM did at each word: the first layer's forward direction (it reads the
/// words left to right, as the brief tells the story), from zero states.
public struct GateActivations: Codable, Equatable, Sendable {
    /// The layer (0: the first, which reads the words' vectors).
    public var layer: Int
    /// `forward`.
    public var direction: String
    /// `[tokens][hidden]`: σ, in (0, 1); how much of the previous cell each unit keeps.
    public var forget: [[Float]]
    /// `[tokens][hidden]`: σ; how much of the new candidate enters each unit's cell.
    public var input: [[Float]]
    /// `[tokens][hidden]`: σ; how much of each unit's cell it shows as its hidden state.
    public var output: [[Float]]
}

/// The answer of `/v1/tag`.
public struct TagResponse: Codable, Equatable, Sendable {
    /// The tokens tagged, `[n]`.
    public var tokens: [String]
    /// One tag per token, `[n]`.
    public var tags: [String]
    /// When asked.
    public var gates: GateActivations?
}

/// `POST /v1/g2p`: `{"words": ["watermelon"], "beam": 5, "attention": false}`.
public struct G2PRequest: Codable, Sendable {
    /// The words: letters A–Z and apostrophes, any case.
    public var words: [String]
    /// Beam width, 1 (greedy) to the limit; 5 by default.
    public var beam: Int?
    /// Also return each word's attention matrix α (phonemes × letters).
    public var attention: Bool?
}

/// The answer of `/v1/g2p`.
public struct G2PResponse: Codable, Equatable, Sendable {
    /// One pronunciation.
    public struct Result: Codable, Equatable, Sendable {
        /// The word, upper-cased.
        public var word: String
        /// ARPAbet phonemes.
        public var phonemes: [String]
        /// When asked: `[phonemes][letters]`, each row sums to 1.
        public var attention: [[Float]]?
    }
    /// In the order of the words.
    public var results: [Result]
}

/// `POST /v1/lm/generate`: `{"prompt": "ROMEO:", "length": 200, "temperature": 0.8, "top_k": 0, "top_p": 1, "seed": 1}`.
/// The answer streams as `text/plain` (chunked) as the characters are made.
public struct GenerateRequest: Codable, Sendable {
    /// Text in the model's alphabet, fed first (not repeated in the answer).
    public var prompt: String?
    /// Characters to make (200 by default).
    public var length: Int?
    /// Softmax temperature; 0 is greedy (0.8 by default).
    public var temperature: Float?
    /// Draw among the K most likely characters only (0: all).
    public var topK: Int?
    /// Draw among the most likely characters adding up to P (1: all).
    public var topP: Float?
    /// The same seed gives the same text (0 by default).
    public var seed: UInt64?

    enum CodingKeys: String, CodingKey {
        case prompt, length, temperature, seed
        case topK = "top_k"
        case topP = "top_p"
    }
}
