import RecurrentCore

/// A saved `Xoshiro256StarStar`: its four state words, stored in JSON as 16-digit hexadecimal strings (so no
/// JSON reader can round them).
public struct GeneratorState: Codable, Equatable, Sendable {
    /// `[s0, s1, s2, s3]`.
    public var words: [UInt64]

    /// The state of `generator`.
    public init(_ generator: Xoshiro256StarStar) {
        words = generator.state
    }

    /// A generator that continues exactly where the saved one was.
    /// - Throws: `CheckpointError.invalidValue` when the words are not a valid state.
    public func generator() throws -> Xoshiro256StarStar {
        guard let generator = Xoshiro256StarStar(state: words) else {
            throw CheckpointError.invalidValue(name: "generator state", reason: "expected 4 words, not all zero; found \(words.count)")
        }
        return generator
    }

    public init(from decoder: Decoder) throws {
        let texts = try decoder.singleValueContainer().decode([String].self)
        var words: [UInt64] = []
        for text in texts {
            guard text.count == 16, let word = UInt64(text, radix: 16) else {
                throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: decoder.codingPath,
                                                                        debugDescription: "generator word '\(text)' is not 16 hexadecimal digits"))
            }
            words.append(word)
        }
        self.words = words
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(words.map { word -> String in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        })
    }
}
