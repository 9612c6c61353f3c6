import Foundation

/// Reads CoNLL-U files (Universal Dependencies): sentences separated by blank lines, each made of `#`
/// comment lines followed by token lines of ten tab-separated columns
/// (ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC).
///
/// ```swift
/// let sentences = try CoNLLU.read(contentsOf: url)
/// for sentence in sentences { print(sentence.forms, sentence.uposTags) }
/// ```
///
/// The reader is strict — every problem is a `CoNLLUError` naming the file, the line and the reason:
/// a wrong number of columns, an empty column, an ID that is not `N`, `N-M` or `N.M`, word IDs out of
/// sequence, a range or empty node out of place, a HEAD that is not a number or points outside the
/// sentence, a comment after the token lines, invalid UTF-8, a sentence without words. It tolerates what
/// is harmless: a missing blank line at the end of the file, several blank lines in a row, CRLF line ends
/// and a UTF-8 byte order mark.
public enum CoNLLU {
    /// Reads and parses a CoNLL-U file.
    /// - Throws: `CoNLLUError` (for an unreadable file with no line number).
    public static func read(contentsOf url: URL) throws(CoNLLUError) -> [CoNLLUSentence] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CoNLLUError(file: url.path, line: nil, reason: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(bytes: [UInt8](data), fileName: url.path)
    }

    /// Parses CoNLL-U text.
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - fileName: the name used in error messages.
    /// - Throws: `CoNLLUError`.
    public static func parse(_ text: String, fileName: String = "<text>") throws(CoNLLUError) -> [CoNLLUSentence] {
        try parse(bytes: Array(text.utf8), fileName: fileName)
    }

    /// Parses CoNLL-U bytes (UTF-8).
    /// - Parameters:
    ///   - bytes: the file's contents.
    ///   - fileName: the name used in error messages.
    /// - Throws: `CoNLLUError`.
    public static func parse(bytes: [UInt8], fileName: String) throws(CoNLLUError) -> [CoNLLUSentence] {
        var parser = CoNLLUParser(fileName: fileName)
        var result: Result<[CoNLLUSentence], CoNLLUError> = .success([])
        bytes.withUnsafeBufferPointer { buffer in
            do throws(CoNLLUError) {
                result = .success(try parser.parse(buffer))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }
}

/// The line-by-line state machine behind `CoNLLU.parse`.
struct CoNLLUParser {
    let fileName: String
    private var sentences: [CoNLLUSentence] = []
    // The sentence being read.
    private var comments: [String] = []
    private var words: [CoNLLUWord] = []
    private var ranges: [CoNLLUMultiwordToken] = []
    private var emptyNodes: [CoNLLUEmptyNode] = []
    private var sentenceLine = 0
    private var lastRangeEnd = 0

    init(fileName: String) {
        self.fileName = fileName
    }

    private func failure(_ line: Int, _ reason: String) -> CoNLLUError {
        CoNLLUError(file: fileName, line: line, reason: reason)
    }

    mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(CoNLLUError) -> [CoNLLUSentence] {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        var lineNumber = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            try handleLine(UnsafeBufferPointer(rebasing: bytes[start..<contentEnd]), number: lineNumber)
            start = end + 1
        }
        try finishSentence(endLine: lineNumber)
        return sentences
    }

    private mutating func handleLine(_ line: UnsafeBufferPointer<UInt8>, number: Int) throws(CoNLLUError) {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            guard line.isEmpty else { throw failure(number, "a blank line must be empty (it holds spaces or tabs)") }
            try finishSentence(endLine: number)
            return
        }
        if line[0] == UInt8(ascii: "#") {
            guard words.isEmpty && ranges.isEmpty && emptyNodes.isEmpty else {
                throw failure(number, "comment line after the token lines of a sentence (missing blank line?)")
            }
            if comments.isEmpty { sentenceLine = number }
            var text = try string(UnsafeBufferPointer(rebasing: line[1...]), number)
            if text.hasPrefix(" ") { text.removeFirst() }
            comments.append(text)
            return
        }
        if words.isEmpty && ranges.isEmpty && emptyNodes.isEmpty && comments.isEmpty { sentenceLine = number }

        // Split into exactly ten columns.
        var columns: [Range<Int>] = []
        columns.reserveCapacity(10)
        var fieldStart = 0
        for i in 0..<line.count where line[i] == 0x09 {
            columns.append(fieldStart..<i)
            fieldStart = i + 1
        }
        columns.append(fieldStart..<line.count)
        guard columns.count == 10 else {
            throw failure(number, "expected 10 tab-separated columns, found \(columns.count)")
        }
        for (index, range) in columns.enumerated() where range.isEmpty {
            throw failure(number, "column \(index + 1) (\(CoNLLUParser.columnNames[index])) is empty; use _ for an unspecified value")
        }
        var fields: [String] = []
        fields.reserveCapacity(10)
        for range in columns { fields.append(try string(UnsafeBufferPointer(rebasing: line[range]), number)) }

        let id = fields[0]
        if let dash = id.firstIndex(of: "-") {
            guard let first = CoNLLUParser.number(id[..<dash]), let last = CoNLLUParser.number(id[id.index(after: dash)...]), first >= 1 else {
                throw failure(number, "bad ID '\(id)': a range must be N-M with integers N ≥ 1")
            }
            guard first < last else { throw failure(number, "bad ID '\(id)': a range must end after it starts") }
            let next = (words.last?.id ?? 0) + 1
            guard first == next else {
                throw failure(number, "range \(id) out of place: it must come right before word \(first), and the next word is \(next)")
            }
            guard first > lastRangeEnd else { throw failure(number, "range \(id) overlaps the range ending at word \(lastRangeEnd)") }
            lastRangeEnd = last
            ranges.append(CoNLLUMultiwordToken(range: first...last, form: fields[1], misc: fields[9], line: number))
        } else if let dot = id.firstIndex(of: ".") {
            guard let major = CoNLLUParser.number(id[..<dot]), let minor = CoNLLUParser.number(id[id.index(after: dot)...]), minor >= 1 else {
                throw failure(number, "bad ID '\(id)': an empty node must be N.M with integers N ≥ 0 and M ≥ 1")
            }
            let previousWord = words.last?.id ?? 0
            guard major == previousWord else {
                throw failure(number, "empty node \(id) out of place: it must follow word \(major), but the previous word is \(previousWord)")
            }
            let expectedMinor = (emptyNodes.last.map { $0.major == major ? $0.minor : 0 } ?? 0) + 1
            guard minor == expectedMinor else {
                throw failure(number, "empty node \(id) out of sequence: expected \(major).\(expectedMinor)")
            }
            emptyNodes.append(CoNLLUEmptyNode(major: major, minor: minor, form: fields[1], lemma: fields[2], upos: fields[3],
                                              xpos: fields[4], feats: fields[5], deps: fields[8], misc: fields[9], line: number))
        } else {
            guard let wordID = CoNLLUParser.number(id[...]), wordID >= 1 else {
                throw failure(number, "bad ID '\(id)': expected a word number N ≥ 1, a range N-M or an empty node N.M")
            }
            let expected = (words.last?.id ?? 0) + 1
            guard wordID == expected else { throw failure(number, "word ID \(wordID) out of sequence: expected \(expected)") }
            let head: Int?
            if fields[6] == "_" {
                head = nil
            } else if let value = CoNLLUParser.number(fields[6][...]) {
                head = value
            } else {
                throw failure(number, "bad HEAD '\(fields[6])': expected a word number (0 for the root) or _")
            }
            words.append(CoNLLUWord(id: wordID, form: fields[1], lemma: fields[2], upos: fields[3], xpos: fields[4],
                                    feats: fields[5], head: head, deprel: fields[7], deps: fields[8], misc: fields[9], line: number))
        }
    }

    private mutating func finishSentence(endLine: Int) throws(CoNLLUError) {
        defer {
            comments = []
            words = []
            ranges = []
            emptyNodes = []
            lastRangeEnd = 0
        }
        if words.isEmpty {
            if !ranges.isEmpty || !emptyNodes.isEmpty {
                throw failure(sentenceLine, "sentence has no words, only range lines or empty nodes")
            }
            if !comments.isEmpty { throw failure(sentenceLine, "sentence has comments but no words") }
            return
        }
        let count = words.count
        for word in words {
            if let head = word.head, head > count {
                throw failure(word.line, "HEAD \(head) points outside the sentence (it has \(count) words)")
            }
            if let head = word.head, head == word.id { throw failure(word.line, "word \(word.id) is its own HEAD") }
        }
        if let range = ranges.last, range.range.upperBound > count {
            throw failure(range.line, "range \(range.range.lowerBound)-\(range.range.upperBound) goes past the last word (\(count))")
        }
        sentences.append(CoNLLUSentence(comments: comments, words: words, multiwordTokens: ranges, emptyNodes: emptyNodes, line: sentenceLine))
    }

    /// The bytes as a String, or an error when they are not valid UTF-8.
    private func string(_ bytes: UnsafeBufferPointer<UInt8>, _ number: Int) throws(CoNLLUError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw failure(number, "invalid UTF-8") }
        return text
    }

    /// A non-negative decimal integer made of ASCII digits only (no sign, no spaces), or nil.
    static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    static let columnNames = ["ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC"]
}
