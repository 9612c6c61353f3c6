import Foundation
import Testing
import TestSupport
import RecurrentData

/// Counts over a parsed CoNLL-U file.
struct Counts: Equatable, CustomStringConvertible {
    var sentences = 0, words = 0, surfaceTokens = 0, multiwordTokens = 0, emptyNodes = 0, uposTags = 0
    init(_ sentences: [CoNLLUSentence]) {
        self.sentences = sentences.count
        words = sentences.reduce(0) { $0 + $1.words.count }
        surfaceTokens = sentences.reduce(0) { $0 + $1.surfaceTokenCount }
        multiwordTokens = sentences.reduce(0) { $0 + $1.multiwordTokens.count }
        emptyNodes = sentences.reduce(0) { $0 + $1.emptyNodes.count }
        uposTags = Set(sentences.flatMap(\.uposTags)).count
    }
    init(sentences: Int, words: Int, surfaceTokens: Int, multiwordTokens: Int, emptyNodes: Int, uposTags: Int) {
        (self.sentences, self.words, self.surfaceTokens) = (sentences, words, surfaceTokens)
        (self.multiwordTokens, self.emptyNodes, self.uposTags) = (multiwordTokens, emptyNodes, uposTags)
    }
    var description: String {
        "\(sentences) sentences, \(words) words, \(surfaceTokens) tokens, \(multiwordTokens) MWT, \(emptyNodes) empty, \(uposTags) UPOS"
    }
}

/// The error `body` throws, or nil (recording an issue) when it does not throw.
private func conlluError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(CoNLLUError) -> [CoNLLUSentence]) -> CoNLLUError? {
    do {
        _ = try body()
        Issue.record("expected a CoNLLUError", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

private let wordLine = "\t_\tX\t_\t_\t0\troot\t_\t_"  // LEMMA … MISC

@Suite("CoNLL-U reader")
struct CoNLLUReaderTests {
    // MARK: Real files (counts as in shared/data/README.md)

    @Test("UD English EWT v2.16: dev, test and train parse with the documented counts", arguments: [
        ("dev", Counts(sentences: 2_001, words: 25_147, surfaceTokens: 24_787, multiwordTokens: 359, emptyNodes: 4, uposTags: 17)),
        ("test", Counts(sentences: 2_077, words: 25_094, surfaceTokens: 24_740, multiwordTokens: 354, emptyNodes: 2, uposTags: 17)),
        ("train", Counts(sentences: 12_544, words: 204_577, surfaceTokens: 201_962, multiwordTokens: 2_614, emptyNodes: 37, uposTags: 17)),
    ])
    func englishEWT(split: String, expected: Counts) throws {
        guard let url = SharedData.require("data/ud_en_ewt/en_ewt-ud-\(split).conllu") else { return }
        let sentences = try CoNLLU.read(contentsOf: url)
        #expect(Counts(sentences) == expected)
        #expect(sentences.map(\.words.count).max() ?? 0 <= 159)
        #expect(sentences.allSatisfy { $0.sentenceID != nil && $0.text != nil })
        if split == "dev" {
            let first = sentences[0]
            #expect(first.sentenceID == "weblog-blogspot.com_nominations_20041117172713_ENG_20041117_172713-0001")
            #expect(first.text == "From the AP comes this story :")
            #expect(first.comment("newdoc id") == "weblog-blogspot.com_nominations_20041117172713_ENG_20041117_172713")
            #expect(first.forms == ["From", "the", "AP", "comes", "this", "story", ":"])
            #expect(first.uposTags == ["ADP", "DET", "PROPN", "VERB", "DET", "NOUN", "PUNCT"])
            #expect(first.words[3] == CoNLLUWord(id: 4, form: "comes", lemma: "come", upos: "VERB", xpos: "VBZ",
                                                 feats: "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin", head: 0,
                                                 deprel: "root", deps: "0:root", misc: "_", line: 8))
            // Empty nodes are kept apart from the words, which stay numbered 1…n.
            let withEmpty = try #require(sentences.first { !$0.emptyNodes.isEmpty })
            #expect(withEmpty.words.map(\.id) == Array(1...withEmpty.words.count))
            #expect(withEmpty.emptyNodes[0].id == "8.1" && withEmpty.emptyNodes[0].form == "write")
            // Multiword tokens span existing words.
            for sentence in sentences {
                for token in sentence.multiwordTokens { #expect(token.range.upperBound <= sentence.words.count) }
            }
        }
    }

    @Test("UD Chinese GSD v1.4 (no comments, no lemmas) and v2.17 parse with the documented counts", arguments: [
        ("v1.4/zh-ud-dev", Counts(sentences: 500, words: 12_663, surfaceTokens: 12_663, multiwordTokens: 0, emptyNodes: 0, uposTags: 15)),
        ("v1.4/zh-ud-test", Counts(sentences: 500, words: 12_012, surfaceTokens: 12_012, multiwordTokens: 0, emptyNodes: 0, uposTags: 15)),
        ("v1.4/zh-ud-train", Counts(sentences: 3_997, words: 98_608, surfaceTokens: 98_608, multiwordTokens: 0, emptyNodes: 0, uposTags: 15)),
        ("zh_gsd-ud-dev", Counts(sentences: 500, words: 12_665, surfaceTokens: 12_665, multiwordTokens: 0, emptyNodes: 0, uposTags: 16)),
        ("zh_gsd-ud-test", Counts(sentences: 500, words: 12_010, surfaceTokens: 12_010, multiwordTokens: 0, emptyNodes: 0, uposTags: 16)),
    ])
    func chineseGSD(file: String, expected: Counts) throws {
        guard let url = SharedData.require("data/ud_zh_gsd/\(file).conllu") else { return }
        let sentences = try CoNLLU.read(contentsOf: url)
        #expect(Counts(sentences) == expected)
        if file.hasPrefix("v1.4") {
            #expect(sentences.allSatisfy { $0.comments.isEmpty })
            if file.hasSuffix("dev") { #expect(sentences[0].forms.prefix(3) == ["同樣", ",", "施力"]) }
            #expect(Set(sentences.flatMap(\.uposTags)).contains("CONJ"))
        } else {
            #expect(sentences[0].sentenceID == "dev-s1" || sentences[0].sentenceID == "test-s1")
        }
    }

    // MARK: Structure and tolerated variations

    @Test("words, multiword tokens, empty nodes and comments are kept apart")
    func structure() throws {
        let text = """
        # sent_id = a1
        # text = Don't go.
        # note without equals
        1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No
        1\tDo\tdo\tAUX\tVB\t_\t3\taux\t3:aux\t_
        2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t3:advmod\t_
        2.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t0:root\t_
        3\tgo\tgo\tVERB\tVB\t_\t0\troot\t0:root\tSpaceAfter=No
        4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t3:punct\t_

        1\tYes\tyes\tINTJ\tUH\t_\t_\t_\t_\t_
        """
        let sentences = try CoNLLU.parse(text, fileName: "inline.conllu")
        #expect(sentences.count == 2)
        let first = sentences[0]
        #expect(first.comments == ["sent_id = a1", "text = Don't go.", "note without equals"])
        #expect(first.sentenceID == "a1" && first.text == "Don't go." && first.comment("note without equals") == nil)
        #expect(first.forms == ["Do", "n't", "go", "."])
        #expect(first.multiwordTokens == [CoNLLUMultiwordToken(range: 1...2, form: "Don't", misc: "SpaceAfter=No", line: 4)])
        #expect(first.emptyNodes == [CoNLLUEmptyNode(major: 2, minor: 1, form: "go", lemma: "go", upos: "VERB", xpos: "VB",
                                                     deps: "0:root", line: 7)])
        #expect(first.surfaceTokenCount == 3)
        #expect(first.line == 1)
        #expect(sentences[1].line == 11 && sentences[1].words[0].head == nil && sentences[1].comments.isEmpty)
    }

    @Test("tolerated: no blank line at the end, several blank lines, CRLF line ends, a byte order mark, an empty node before word 1")
    func toleratedVariations() throws {
        let plain = "1\ta" + wordLine + "\n\n\n\n1\tb" + wordLine
        #expect(try CoNLLU.parse(plain).map(\.forms) == [["a"], ["b"]])
        let crlf = "# text = a\r\n1\ta" + wordLine + "\r\n\r\n"
        let parsed = try CoNLLU.parse(crlf)
        #expect(parsed.map(\.forms) == [["a"]] && parsed[0].text == "a" && parsed[0].words[0].misc == "_")
        let bom = [0xEF, 0xBB, 0xBF] + Array(("1\ta" + wordLine + "\n").utf8)
        #expect(try CoNLLU.parse(bytes: bom, fileName: "bom").map(\.forms) == [["a"]])
        let early = "0.1\tpro\t_\tPRON\t_\t_\t_\t_\t1:nsubj\t_\n1\ta" + wordLine + "\n"
        #expect(try CoNLLU.parse(early)[0].emptyNodes.map(\.id) == ["0.1"])
        #expect(try CoNLLU.parse("").isEmpty)
        #expect(try CoNLLU.parse("\n\n").isEmpty)
    }

    // MARK: Malformed files

    @Test("malformed lines give FILE:LINE: reason", arguments: [
        ("1\ta\t_\tX\t_\t_\t0\troot\t_", 1, "expected 10 tab-separated columns, found 9"),
        ("1\ta" + wordLine + "\t_", 1, "expected 10 tab-separated columns, found 11"),
        ("# ok\n1\ta" + wordLine + "\n2\t\t_\tX\t_\t_\t0\troot\t_\t_", 3, "column 2 (FORM) is empty; use _ for an unspecified value"),
        ("x\ta" + wordLine, 1, "bad ID 'x': expected a word number N ≥ 1, a range N-M or an empty node N.M"),
        ("0\ta" + wordLine, 1, "bad ID '0': expected a word number N ≥ 1, a range N-M or an empty node N.M"),
        ("-1\ta" + wordLine, 1, "bad ID '-1': a range must be N-M with integers N ≥ 1"),
        ("1\ta" + wordLine + "\n3\tb" + wordLine, 2, "word ID 3 out of sequence: expected 2"),
        ("1\ta" + wordLine + "\n1\tb" + wordLine, 2, "word ID 1 out of sequence: expected 2"),
        ("2-3\tab" + wordLine + "\n1\ta" + wordLine, 1, "range 2-3 out of place: it must come right before word 2, and the next word is 1"),
        ("1-1\taa" + wordLine, 1, "bad ID '1-1': a range must end after it starts"),
        ("1-2\tab" + wordLine + "\n1\ta" + wordLine + "\n2-3\tbc" + wordLine, 3, "range 2-3 overlaps the range ending at word 2"),
        ("1-3\tabc" + wordLine + "\n1\ta" + wordLine + "\n2\tb" + wordLine, 1, "range 1-3 goes past the last word (2)"),
        ("1\ta" + wordLine + "\n2.1\tx" + wordLine, 2, "empty node 2.1 out of place: it must follow word 2, but the previous word is 1"),
        ("1\ta" + wordLine + "\n1.2\tx" + wordLine, 2, "empty node 1.2 out of sequence: expected 1.1"),
        ("1\ta" + wordLine + "\n1.0\tx" + wordLine, 2, "bad ID '1.0': an empty node must be N.M with integers N ≥ 0 and M ≥ 1"),
        ("1\ta\t_\tX\t_\t_\tone\troot\t_\t_", 1, "bad HEAD 'one': expected a word number (0 for the root) or _"),
        ("1\ta\t_\tX\t_\t_\t0\troot\t_\t_\n2\tb\t_\tX\t_\t_\t7\tdep\t_\t_", 2, "HEAD 7 points outside the sentence (it has 2 words)"),
        ("1\ta\t_\tX\t_\t_\t1\troot\t_\t_", 1, "word 1 is its own HEAD"),
        ("1\ta" + wordLine + "\n# late comment", 2, "comment line after the token lines of a sentence (missing blank line?)"),
        ("1\ta" + wordLine + "\n  \n1\tb" + wordLine, 2, "a blank line must be empty (it holds spaces or tabs)"),
        ("# sent_id = x\n# text = nothing\n\n1\ta" + wordLine, 1, "sentence has comments but no words"),
        ("1\ta" + wordLine + "\n\n# sent_id = last", 3, "sentence has comments but no words"),
    ])
    func malformed(text: String, line: Int, reason: String) {
        let error = conlluError { () throws(CoNLLUError) in try CoNLLU.parse(text, fileName: "bad.conllu") }
        #expect(error == CoNLLUError(file: "bad.conllu", line: line, reason: reason))
        #expect(error?.description == "bad.conllu:\(line): \(reason)")
    }

    @Test("invalid UTF-8 is reported with its line")
    func invalidUTF8() {
        let bytes = Array(("1\ta" + wordLine + "\n2\t").utf8) + [0xC3, 0x28] + Array(wordLine.utf8)
        let error = conlluError { () throws(CoNLLUError) in try CoNLLU.parse(bytes: bytes, fileName: "latin1.conllu") }
        #expect(error?.description == "latin1.conllu:2: invalid UTF-8")
    }

    @Test("a real file corrupted at one line is rejected at that line, with the file's path")
    func corruptedRealFile() throws {
        guard let source = SharedData.require("data/ud_en_ewt/en_ewt-ud-dev.conllu") else { return }
        var lines = try String(contentsOf: source, encoding: .utf8).components(separatedBy: "\n")
        // The first word line from line 10,000 on.
        let target = try #require((10_000...lines.count).first { lines[$0 - 1].first?.isNumber == true })
        let columns = lines[target - 1].components(separatedBy: "\t")
        #expect(columns.count == 10)
        lines[target - 1] = columns.prefix(8).joined(separator: "\t")  // drop DEPS and MISC
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("corrupt.conllu")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let error = conlluError { () throws(CoNLLUError) in try CoNLLU.read(contentsOf: url) }
        #expect(error?.description == "\(url.path):\(target): expected 10 tab-separated columns, found 8")
    }

    @Test("a missing file is one clear error without a line")
    func missingFile() {
        let error = conlluError { () throws(CoNLLUError) in try CoNLLU.read(contentsOf: URL(fileURLWithPath: "/nonexistent/x.conllu")) }
        #expect(error?.file == "/nonexistent/x.conllu" && error?.line == nil)
        #expect(error?.description.hasPrefix("/nonexistent/x.conllu: cannot read the file") == true)
    }
}
