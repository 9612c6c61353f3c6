import Foundation
import RecurrentCore
import RecurrentData

/// A sentence for the tagger: its words and, for training and evaluation, one gold tag per word.
public struct TaggedSentence: Equatable, Sendable {
    /// The word forms (pre-segmented).
    public var words: [String]
    /// The gold tags, `[words.count]`, or nil when unknown (text to tag).
    public var tags: [String]?

    /// Makes a sentence.
    /// - Precondition: `tags` is nil or as long as `words`.
    public init(words: [String], tags: [String]? = nil) {
        precondition(tags == nil || tags!.count == words.count, "TaggedSentence: \(tags!.count) tags for \(words.count) words")
        self.words = words
        self.tags = tags
    }

    /// The syntactic words of a CoNLL-U sentence (multiword-token lines and empty nodes are skipped) with the
    /// tags of `column`.
    public init(_ sentence: CoNLLUSentence, column: TagColumn) {
        self.init(words: sentence.words.map(\.form), tags: sentence.words.map(column.tag(of:)))
    }

    /// Reads a CoNLL-U file.
    /// - Throws: `CoNLLUError` (file and line) for a malformed file; `TaggerError.emptyData` for a file without
    ///   sentences.
    public static func read(contentsOf url: URL, column: TagColumn) throws -> [TaggedSentence] {
        let sentences = try CoNLLU.read(contentsOf: url).map { TaggedSentence($0, column: column) }
        guard !sentences.isEmpty else { throw TaggerError.emptyData("\(url.path) has no sentences") }
        return sentences
    }
}

/// The three vocabularies of a tagger: words (optionally lower-cased, with a frequency cut-off), characters and
/// tags. Ids 0 and 1 of words and characters are `<pad>` and `<unk>`; tags have no reserved ids.
public struct TaggerVocabularies: Equatable, Sendable {
    /// Word forms (lower-cased when the architecture says so).
    public let words: Vocabulary
    /// Characters of the original forms.
    public let characters: CharacterVocabulary
    /// The tag set, ids from 0.
    public let tags: Vocabulary

    /// Wraps vocabularies (e.g. read from a model folder).
    public init(words: Vocabulary, characters: CharacterVocabulary, tags: Vocabulary) {
        self.words = words
        self.characters = characters
        self.tags = tags
    }

    /// Counts the training data.
    ///
    /// - Parameters:
    ///   - sentences: the training sentences (with tags).
    ///   - minimumWordCount: rarer word forms map to `<unk>` (their characters still describe them).
    ///   - maximumWordCount: if set, keep at most this many word ids (the most frequent forms).
    ///   - minimumCharacterCount: rarer characters map to `<unk>`.
    ///   - lowercaseWords: count lower-cased forms.
    /// - Throws: `TaggerError.emptyData` when there are no tagged words.
    public init(counting sentences: [TaggedSentence], minimumWordCount: Int = 2, maximumWordCount: Int? = nil,
                minimumCharacterCount: Int = 1, lowercaseWords: Bool = true) throws {
        let forms = sentences.map { lowercaseWords ? $0.words.map { $0.lowercased() } : $0.words }
        let tagged = sentences.compactMap(\.tags)
        guard tagged.contains(where: { !$0.isEmpty }) else { throw TaggerError.emptyData("no tagged words to learn from") }
        words = Vocabulary(counting: forms, minimumCount: minimumWordCount, maximumSize: maximumWordCount)
        characters = CharacterVocabulary(counting: sentences.lazy.flatMap(\.words), minimumCount: minimumCharacterCount)
        tags = Vocabulary(counting: tagged, specials: .none)
    }
}

/// A sentence as ids.
public struct EncodedSentence: Sendable {
    /// The original forms (distinct forms of a batch share one run of the character BiLSTM).
    public var forms: [String]
    /// `[words]` word ids.
    public var wordIDs: [Int]
    /// `[words][characters]` character ids, each word cut to the maximum word length.
    public var characterIDs: [[Int]]
    /// `[words]` tag ids, -1 where the gold tag is unknown to the tag set or absent.
    public var tagIDs: [Int]
    /// The number of words.
    public var count: Int { wordIDs.count }
}

/// Turns sentences into ids with a tagger's vocabularies.
public struct TaggerEncoder: Sendable {
    /// The vocabularies.
    public let vocabularies: TaggerVocabularies
    /// The text handling (lower-casing, word length).
    public let architecture: TaggerArchitecture

    /// Makes an encoder.
    public init(vocabularies: TaggerVocabularies, architecture: TaggerArchitecture) {
        self.vocabularies = vocabularies
        self.architecture = architecture
    }

    /// Encodes one sentence.
    public func encode(_ sentence: TaggedSentence) -> EncodedSentence {
        let words = vocabularies.words, characters = vocabularies.characters.vocabulary
        let wordIDs = sentence.words.map { form in
            words.id(of: architecture.lowercaseWords ? form.lowercased() : form) ?? Vocabulary.unknownID
        }
        let characterIDs = sentence.words.map { form -> [Int] in
            var ids: [Int] = []
            ids.reserveCapacity(Swift.min(form.count, architecture.maximumWordLength))
            for character in form.prefix(architecture.maximumWordLength) {
                ids.append(characters.id(of: String(character)) ?? Vocabulary.unknownID)
            }
            return ids.isEmpty ? [Vocabulary.unknownID] : ids
        }
        let tagIDs = sentence.tags.map { $0.map { vocabularies.tags.id(of: $0) ?? -1 } }
            ?? [Int](repeating: -1, count: sentence.words.count)
        return EncodedSentence(forms: sentence.words, wordIDs: wordIDs, characterIDs: characterIDs, tagIDs: tagIDs)
    }

    /// Encodes sentences.
    public func encode(_ sentences: [TaggedSentence]) -> [EncodedSentence] { sentences.map(encode) }
}

/// A padded batch of sentences ready for `TaggerModel`: word ids, the distinct words' characters grouped by
/// length, and targets.
///
/// Each distinct form of the batch is read once by the character BiLSTM (a word's representation depends only
/// on its characters, so this gives the same values and gradients as reading every occurrence). The distinct
/// words are grouped by character length so that each group's recurrence runs few padded steps.
public struct TaggerBatch {
    /// One group of distinct words of similar length.
    public struct CharacterGroup {
        /// `[words, longest]` character ids, padded with `<pad>`.
        public var ids: IntTensor
        /// `[words]` character counts.
        public var lengths: [Int]
    }

    /// B, the number of sentences.
    public let batchSize: Int
    /// T, the longest sentence.
    public let steps: Int
    /// `[B]` sentence lengths.
    public let lengths: [Int]
    /// `[B, T]` word ids (padding `<pad>`).
    public let wordIDs: IntTensor
    /// The distinct words' characters, in groups of increasing length.
    public let characterGroups: [CharacterGroup]
    /// The number of distinct words (the rows of all groups together).
    public let distinctWordCount: Int
    /// `[B·T]`: for each position, its word's row in the groups taken in order; `distinctWordCount` at padding.
    public let distinctIndex: [Int]
    /// `[B·T]` tag ids, -1 at padding and for unknown gold tags.
    public let targets: [Int]

    /// Real (non-padding) words.
    public var tokenCount: Int { lengths.reduce(0, +) }

    /// Upper bounds of the character-length groups.
    static let groupLimits = [3, 5, 7, 10, 14]

    /// Pads encoded sentences into a batch.
    /// - Precondition: at least one sentence, each with at least one word.
    public init(_ sentences: [EncodedSentence]) {
        precondition(!sentences.isEmpty && sentences.allSatisfy { $0.count > 0 }, "TaggerBatch: needs non-empty sentences")
        let B = sentences.count
        let T = sentences.map(\.count).max()!
        batchSize = B
        steps = T
        lengths = sentences.map(\.count)

        var wordIDs = [Int](repeating: Vocabulary.paddingID, count: B * T)
        var targets = [Int](repeating: -1, count: B * T)
        // Distinct forms, then their (group, row) placement.
        var firstSeen: [String: Int] = [:]
        var distinct: [[Int]] = []   // character ids of each distinct form, in order of first appearance
        var occurrence = [Int](repeating: -1, count: B * T)
        for (b, sentence) in sentences.enumerated() {
            for t in 0..<sentence.count {
                let p = b * T + t
                wordIDs[p] = sentence.wordIDs[t]
                targets[p] = sentence.tagIDs[t]
                let form = sentence.forms[t]
                if let index = firstSeen[form] {
                    occurrence[p] = index
                } else {
                    firstSeen[form] = distinct.count
                    occurrence[p] = distinct.count
                    distinct.append(sentence.characterIDs[t])
                }
            }
        }
        // Group by length: group g holds the words with length in (limit[g-1], limit[g]].
        let limits = TaggerBatch.groupLimits
        func group(of length: Int) -> Int { limits.firstIndex { length <= $0 } ?? limits.count }
        var members = [[Int]](repeating: [], count: limits.count + 1)
        for (index, characters) in distinct.enumerated() { members[group(of: characters.count)].append(index) }
        var row = [Int](repeating: 0, count: distinct.count)
        var groups: [CharacterGroup] = []
        var next = 0
        for indices in members where !indices.isEmpty {
            let longest = indices.map { distinct[$0].count }.max()!
            var ids = [Int](repeating: Vocabulary.paddingID, count: indices.count * longest)
            var groupLengths: [Int] = []
            groupLengths.reserveCapacity(indices.count)
            for (r, index) in indices.enumerated() {
                let characters = distinct[index]
                for (c, id) in characters.enumerated() { ids[r * longest + c] = id }
                groupLengths.append(characters.count)
                row[index] = next
                next += 1
            }
            groups.append(CharacterGroup(ids: IntTensor(shape: [indices.count, longest], scalars: ids), lengths: groupLengths))
        }
        distinctWordCount = distinct.count
        distinctIndex = occurrence.map { $0 < 0 ? distinct.count : row[$0] }
        characterGroups = groups
        self.wordIDs = IntTensor(shape: [B, T], scalars: wordIDs)
        self.targets = targets
    }
}
