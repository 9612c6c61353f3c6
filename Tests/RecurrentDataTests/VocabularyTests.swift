import Foundation
import Testing
import TestSupport
import RecurrentData

private let corpus = [["the", "cat", "sat"], ["the", "dog", "sat"], ["the", "cat"], ["a", "bird"]]

@Suite("Vocabularies")
struct VocabularyTests {
    @Test("<pad> = 0, <unk> = 1, then tokens by decreasing count, ties by code point")
    func ordering() {
        let vocabulary = Vocabulary(counting: corpus)
        #expect(vocabulary.tokens == ["<pad>", "<unk>", "the", "cat", "sat", "a", "bird", "dog"])
        #expect(vocabulary.counts == [0, 0, 3, 2, 2, 1, 1, 1])
        #expect(vocabulary.id(of: "cat") == 3 && vocabulary.token(at: 3) == "cat")
        #expect(vocabulary.id(of: Vocabulary.paddingToken) == Vocabulary.paddingID)
        #expect(vocabulary.id(of: Vocabulary.unknownToken) == Vocabulary.unknownID)
        #expect(vocabulary.token(at: 8) == nil && vocabulary.token(at: -1) == nil)
    }

    @Test("frequency cut-off: rare tokens become <unk>")
    func cutOff() throws {
        let vocabulary = Vocabulary(counting: corpus, minimumCount: 2)
        #expect(vocabulary.tokens == ["<pad>", "<unk>", "the", "cat", "sat"])
        #expect(vocabulary.encode(["the", "dog", "sat", "unseen"]) == [2, 1, 4, 1])
        #expect(try vocabulary.decode([2, 1, 0]) == ["the", "<unk>", "<pad>"])
        #expect(throws: VocabularyError.idOutOfRange(id: 5, count: 5)) { try vocabulary.decode([5]) }
        #expect(Vocabulary(counting: corpus, maximumSize: 4).tokens == ["<pad>", "<unk>", "the", "cat"])
    }

    @Test("label sets have no reserved tokens and reject unknown labels")
    func labels() throws {
        let tags = Vocabulary(counting: [["NOUN", "VERB"], ["NOUN", "DET"]], specials: .none)
        #expect(tags.tokens == ["NOUN", "DET", "VERB"])
        #expect(!tags.hasUnknown)
        #expect(try tags.encodeStrictly(["VERB", "NOUN"]) == [2, 0])
        #expect(throws: VocabularyError.unknownToken("ADJ")) { try tags.encodeStrictly(["NOUN", "ADJ"]) }
        #expect(tags.idOrUnknown("ADJ") == nil)
    }

    @Test("extra reserved tokens follow <pad> and <unk>; reserved spellings in the data map to them")
    func extraSpecials() {
        let vocabulary = Vocabulary(counting: [["<s>", "x", "<unk>", "x"]], specials: .padAndUnknown(extra: ["<s>", "</s>"]))
        #expect(vocabulary.tokens == ["<pad>", "<unk>", "<s>", "</s>", "x"])
        #expect(vocabulary.counts == [0, 0, 0, 0, 2])
    }

    @Test("explicit token lists: duplicates are rejected")
    func explicitTokens() throws {
        let vocabulary = try Vocabulary(tokens: ["b", "a"])
        #expect(vocabulary.tokens == ["<pad>", "<unk>", "b", "a"])
        #expect(throws: VocabularyError.duplicateToken("b")) { try Vocabulary(tokens: ["b", "a", "b"]) }
        #expect(throws: VocabularyError.duplicateToken("<unk>")) { try Vocabulary(tokens: ["<unk>"]) }
    }

    @Test("JSON round trip, in memory and through a file")
    func json() throws {
        let vocabulary = Vocabulary(counting: corpus + [["naïve", "日本", "\"quoted\"\n"]], specials: .padAndUnknown(extra: ["<s>"]))
        #expect(try Vocabulary(jsonData: vocabulary.jsonData()) == vocabulary)
        let tags = Vocabulary(counting: [["NOUN", "VERB"]], specials: .none)
        #expect(try Vocabulary(jsonData: tags.jsonData()) == tags)
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("words.json")
        try vocabulary.write(to: url)
        let back = try Vocabulary(contentsOf: url)
        #expect(back == vocabulary)
        #expect(back.encode(["naïve", "zzz"]) == [vocabulary.id(of: "naïve")!, 1])
    }

    @Test("malformed vocabulary files are rejected with a one-line reason", arguments: [
        #"{"format": "other", "version": 1, "specials": [], "tokens": [], "counts": []}"#,
        #"{"format": "recurrent.vocabulary", "version": 2, "specials": [], "tokens": [], "counts": []}"#,
        #"{"format": "recurrent.vocabulary", "version": 1, "specials": ["<unk>", "<pad>"], "tokens": ["<unk>", "<pad>"], "counts": [0, 0]}"#,
        #"{"format": "recurrent.vocabulary", "version": 1, "specials": ["<pad>", "<unk>"], "tokens": ["a"], "counts": [0]}"#,
        #"{"format": "recurrent.vocabulary", "version": 1, "specials": [], "tokens": ["a", "b"], "counts": [1]}"#,
        #"{"format": "recurrent.vocabulary", "version": 1, "specials": [], "tokens": ["a", "a"], "counts": [1, 1]}"#,
        #"{"format": "recurrent.vocabulary", "version": 1, "tokens": []}"#,
        #"[1, 2]"#,
        #"not json"#,
    ])
    func malformed(json: String) {
        do {
            _ = try Vocabulary(jsonData: Data(json.utf8), path: "v.json")
            Issue.record("expected an error for \(json)")
        } catch {
            #expect(!error.description.contains("\n"))
            if case .duplicateToken = error {} else { #expect(error.description.hasPrefix("v.json: not a vocabulary: ")) }
        }
    }

    @Test("character vocabularies count grapheme clusters")
    func characters() throws {
        let chars = CharacterVocabulary(counting: ["cat", "cab", "e\u{301}", "日本"], extraSpecials: ["<w>"])
        #expect(chars.vocabulary.tokens.prefix(3) == ["<pad>", "<unk>", "<w>"])
        #expect(chars.vocabulary.tokens[3...5] == ["a", "c", "b"])
        #expect(chars.encode("e\u{301}").count == 1)             // one Character: e + combining acute
        #expect(chars.encode("\u{e9}") == chars.encode("e\u{301}"))  // canonically equivalent
        #expect(chars.encode("cz") == [chars.vocabulary.id(of: "c")!, Vocabulary.unknownID])
        #expect(chars.encode(words: ["日本", "ab"]).map(\.count) == [2, 2])
        let back = try CharacterVocabulary(try Vocabulary(jsonData: chars.vocabulary.jsonData()))
        #expect(back == chars)
        #expect(throws: VocabularyError.self) { try CharacterVocabulary(try Vocabulary(tokens: ["ab"])) }
    }

    @Test("EWT dev: word vocabulary with a cut-off, tag set of 17, characters")
    func realData() throws {
        guard let url = SharedData.require("data/ud_en_ewt/en_ewt-ud-dev.conllu") else { return }
        let sentences = try CoNLLU.read(contentsOf: url)
        let words = Vocabulary(counting: sentences.map(\.forms), minimumCount: 2)
        let all = Vocabulary(counting: sentences.map(\.forms))
        #expect(all.count == 5_494 + 2 && words.count == 5_494 - 3_328 + 2)  // distinct forms, 3,328 seen once
        #expect(words.tokens[2...4] == [".", "the", ","])
        let tags = Vocabulary(counting: sentences.map(\.uposTags), specials: .none)
        #expect(tags.count == 17)
        let encoded = sentences.map { words.encode($0.forms) }
        let unknown = encoded.joined().filter { $0 == Vocabulary.unknownID }.count
        let singletons = all.counts.filter { $0 == 1 }.count
        #expect(unknown == singletons)  // exactly the tokens seen once
        let chars = CharacterVocabulary(counting: sentences.flatMap(\.forms))
        #expect(chars.count > 70)
    }
}
