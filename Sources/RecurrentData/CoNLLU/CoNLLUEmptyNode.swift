/// An empty node of the enhanced graph: a line with a decimal ID such as `8.1` (after word 8). It is kept
/// apart from the words; HEAD and DEPREL are unspecified for it, its relations are in DEPS.
public struct CoNLLUEmptyNode: Equatable, Sendable {
    /// The word it follows (0 when it comes before the first word).
    public var major: Int
    /// Its number among the empty nodes after that word, from 1.
    public var minor: Int
    /// FORM.
    public var form: String
    /// LEMMA.
    public var lemma: String
    /// UPOS.
    public var upos: String
    /// XPOS.
    public var xpos: String
    /// FEATS.
    public var feats: String
    /// DEPS.
    public var deps: String
    /// MISC.
    public var misc: String
    /// The 1-based line of the file.
    public var line: Int

    /// The ID as written, e.g. `"8.1"`.
    public var id: String { "\(major).\(minor)" }

    /// Makes an empty node.
    public init(major: Int, minor: Int, form: String, lemma: String = "_", upos: String = "_", xpos: String = "_",
                feats: String = "_", deps: String = "_", misc: String = "_", line: Int = 0) {
        self.major = major
        self.minor = minor
        self.form = form
        self.lemma = lemma
        self.upos = upos
        self.xpos = xpos
        self.feats = feats
        self.deps = deps
        self.misc = misc
        self.line = line
    }
}
