// Fuzzes model-folder loading: a tiny tagger folder (CRF, two layers) and a tiny G2P folder (attention,
// bidirectional encoder) are made once in a temporary folder, saved by the library's own writers; each input
// replaces one of their files, the folder is loaded with Tagger.load(from:) or G2PModel(contentsOf:), and the
// original file is put back. Tiny models keep an input to milliseconds (the shipped ones take seconds to load
// under ASan in a debug build); the loaders' checks are the same whatever the sizes.
//
// The input's first byte picks the file (byte % 6), the rest is its new content:
//   0 tagger config.json   1 tagger tags.json   2 tagger characters.json
//   3 g2p config.json      4 g2p letters.json   5 g2p model.safetensors header (the JSON text; the file is
//                                                 written as its 8-byte length, this header, the saved data)
// A thrown error is a correct answer; only a trap or a sanitizer report fails.
//
// RECURRENT_FUZZ_WRITE_SEEDS=DIR writes the six unmodified files as seeds (first byte included) and exits:
// that is how Fuzz/Corpus/ModelFolderFuzz was made.
import Foundation
import RecurrentApps
import RecurrentData

/// One replaceable file of a model folder copy.
private struct Slot {
    let folder: URL
    let name: String
    let original: [UInt8]
    let isTagger: Bool
    /// Turns the input into the file's bytes.
    let wrap: ([UInt8]) -> [UInt8]
}

private func readAll(_ url: URL) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: url.path) else { fatalError("fuzz: cannot read \(url.path)") }
    return [UInt8](data)
}

/// Saves the tiny models into `tagger` and `g2p`.
private func makeModels(tagger: URL, g2p: URL) throws {
    let sentences = [["The", "cat", "sat"], ["A", "dog", "ran", "."]]
    let words = Vocabulary(counting: sentences.map { $0.map { $0.lowercased() } })
    let characters = CharacterVocabulary(counting: sentences.joined())
    let tags = try Vocabulary(tokens: ["DET", "NOUN", "VERB", "PUNCT"], specials: .none)
    let architecture = TaggerArchitecture(wordDimension: 4, characterDimension: 3, characterHidden: 3, hidden: 4,
                                          layerCount: 2, maximumWordLength: 8, crf: true)
    let model = TaggerModel(architecture: architecture, wordCount: words.count, characterCount: characters.count, tagCount: tags.count)
    try Tagger(model: model, vocabularies: TaggerVocabularies(words: words, characters: characters, tags: tags), column: .upos)
        .save(to: tagger)
    try G2PModel(letters: ["A", "B", "C", "D"], phonemes: ["AH0", "B", "K", "D"], maximumWordLength: 8, maximumPhonemes: 8) {
        $0.sourceEmbeddingSize = 3; $0.targetEmbeddingSize = 3; $0.encoderHiddenSize = 4; $0.decoderHiddenSize = 5
        $0.encoderLayers = 2; $0.bidirectional = true
    }.save(to: g2p)
}

private let slots: [Slot] = {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-fuzz-models-\(getpid())")
    try? FileManager.default.removeItem(at: root)
    let tagger = root.appendingPathComponent("tagger"), g2p = root.appendingPathComponent("g2p")
    do {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try makeModels(tagger: tagger, g2p: g2p)
    } catch { fatalError("fuzz: cannot make the tiny models: \(error)") }
    // Remove the folders when libFuzzer exits normally (a crash leaves them in the temporary folder).
    atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory
        .appendingPathComponent("recurrent-fuzz-models-\(getpid())")) }
    let weights = readAll(g2p.appendingPathComponent("model.safetensors"))
    var headerLength = 0
    for i in 0..<8 { headerLength |= Int(weights[i]) << (8 * i) }
    let data = Array(weights[(8 + headerLength)...])
    func same(_ bytes: [UInt8]) -> [UInt8] { bytes }
    func slot(_ folder: URL, _ name: String, tagger: Bool, wrap: @escaping ([UInt8]) -> [UInt8] = same) -> Slot {
        Slot(folder: folder, name: name, original: readAll(folder.appendingPathComponent(name)), isTagger: tagger, wrap: wrap)
    }
    return [
        slot(tagger, "config.json", tagger: true),
        slot(tagger, "tags.json", tagger: true),
        slot(tagger, "characters.json", tagger: true),
        slot(g2p, "config.json", tagger: false),
        slot(g2p, "letters.json", tagger: false),
        slot(g2p, "model.safetensors", tagger: false) { header in
            var file = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64($0))) }
            file += header
            file += data
            return file
        },
    ]
}()

private func write(_ bytes: [UInt8], to url: URL) {
    guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes)) else { fatalError("fuzz: cannot write \(url.path)") }
}

/// With RECURRENT_FUZZ_WRITE_SEEDS set, writes the seeds and exits before fuzzing starts.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    guard let folder = ProcessInfo.processInfo.environment["RECURRENT_FUZZ_WRITE_SEEDS"] else { _ = slots; return 0 }
    let names = ["tagger-config", "tagger-tags", "tagger-characters", "g2p-config", "g2p-letters", "g2p-weights-header"]
    for (index, slot) in slots.enumerated() {
        var seed = slot.original
        if index == 5 {  // the header only
            let length = (0..<8).reduce(0) { $0 | Int(seed[$1]) << (8 * $1) }
            seed = Array(seed[8..<(8 + length)])
        }
        write([UInt8(index)] + seed, to: URL(fileURLWithPath: folder).appendingPathComponent(names[index]))
    }
    exit(0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 1, let data else { return 0 }
    let slot = slots[Int(data[0]) % slots.count]
    let url = slot.folder.appendingPathComponent(slot.name)
    write(slot.wrap(Array(UnsafeBufferPointer(start: data + 1, count: size - 1))), to: url)
    defer { write(slot.original, to: url) }
    if slot.isTagger {
        _ = try? Tagger.load(from: slot.folder)
    } else {
        _ = try? G2PModel(contentsOf: slot.folder)
    }
    return 0
}
