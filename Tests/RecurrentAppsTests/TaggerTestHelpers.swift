import Foundation
import Testing
import RecurrentData
@testable import RecurrentApps
import TestSupport

/// A tiny architecture for fast tests (debug builds are ~10× slower than release).
let tinyArchitecture = TaggerArchitecture(wordDimension: 24, characterDimension: 12, characterHidden: 12, hidden: 24,
                                          layerCount: 1, dropout: 0.2)

/// The first `count` sentences of a shared CoNLL-U file (nil, with a skip message or a CI failure, when missing).
/// Only the beginning of the file is parsed, so a slice of a large file is quick even in debug builds.
func sharedSentences(_ relativePath: String, first count: Int, column: TagColumn = .upos,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> [TaggedSentence]? {
    guard let url = SharedData.require(relativePath, sourceLocation: sourceLocation) else { return nil }
    let bytes = [UInt8](try Data(contentsOf: url))
    var end = bytes.count, seen = 0
    for i in 1..<bytes.count where bytes[i] == 10 && bytes[i - 1] == 10 {
        seen += 1
        if seen == count { end = i + 1; break }
    }
    let sentences = try CoNLLU.parse(bytes: Array(bytes[..<end]), fileName: url.path)
    return sentences.prefix(count).map { TaggedSentence($0, column: column) }
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
