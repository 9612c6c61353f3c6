import Foundation
import Testing
import Recurrent
import TestSupport

/// A training run killed at any moment leaves its model folder complete or absent — never a folder that is
/// neither loadable nor missing — and the next run cleans what the killed one left.
@Suite("CLI: killed training runs")
struct CLIDurabilityTests {
    @Test("kill -9 during tagger train: the folder is absent or loads; leftovers are cleaned by the next run")
    func killedTaggerTraining() throws {
        guard let ewt = SharedData.require("data/ud_en_ewt/en_ewt-ud-train.conllu") else { return }
        let folder = try makeCLITemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 200 training and 50 dev sentences from the start of EWT.
        let blocks = try String(contentsOf: ewt, encoding: .utf8).components(separatedBy: "\n\n")
        let train = folder.appendingPathComponent("train.conllu"), dev = folder.appendingPathComponent("dev.conllu")
        try (blocks[0..<200].joined(separator: "\n\n") + "\n\n").write(to: train, atomically: true, encoding: .utf8)
        try (blocks[200..<250].joined(separator: "\n\n") + "\n\n").write(to: dev, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("model")
        let arguments = ["tagger", "train", "--train", train.path, "--dev", dev.path, "--out", out.path, "--plain", "--epochs", "4",
                         "--hidden", "8", "--layers", "1", "--word-dim", "8", "--char-dim", "4", "--char-hidden", "4"]
        var outcomes: [String] = []
        for delay in [0.05, 0.15, 0.3, 0.5, 0.8, 1.2, 2.0] {
            let process = Process()
            process.executableURL = CLI.executable
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(delay * 1e6))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if FileManager.default.fileExists(atPath: out.path) {
                #expect(throws: Never.self, "killed after \(delay) s: the folder exists but does not load") { _ = try Tagger.load(from: out) }
                outcomes.append("loads")
            } else {
                outcomes.append("absent")
            }
            // Nothing but the model folder and hidden leftovers of the killed writer.
            let visible = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
            #expect(visible == ["dev.conllu", "train.conllu"] || visible == ["dev.conllu", "model", "train.conllu"], "\(visible)")
        }
        // A full run afterwards succeeds and leaves no leftovers, inside the folder or beside it.
        let result = try CLI.run(arguments)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["dev.conllu", "model", "train.conllu"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".") }.isEmpty)
        _ = try Tagger.load(from: out)
        print("killed tagger train runs: \(outcomes.joined(separator: ", "))")
    }
}
