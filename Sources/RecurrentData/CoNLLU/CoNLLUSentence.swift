/// One sentence of a CoNLL-U file: its comment lines, its syntactic words, and — kept apart — its multiword
/// tokens and empty nodes.
public struct CoNLLUSentence: Equatable, Sendable {
    /// The comment lines, without the leading `#` and one following space (`"sent_id = dev-0001"`).
    public var comments: [String]
    /// The syntactic words (integer IDs 1, 2, …), in order: what a tagger tags.
    public var words: [CoNLLUWord]
    /// The multiword-token range lines (`1-2`).
    public var multiwordTokens: [CoNLLUMultiwordToken]
    /// The empty nodes (`8.1`).
    public var emptyNodes: [CoNLLUEmptyNode]
    /// The 1-based line where the sentence starts (its first comment or word line).
    public var line: Int

    /// Makes a sentence.
    public init(comments: [String] = [], words: [CoNLLUWord], multiwordTokens: [CoNLLUMultiwordToken] = [],
                emptyNodes: [CoNLLUEmptyNode] = [], line: Int = 0) {
        self.comments = comments
        self.words = words
        self.multiwordTokens = multiwordTokens
        self.emptyNodes = emptyNodes
        self.line = line
    }

    /// The value of a `key = value` comment (the first one with that key), e.g. `comment("sent_id")`.
    public func comment(_ key: String) -> String? {
        for comment in comments {
            guard let equals = comment.firstIndex(of: "=") else { continue }
            if comment[..<equals].trimmingSpaces() == key { return comment[comment.index(after: equals)...].trimmingSpaces() }
        }
        return nil
    }

    /// The `# sent_id = …` comment.
    public var sentenceID: String? { comment("sent_id") }
    /// The `# text = …` comment.
    public var text: String? { comment("text") }
    /// The words' forms, `[words.count]`.
    public var forms: [String] { words.map(\.form) }
    /// The words' UPOS tags, `[words.count]`.
    public var uposTags: [String] { words.map(\.upos) }
    /// The number of surface tokens: words not inside a multiword token, plus the multiword tokens.
    public var surfaceTokenCount: Int {
        words.count - multiwordTokens.reduce(0) { $0 + $1.range.count } + multiwordTokens.count
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var start = startIndex, end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start, self[index(before: end)] == " " || self[index(before: end)] == "\t" { end = index(before: end) }
        return String(self[start..<end])
    }
}
