import Foundation
import RecurrentData

/// The vocabulary of a character language model: the sorted set of a text's characters — Unicode scalars,
/// sorted by code point, ids from 0 with nothing reserved — exactly as `sorted(set(text))` in Python, so
/// the ids (and the weights) are those of `../shared/bench/torch_charlm.py`.
public struct CharacterAlphabet: Equatable, Sendable {
    /// The characters, id order.
    public let characters: [Unicode.Scalar]
    private let ids: [Unicode.Scalar: Int]

    /// The alphabet of `text`.
    public init(of text: String) {
        self.init(sorted: Set(text.unicodeScalars).sorted { $0.value < $1.value })
    }

    private init(sorted characters: [Unicode.Scalar]) {
        self.characters = characters
        ids = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0) })
    }

    /// An alphabet read back from its saved form (one string of one scalar per entry).
    /// - Throws: `ValidationFailure` when an entry is not one scalar, repeats, or is out of order.
    public init(saved entries: [String]) throws(ValidationFailure) {
        var scalars: [Unicode.Scalar] = []
        for (i, entry) in entries.enumerated() {
            let s = Array(entry.unicodeScalars)
            try Check.that(s.count == 1, "characters[\(i)]", "holds \(s.count) scalars; each entry is one character")
            try Check.that(scalars.last.map { $0.value < s[0].value } ?? true, "characters[\(i)]", "is not in increasing code-point order")
            scalars.append(s[0])
        }
        try Check.that(!scalars.isEmpty, "characters", "the alphabet is empty")
        self.init(sorted: scalars)
    }

    /// The saved form: one string per character.
    public var saved: [String] { characters.map { String($0) } }

    /// The number of ids.
    public var count: Int { characters.count }

    /// The id of a character, or nil when the alphabet lacks it.
    public func id(of character: Unicode.Scalar) -> Int? { ids[character] }

    /// The ids of every character of `text`.
    /// - Throws: `ValidationFailure` naming the first character the alphabet lacks and its position.
    public func encode(_ text: String, what: String = "the text") throws(ValidationFailure) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(text.unicodeScalars.count)
        for (i, scalar) in text.unicodeScalars.enumerated() {
            guard let id = ids[scalar] else {
                let shown = scalar.properties.isWhitespace || scalar.value < 32 ? String(format: "U+%04X", scalar.value) : "'\(scalar)'"
                throw ValidationFailure(what, "character \(shown) at position \(i) is not in the model's alphabet of \(count) characters")
            }
            result.append(id)
        }
        return result
    }

    /// The text of ids.
    public func decode(_ ids: [Int]) -> String {
        var text = String.UnicodeScalarView()
        for id in ids { text.append(characters[id]) }
        return String(text)
    }
}
