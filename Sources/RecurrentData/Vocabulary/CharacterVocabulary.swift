import Foundation

/// A vocabulary of characters (Swift `Character`s, i.e. extended grapheme clusters), for character-level
/// word representations and grapheme-to-phoneme models: `<pad>` = 0, `<unk>` = 1, optional extra reserved
/// tokens (`<w>`, `</w>`), then characters by decreasing count.
///
/// ```swift
/// let chars = CharacterVocabulary(counting: sentences.flatMap(\.forms), minimumCount: 1)
/// chars.encode("cat")  // [7, 4, 12]
/// ```
public struct CharacterVocabulary: Equatable, Sendable {
    /// The underlying token vocabulary; each ordinary token is one character.
    public let vocabulary: Vocabulary

    /// Counts the characters of `words`.
    ///
    /// - Parameters:
    ///   - words: e.g. every word form of the training set (with repeats, so counts reflect use).
    ///   - minimumCount: rarer characters map to `<unk>`.
    ///   - extraSpecials: reserved after `<pad>`, `<unk>` (e.g. `["<w>", "</w>"]`).
    public init<Words: Sequence>(counting words: Words, minimumCount: Int = 1, extraSpecials: [String] = []) where Words.Element == String {
        var counts: [String: Int] = [:]
        for word in words {
            for character in word { counts[String(character), default: 0] += 1 }
        }
        vocabulary = Vocabulary(counts: counts, minimumCount: minimumCount, specials: .padAndUnknown(extra: extraSpecials))
    }

    /// Wraps a vocabulary read back from JSON (`Vocabulary(contentsOf:)`).
    /// - Throws: `VocabularyError.invalidFile` when it has no `<unk>` or an ordinary token is not one character.
    public init(_ vocabulary: Vocabulary) throws(VocabularyError) {
        guard vocabulary.hasUnknown else { throw .invalidFile(path: nil, reason: "a character vocabulary needs <pad> and <unk>") }
        let reserved = vocabulary.specials.tokens.count
        for token in vocabulary.tokens.dropFirst(reserved) where token.count != 1 {
            throw .invalidFile(path: nil, reason: "token '\(token.prefix(40))' is not a single character")
        }
        self.vocabulary = vocabulary
    }

    /// The number of ids.
    public var count: Int { vocabulary.count }

    /// The ids of a word's characters, `[word.count]`; unknown characters become `<unk>` (1).
    public func encode(_ word: String) -> [Int] {
        word.map { vocabulary.id(of: String($0)) ?? Vocabulary.unknownID }
    }

    /// The ids of each word's characters.
    public func encode(words: [String]) -> [[Int]] { words.map(encode) }
}
