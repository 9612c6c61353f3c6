import Foundation
import Testing
import TestSupport

/// Options out of range are usage errors (exit 64) named in one line, checked before any work; data that
/// cannot be used is an error (exit 1) naming the file; nothing ends in a signal.
@Suite("CLI: options and data")
struct CLIOptionTests {
    static let huge = "9223372036854775807"  // 2⁶³ − 1

    @Test("out-of-range options are usage errors naming the option and its range", arguments: [
        (["g2p", "--beam", "0", "hello"], "--beam: 0 is out of range; it must be in 1...64"),
        (["g2p", "--beam", "100000", "hello"], "--beam: 100000 is out of range"),
        (["translate", "--beam", "0", "je suis"], "--beam: 0 is out of range"),
        (["translate", "--beam=-1", "je suis"], "--beam: -1 is out of range"),
        (["translate", "eval", "--test", "x", "--beam", "100000"], "--beam: 100000 is out of range"),
        (["g2p", "eval", "--test", "x", "--beam", "65"], "--beam: 65 is out of range"),
        (["tagger", "eval", "--model", "m", "--data", "d", "--confusions=-1"], "--confusions: -1 is out of range"),
        (["translate", "train", "--train", "x", "--out", "y", "--epochs", "0"], "--epochs: 0 is out of range"),
        (["translate", "train", "--train", "x", "--out", "y", "--epochs=-1"], "--epochs: -1 is out of range"),
        (["translate", "train", "--train", "x", "--out", "y", "--test-pairs=-5"], "--test-pairs: -5 is out of range"),
        (["translate", "train", "--train", "x", "--out", "y", "--dev-pairs=-5"], "--dev-pairs: -5 is out of range"),
        (["translate", "train", "--train", "x", "--out", "y", "--hidden", "1000000000"], "--hidden: 1000000000 is out of range"),
        (["g2p", "train", "--train", "x", "--out", "y", "--dev-words=-1"], "--dev-words: -1 is out of range"),
        (["g2p", "train", "--train", "x", "--out", "y", "--dev-words", "0"], "--dev-words: 0 is out of range"),
        (["g2p", "train", "--train", "x", "--out", "y", "--learning-rate", "inf"], "--learning-rate: inf is not a usable learning rate"),
        (["g2p", "train", "--train", "x", "--out", "y", "--learning-rate", "1e308"], "--learning-rate: inf is not a usable learning rate"),
        (["g2p", "train", "--train", "x", "--out", "y", "--batch-size", huge], "--batch-size: \(huge) is out of range"),
        (["g2p", "train", "--train", "x", "--out", "y", "--encoder-hidden", "1000000000"], "--encoder-hidden: 1000000000 is out of range"),
        (["g2p", "train", "--train", "x", "--out", "y", "--dropout", "1"], "--dropout: 1.0 is out of range"),
        (["tagger", "train", "--train", "x", "--dev", "y", "--out", "z", "--batch-size", huge], "--batch-size: \(huge) is out of range"),
        (["tagger", "train", "--train", "x", "--dev", "y", "--out", "z", "--hidden", "1000000000"], "--hidden: 1000000000 is out of range"),
        (["tagger", "train", "--train", "x", "--dev", "y", "--out", "z", "--word-dim", "0"], "--word-dim: 0 is out of range"),
        (["tagger", "train", "--train", "x", "--dev", "y", "--out", "z", "--learning-rate", "nan"], "--learning-rate: nan is not a usable learning rate"),
        (["tagger", "train", "--train", "x", "--dev", "y", "--out", "z", "--layers", "1000000000"], "--layers: 1000000000 is out of range"),
        (["lm", "train", "--text", "x", "--out", "y", "--bptt", "0"], "--bptt: 0 is out of range"),
        (["lm", "train", "--text", "x", "--out", "y", "--hidden", "1000000000"], "--hidden: 1000000000 is out of range"),
        (["lm", "train", "--text", "x", "--out", "y", "--cell", "foo"], "--cell: 'foo' is not one of lstm, gru, rnn"),
        (["lm", "train", "--text", "x", "--out", "y", "--weight-dropout", "1"], "--weight-dropout: 1.0 is out of range"),
        (["lm", "train", "--text", "x", "--out", "y", "--schedule", "linear"], "--schedule: 'linear' is not constant or cosine"),
        (["lm", "sample", "--top-p", "0"], "--top-p: 0.0 is out of range"),
        (["lm", "sample", "--temperature", "nan"], "--temperature: nan is not a finite number"),
        (["lm", "sample", "--temperature", "1000"], "--temperature: 1000.0 is out of range"),
        (["lm", "eval", "--text", "x", "--chunk", "0"], "--chunk: 0 is out of range"),
    ])
    func usageErrors(arguments: [String], message: String) throws {
        try CLI.expect(arguments, status: 64, message: message)
    }

    @Test("empty or too small data is an error, not a success")
    func emptyData() throws {
        let folder = try makeCLITemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = folder.appendingPathComponent("empty.txt").path
        try Data().write(to: URL(fileURLWithPath: empty))
        try CLI.expect(["translate", "train", "--train", empty, "--out", folder.appendingPathComponent("t").path], status: 1,
                       message: "0 usable pairs, not enough for 1000 test and 500 dev pairs")
        try CLI.expect(["translate", "eval", "--test", empty], status: 1, message: "\(empty): no pairs to score")
        try CLI.expect(["g2p", "eval", "--test", empty, "--beam", "1"], status: 1, message: "\(empty): no dictionary entries")
        try CLI.expect(["g2p", "train", "--train", empty, "--out", folder.appendingPathComponent("g").path], status: 1,
                       message: "no dictionary entries")
        let two = folder.appendingPathComponent("two.dict").path
        try "ABC\tEY B IY S IY\nXYZ\tEH K S\n".write(toFile: two, atomically: true, encoding: .utf8)
        try CLI.expect(["g2p", "train", "--train", two, "--out", folder.appendingPathComponent("g").path, "--dev-words", "2"], status: 1,
                       message: "2 dev words leave nothing to train on: the dictionary has 2 words")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("g").path))
        try CLI.expect(["tagger", "eval", "--model", "Models/tagger-en", "--data", empty], status: 1, message: "\(empty) has no sentences")
        try "je suis\n".write(toFile: two, atomically: true, encoding: .utf8)
        try CLI.expect(["translate", "eval", "--test", two], status: 1, message: "\(two):1: expected SOURCE<TAB>TARGET")
    }

    @Test("over-long input is refused with the documented limit")
    func inputLimits() throws {
        let sentence = Array(repeating: "word", count: 1001).joined(separator: " ")
        try CLI.expect(["tag"], status: 1, message: "sentence 1: 1001 words long; at most 1000 per sentence", input: sentence + "\n")
        try CLI.expect(["g2p", String(repeating: "A", count: 200)], status: 1, message: "the model takes at most")
    }

    @Test("lm: a prompt outside the alphabet, an empty or non-UTF-8 text are one-line errors, and nothing is printed first")
    func languageModelInput() throws {
        let folder = try makeCLITemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try CLI.run(["lm", "sample", "--prompt", "Ωmega", "--length", "5"])
        #expect(result.status == 1 && result.standardOutput.isEmpty)
        #expect(result.standardError.contains("--prompt: character 'Ω' at position 0 is not in the model's alphabet of 65 characters"))
        let empty = folder.appendingPathComponent("empty.txt").path, bad = folder.appendingPathComponent("bad.txt").path
        try Data().write(to: URL(fileURLWithPath: empty))
        try Data([0xFF, 0xFE]).write(to: URL(fileURLWithPath: bad))
        try CLI.expect(["lm", "train", "--text", empty, "--out", folder.appendingPathComponent("m").path], status: 1, message: "the file is empty")
        try CLI.expect(["lm", "eval", "--text", bad], status: 1, message: "not valid UTF-8")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m").path))
    }

    @Test("lm sample: the same seed gives the same text from the shipped model")
    func languageModelSample() throws {
        let a = try CLI.run(["lm", "sample", "--prompt", "ROMEO:", "--length", "80", "--seed", "3"])
        let b = try CLI.run(["lm", "sample", "--prompt", "ROMEO:", "--length", "80", "--seed", "3"])
        #expect(a.status == 0 && a.standardOutput == b.standardOutput && a.standardOutput.hasPrefix("ROMEO:"))
        #expect(a.standardOutput.unicodeScalars.count == 6 + 80 + 1)
    }

    @Test("a missing file names the path and the reason")
    func missingFiles() throws {
        try CLI.expect(["g2p", "eval", "--test", "/nonexistent.ref"], status: 1, message: "/nonexistent.ref: No such file or directory")
        try CLI.expect(["tagger", "eval", "--model", "/nonexistent", "--data", "x"], status: 1, message: "/nonexistent")
        try CLI.expect(["inspect", "/nonexistent.safetensors"], status: 1, message: "/nonexistent.safetensors")
    }

    @Test("the main job still works")
    func mainJob() throws {
        let result = try CLI.run(["tag", "I saw her duck"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "I/PRON saw/VERB her/PRON duck/NOUN\n")
    }
}
