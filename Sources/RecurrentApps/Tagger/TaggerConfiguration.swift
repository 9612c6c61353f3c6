import RecurrentData

/// Which CoNLL-U column a tagger predicts.
public enum TagColumn: String, Codable, Sendable, CaseIterable {
    /// UPOS, the universal part-of-speech tag (column 4).
    case upos
    /// XPOS, the language-specific tag (column 5).
    case xpos

    /// The column's value for a word.
    public func tag(of word: CoNLLUWord) -> String {
        self == .upos ? word.upos : word.xpos
    }
}

/// The architecture and text handling of a tagger: what is needed to rebuild the network and encode input.
///
/// The defaults are the reference architecture of `shared/bench/torch_tagger.py`: 100-dimensional word
/// embeddings of lower-cased forms, a character BiLSTM (32-dimensional character embeddings, 50 hidden units
/// per direction, words cut to 30 characters), a 2-layer BiLSTM with 200 hidden units per direction, dropout
/// 0.33, and a linear output layer (optionally followed by a CRF).
public struct TaggerArchitecture: Codable, Equatable, Sendable {
    /// Word embedding size.
    public var wordDimension: Int
    /// Character embedding size.
    public var characterDimension: Int
    /// Hidden units per direction of the character BiLSTM.
    public var characterHidden: Int
    /// Hidden units per direction of the sentence BiLSTM.
    public var hidden: Int
    /// Stacked sentence BiLSTM layers.
    public var layerCount: Int
    /// Dropout on the BiLSTM's input, between its layers and on its output (training only).
    public var dropout: Float
    /// Characters of a word the character BiLSTM reads (longer words are cut).
    public var maximumWordLength: Int
    /// Whether word forms are lower-cased before the word-embedding lookup (characters keep their case).
    public var lowercaseWords: Bool
    /// Whether a CRF layer scores whole tag sequences (trained by sentence likelihood, decoded by Viterbi)
    /// instead of tagging each word on its own.
    public var crf: Bool

    /// Makes an architecture; the defaults are the reference's.
    public init(wordDimension: Int = 100, characterDimension: Int = 32, characterHidden: Int = 50, hidden: Int = 200,
                layerCount: Int = 2, dropout: Float = 0.33, maximumWordLength: Int = 30, lowercaseWords: Bool = true,
                crf: Bool = false) {
        self.wordDimension = wordDimension
        self.characterDimension = characterDimension
        self.characterHidden = characterHidden
        self.hidden = hidden
        self.layerCount = layerCount
        self.dropout = dropout
        self.maximumWordLength = maximumWordLength
        self.lowercaseWords = lowercaseWords
        self.crf = crf
    }

    private enum CodingKeys: String, CodingKey {
        case wordDimension, characterDimension, characterHidden, hidden, layerCount, dropout, maximumWordLength, lowercaseWords, crf
    }

    /// Decodes an architecture; `crf` may be absent (false).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        wordDimension = try c.decode(Int.self, forKey: .wordDimension)
        characterDimension = try c.decode(Int.self, forKey: .characterDimension)
        characterHidden = try c.decode(Int.self, forKey: .characterHidden)
        hidden = try c.decode(Int.self, forKey: .hidden)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        dropout = try c.decode(Float.self, forKey: .dropout)
        maximumWordLength = try c.decode(Int.self, forKey: .maximumWordLength)
        lowercaseWords = try c.decode(Bool.self, forKey: .lowercaseWords)
        crf = try c.decodeIfPresent(Bool.self, forKey: .crf) ?? false
    }

    /// Checks that every size is usable (within `Limits`).
    /// - Throws: `ValidationFailure` naming the size and its allowed range.
    public func validate() throws(ValidationFailure) {
        do {  // (a scope for the list)
            try Check.widths(["wordDimension": wordDimension, "characterDimension": characterDimension,
                              "characterHidden": characterHidden, "hidden": hidden])
            try Check.count(layerCount, "layerCount", in: 1...Limits.maximumLayers)
            try Check.count(maximumWordLength, "maximumWordLength", in: 1...Limits.maximumSequenceLength)
            try Check.fraction(dropout, "dropout")
        }
    }

    /// An upper bound of the parameter count for these sizes and vocabularies (in `Double`: no overflow).
    public func estimatedParameterCount(words: Int, characters: Int, tags: Int) -> Double {
        let (wd, cd, ch, h, t) = (Double(wordDimension), Double(characterDimension), Double(characterHidden), Double(hidden), Double(tags))
        var total = Double(words) * wd + Double(characters) * cd + 2 * 4 * ch * (cd + ch + 2)
        var input = wd + 2 * ch
        for _ in 0..<Swift.max(0, Swift.min(layerCount, Limits.maximumLayers)) {
            total += 2 * 4 * h * (input + h + 2)
            input = 2 * h
        }
        return total + t * (2 * h + 1) + t * (t + 2)
    }
}
