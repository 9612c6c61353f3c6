import Foundation
import Testing
import TestSupport

/// The DocC tutorial's snippets run and print exactly what the page shows.
@Suite("Docs")
struct DocsTests {
    /// (snippet name, the output block after it) for every `@Snippet` of the tutorial.
    static func snippets() throws -> [(name: String, output: String)] {
        let url = SharedData.packageRoot.appendingPathComponent("Sources/RecurrentNN/RecurrentNN.docc/WalkingTheBrief.md")
        let lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        var result: [(String, String)] = []
        for (i, line) in lines.enumerated() where line.hasPrefix("@Snippet(path: \"Recurrent/Snippets/") {
            let name = String(line.dropFirst("@Snippet(path: \"Recurrent/Snippets/".count).dropLast(2))
            guard let start = lines[i...].firstIndex(of: "```text"), let end = lines[(start + 1)...].firstIndex(of: "```") else { continue }
            result.append((name, lines[(start + 1)..<end].map { $0 + "\n" }.joined()))
        }
        return result
    }

    @Test("every snippet of the tutorial prints what the page shows")
    func snippetsPrintTheirDocumentedOutput() throws {
        let snippets = try Self.snippets()
        #expect(snippets.map(\.name) == ["BriefRNN", "BriefLSTM", "BriefGRU", "BriefSeq2Seq", "BriefAttention", "BriefTagging"])
        for (name, output) in snippets {
            let binary = CLI.executable.deletingLastPathComponent().appendingPathComponent(name)
            try #require(FileManager.default.isExecutableFile(atPath: binary.path), "snippet \(name) is not built at \(binary.path)")
            let result = try CLI.run([], executable: binary)
            #expect(result.status == 0, "\(name): \(result.standardError)")
            #expect(result.standardOutput == output, "\(name) printed:\n\(result.standardOutput)\nthe page shows:\n\(output)")
        }
    }
}
