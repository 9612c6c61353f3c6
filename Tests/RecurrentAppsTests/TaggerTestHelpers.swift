import Foundation
import Testing
import RecurrentData
@testable import RecurrentApps
import TestSupport

/// A tiny architecture for fast tests (debug builds are ~10× slower than release).
let tinyArchitecture = TaggerArchitecture(wordDimension: 24, characterDimension: 12, characterHidden: 12, hidden: 24,
                                          layerCount: 1, dropout: 0.2)

/// The first `count` sentences of a shared CoNLL-U file (nil, with a skip message or a CI failure, when missing).
func sharedSentences(_ relativePath: String, first count: Int, column: TagColumn = .upos,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> [TaggedSentence]? {
    guard let url = SharedData.require(relativePath, sourceLocation: sourceLocation) else { return nil }
    return Array(try TaggedSentence.read(contentsOf: url, column: column).prefix(count))
}

/// A fresh empty folder under the system's temporary folder.
func makeTaggerTemporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("recurrent-tagger-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A small hand-made training set: determiners, nouns, verbs, punctuation.
let toySentences: [TaggedSentence] = [
    TaggedSentence(words: ["the", "dog", "runs", "."], tags: ["DET", "NOUN", "VERB", "PUNCT"]),
    TaggedSentence(words: ["a", "cat", "sleeps", "."], tags: ["DET", "NOUN", "VERB", "PUNCT"]),
    TaggedSentence(words: ["the", "cat", "runs"], tags: ["DET", "NOUN", "VERB"]),
    TaggedSentence(words: ["a", "dog", "sleeps", "!"], tags: ["DET", "NOUN", "VERB", "PUNCT"]),
]
