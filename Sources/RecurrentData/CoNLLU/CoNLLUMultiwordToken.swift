/// A multiword token: a range line such as `1-2  don't` that spans the syntactic words `1` and `2`
/// (`do`, `n't`). It is kept apart from the words; taggers work on the words.
public struct CoNLLUMultiwordToken: Equatable, Sendable {
    /// The IDs of the words it spans, e.g. `1...2`.
    public var range: ClosedRange<Int>
    /// FORM: the surface token.
    public var form: String
    /// MISC (e.g. `SpaceAfter=No`).
    public var misc: String
    /// The 1-based line of the file.
    public var line: Int

    /// Makes a multiword token.
    public init(range: ClosedRange<Int>, form: String, misc: String = "_", line: Int = 0) {
        self.range = range
        self.form = form
        self.misc = misc
        self.line = line
    }
}
