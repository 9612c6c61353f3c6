import Foundation

/// A two-way map between tokens and integer ids, with `<pad>` = 0 and `<unk>` = 1 reserved (optionally
/// followed by more reserved tokens such as `<s>`, `</s>`), built from token counts with a frequency cut-off.
///
/// ```swift
/// let words = Vocabulary(counting: sentences.map(\.forms), minimumCount: 2)
/// let ids = words.encode(["The", "cat"])     // unknown tokens → 1
/// let tags = Vocabulary(counting: sentences.map(\.uposTags), specials: .none)   // a label set: ids from 0
/// try words.write(to: folder.appendingPathComponent("words.json"))
/// ```
///
/// Tokens are ordered by decreasing count, ties by Unicode scalar values, so the same counts always give
/// the same ids. Tokens are Swift strings: canonically equivalent spellings (precomposed and decomposed
/// accents) are one token.
public struct Vocabulary: Equatable, Sendable {
    /// Which tokens are reserved at the start.
    public enum Specials: Equatable, Sendable {
        /// No reserved tokens (label sets): ids start at 0 with the most frequent token, and encoding an
        /// unknown token is an error.
        case none
        /// `<pad>` = 0 and `<unk>` = 1, then `extra` (ids 2, 3, …).
        case padAndUnknown(extra: [String])

        /// `<pad>` = 0 and `<unk>` = 1 only.
        public static let standard = Specials.padAndUnknown(extra: [])

        /// The reserved tokens in id order.
        public var tokens: [String] {
            switch self {
            case .none: return []
            case .padAndUnknown(let extra): return [Vocabulary.paddingToken, Vocabulary.unknownToken] + extra
            }
        }
    }

    /// `<pad>`.
    public static let paddingToken = "<pad>"
    /// `<unk>`.
    public static let unknownToken = "<unk>"
    /// The id of `<pad>` (when reserved).
    public static let paddingID = 0
    /// The id of `<unk>` (when reserved).
    public static let unknownID = 1

    /// Every token, by id.
    public let tokens: [String]
    /// How often each token was counted (0 for reserved tokens), by id.
    public let counts: [Int]
    /// The reserved tokens.
    public let specials: Specials
    private let index: [String: Int]

    /// Builds a vocabulary from token sequences.
    ///
    /// - Parameters:
    ///   - sequences: e.g. the word forms of every training sentence.
    ///   - minimumCount: tokens seen fewer times are left out (mapped to `<unk>`).
    ///   - maximumSize: if set, keep only the most frequent tokens so that the whole vocabulary (reserved
    ///     tokens included) has at most this many entries.
    ///   - specials: reserved tokens (`.standard` by default; `.none` for labels).
    public init<Outer: Sequence>(counting sequences: Outer, minimumCount: Int = 1, maximumSize: Int? = nil,
                                 specials: Specials = .standard) where Outer.Element: Sequence, Outer.Element.Element == String {
        var counts: [String: Int] = [:]
        for sequence in sequences {
            for token in sequence { counts[token, default: 0] += 1 }
        }
        self.init(counts: counts, minimumCount: minimumCount, maximumSize: maximumSize, specials: specials)
    }

    /// Builds a vocabulary from token counts (see `init(counting:minimumCount:maximumSize:specials:)`).
    /// Counts of reserved tokens are ignored.
    public init(counts: [String: Int], minimumCount: Int = 1, maximumSize: Int? = nil, specials: Specials = .standard) {
        let reserved = specials.tokens
        let reservedSet = Set(reserved)
        var kept = counts.filter { $0.value >= Swift.max(minimumCount, 1) && !reservedSet.contains($0.key) }
            .sorted { a, b in
                a.value != b.value ? a.value > b.value : a.key.unicodeScalars.lexicographicallyPrecedes(b.key.unicodeScalars)
            }
        if let maximumSize { kept = Array(kept.prefix(Swift.max(0, maximumSize - reserved.count))) }
        // Reserved tokens are distinct by construction unless `extra` repeats one; keep the first.
        var tokens: [String] = [], tokenCounts: [Int] = [], index: [String: Int] = [:]
        for token in reserved where index[token] == nil {
            index[token] = tokens.count
            tokens.append(token)
            tokenCounts.append(0)
        }
        for (token, count) in kept {
            index[token] = tokens.count
            tokens.append(token)
            tokenCounts.append(count)
        }
        self.tokens = tokens
        self.counts = tokenCounts
        self.specials = specials
        self.index = index
    }

    /// A vocabulary with exactly these tokens after the reserved ones, in this order.
    ///
    /// - Parameters:
    ///   - tokens: the ordinary tokens (must not repeat, nor repeat a reserved token).
    ///   - counts: their counts (same length), or nil for zeros.
    ///   - specials: reserved tokens.
    /// - Throws: `VocabularyError.duplicateToken`, or `.invalidFile` when `counts` has the wrong length.
    public init(tokens: [String], counts: [Int]? = nil, specials: Specials = .standard) throws(VocabularyError) {
        let reserved = specials.tokens
        guard counts == nil || counts!.count == tokens.count else {
            throw .invalidFile(path: nil, reason: "\(counts!.count) counts for \(tokens.count) tokens")
        }
        var all: [String] = [], index: [String: Int] = [:]
        for token in reserved + tokens {
            guard index[token] == nil else { throw .duplicateToken(token) }
            index[token] = all.count
            all.append(token)
        }
        self.tokens = all
        self.counts = [Int](repeating: 0, count: reserved.count) + (counts ?? [Int](repeating: 0, count: tokens.count))
        self.specials = specials
        self.index = index
    }

    /// The number of ids.
    public var count: Int { tokens.count }

    /// Whether unknown tokens map to `<unk>` (false for a label set).
    public var hasUnknown: Bool { specials != .none }

    /// The id of `token`, or nil when it is not in the vocabulary.
    public func id(of token: String) -> Int? { index[token] }

    /// The id of `token`, or `<unk>`'s (nil only when the vocabulary has no `<unk>`).
    public func idOrUnknown(_ token: String) -> Int? {
        index[token] ?? (hasUnknown ? Vocabulary.unknownID : nil)
    }

    /// The token with id `id`, or nil when out of range.
    public func token(at id: Int) -> String? {
        id >= 0 && id < tokens.count ? tokens[id] : nil
    }

    /// Whether `token` is known.
    public func contains(_ token: String) -> Bool { index[token] != nil }

    /// Ids for tokens, `[tokens.count]`; unknown tokens become `<unk>` (1).
    /// - Precondition: the vocabulary has `<unk>`; use `encodeStrictly` for label sets.
    public func encode(_ tokens: [String]) -> [Int] {
        precondition(hasUnknown, "Vocabulary.encode: this vocabulary has no <unk>; use encodeStrictly")
        return tokens.map { index[$0] ?? Vocabulary.unknownID }
    }

    /// Ids for tokens, `[tokens.count]`; unknown tokens map to `<unk>` when there is one, else are an error.
    /// - Throws: `VocabularyError.unknownToken` (label sets only).
    public func encodeStrictly(_ tokens: [String]) throws(VocabularyError) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(tokens.count)
        for token in tokens {
            guard let id = idOrUnknown(token) else { throw .unknownToken(token) }
            ids.append(id)
        }
        return ids
    }

    /// Tokens for ids, `[ids.count]`.
    /// - Throws: `VocabularyError.idOutOfRange`.
    public func decode(_ ids: [Int]) throws(VocabularyError) -> [String] {
        var result: [String] = []
        result.reserveCapacity(ids.count)
        for id in ids {
            guard let token = token(at: id) else { throw .idOutOfRange(id: id, count: count) }
            result.append(token)
        }
        return result
    }

    /// Two vocabularies are equal when they have the same tokens, counts and reserved tokens.
    public static func == (a: Vocabulary, b: Vocabulary) -> Bool {
        a.tokens == b.tokens && a.counts == b.counts && a.specials == b.specials
    }

    // MARK: JSON

    /// The JSON document: `{"format": "recurrent.vocabulary", "version": 1, "specials": [...],
    /// "tokens": [... every token by id ...], "counts": [...]}`.
    private struct Document: Codable {
        var format: String
        var version: Int
        var specials: [String]
        var tokens: [String]
        var counts: [Int]
    }

    private static let formatName = "recurrent.vocabulary"

    /// The vocabulary as JSON (UTF-8, keys sorted).
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let document = Document(format: Vocabulary.formatName, version: 1, specials: specials.tokens, tokens: tokens, counts: counts)
        // Strings and integers always encode.
        return (try? encoder.encode(document)) ?? Data()
    }

    /// Reads a vocabulary from JSON written by `jsonData()`.
    /// - Parameter path: named in error messages.
    /// - Throws: `VocabularyError.invalidFile` or `.duplicateToken`.
    public init(jsonData data: Data, path: String? = nil) throws(VocabularyError) {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw .invalidFile(path: path, reason: "malformed JSON or missing fields (\(ErrorText.coding(error)))")
        }
        guard document.format == Vocabulary.formatName else {
            throw .invalidFile(path: path, reason: "format is '\(document.format)', expected '\(Vocabulary.formatName)'")
        }
        guard document.version == 1 else { throw .invalidFile(path: path, reason: "version \(document.version) is not supported") }
        let specials: Specials
        if document.specials.isEmpty {
            specials = .none
        } else {
            guard document.specials.count >= 2, document.specials[0] == Vocabulary.paddingToken,
                  document.specials[1] == Vocabulary.unknownToken else {
                throw .invalidFile(path: path, reason: "reserved tokens must start with <pad>, <unk>")
            }
            specials = .padAndUnknown(extra: Array(document.specials.dropFirst(2)))
        }
        let reserved = specials.tokens
        guard document.tokens.count >= reserved.count, Array(document.tokens.prefix(reserved.count)) == reserved else {
            throw .invalidFile(path: path, reason: "the token list does not start with the reserved tokens \(reserved)")
        }
        guard document.counts.count == document.tokens.count, document.counts.allSatisfy({ $0 >= 0 }) else {
            throw .invalidFile(path: path, reason: "expected one count ≥ 0 per token")
        }
        do {
            try self.init(tokens: Array(document.tokens.dropFirst(reserved.count)),
                          counts: Array(document.counts.dropFirst(reserved.count)), specials: specials)
        } catch {
            if case .duplicateToken = error { throw error }
            throw .invalidFile(path: path, reason: error.description)
        }
    }

    /// Writes the JSON to `url`, atomically.
    /// - Throws: `VocabularyError.io`.
    public func write(to url: URL) throws(VocabularyError) {
        do {
            try AtomicFile.write(Array(jsonData()), to: url)
        } catch {
            throw .io(path: url.path, reason: "cannot write the file: \(error.reason)")
        }
    }

    /// Reads a vocabulary written by `write(to:)`.
    /// - Throws: `VocabularyError`.
    public init(contentsOf url: URL) throws(VocabularyError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(path: url.path, reason: "cannot read the file: \(error.localizedDescription)")
        }
        try self.init(jsonData: data, path: url.path)
    }
}
