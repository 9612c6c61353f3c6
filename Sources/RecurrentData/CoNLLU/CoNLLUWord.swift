/// One syntactic word of a CoNLL-U sentence (a line whose ID is an integer), with its ten columns.
///
/// Columns hold the file's text as is; `_` means unspecified (except in FORM and LEMMA, where it can also be
/// a literal underscore).
public struct CoNLLUWord: Equatable, Sendable {
    /// ID: the word's 1-based index in the sentence.
    public var id: Int
    /// FORM: the word form.
    public var form: String
    /// LEMMA.
    public var lemma: String
    /// UPOS: the universal part-of-speech tag (`NOUN`, `VERB`, …).
    public var upos: String
    /// XPOS: the language-specific tag.
    public var xpos: String
    /// FEATS: morphological features (`Number=Sing|Person=3`).
    public var feats: String
    /// HEAD: the ID of the syntactic head, 0 for the root; nil when unspecified (`_`).
    public var head: Int?
    /// DEPREL: the dependency relation to the head.
    public var deprel: String
    /// DEPS: the enhanced dependency graph (`4:nsubj|6:obj`).
    public var deps: String
    /// MISC: anything else (`SpaceAfter=No`).
    public var misc: String
    /// The 1-based line of the file this word came from.
    public var line: Int

    /// Makes a word from its columns.
    public init(id: Int, form: String, lemma: String = "_", upos: String = "_", xpos: String = "_", feats: String = "_",
                head: Int? = nil, deprel: String = "_", deps: String = "_", misc: String = "_", line: Int = 0) {
        self.id = id
        self.form = form
        self.lemma = lemma
        self.upos = upos
        self.xpos = xpos
        self.feats = feats
        self.head = head
        self.deprel = deprel
        self.deps = deps
        self.misc = misc
        self.line = line
    }
}
