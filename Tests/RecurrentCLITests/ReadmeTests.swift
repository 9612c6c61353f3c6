import Foundation
import Testing
import TestSupport

/// Every ```swift block of README.md is a complete program that compiles as written against the built
/// modules (type-checked with `swiftc`, imports included).
@Suite("README")
struct ReadmeTests {
    /// The ```swift blocks of README.md, in order.
    static func swiftBlocks() throws -> [String] {
        let text = try String(contentsOf: SharedData.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var blocks: [String] = [], current: [Substring]? = nil
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```swift") { current = [] } else if current != nil, line.hasPrefix("```") {
                blocks.append(current!.joined(separator: "\n") + "\n")
                current = nil
            } else if current != nil { current!.append(line) }
        }
        return blocks
    }

    @Test("the README's swift blocks are the snippets Readme*.swift, which are built with the package and run")
    func blocksAreSnippetsThatRun() throws {
        let blocks = try Self.swiftBlocks()
        let snippets = ["ReadmeLSTM", "ReadmeTagger", "ReadmeLanguageModel"]
        #expect(blocks.count == snippets.count)
        for (block, name) in zip(blocks, snippets) {
            let file = try String(contentsOf: SharedData.packageRoot.appendingPathComponent("Snippets/\(name).swift"), encoding: .utf8)
            #expect(file == block, "README block and Snippets/\(name).swift differ")
            let binary = CLI.executable.deletingLastPathComponent().appendingPathComponent(name)
            try #require(FileManager.default.isExecutableFile(atPath: binary.path), "snippet \(name) is not built")
            // Tagging the 25,000 test words takes minutes in a sanitizer's debug build: there it is built and
            // type-checked only (scripts/sanitize.sh sets RECURRENT_SANITIZER); every other test run runs it.
            if name == "ReadmeTagger", let sanitizer = ProcessInfo.processInfo.environment["RECURRENT_SANITIZER"] {
                print("ReadmeTagger not run under the \(sanitizer) sanitizer (too slow there); it runs in the other passes")
                continue
            }
            let result = try CLI.run([], timeout: 600, executable: binary)
            #expect(result.status == 0 && !result.standardOutput.isEmpty, "\(name): \(result.standardError)")
        }
    }

    @Test("every swift block of the README type-checks as a whole program")
    func blocksCompile() throws {
        let blocks = try Self.swiftBlocks()
        #expect(blocks.count >= 2)
        let build = CLI.executable.deletingLastPathComponent()
        let modules = build.appendingPathComponent("Modules"), moduleMap = build.appendingPathComponent("CRecurrentKernels.build/module.modulemap")
        try #require(FileManager.default.fileExists(atPath: modules.appendingPathComponent("Recurrent.swiftmodule").path),
                     "no built Recurrent module in \(modules.path)")
        let folder = try makeCLITemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (index, block) in blocks.enumerated() {
            #expect(block.contains("import Recurrent"), "block \(index + 1) lacks its import")
            let file = folder.appendingPathComponent("block\(index + 1).swift")
            try block.write(to: file, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["swiftc", "-typecheck", "-I", modules.path, "-Xcc", "-fmodule-map-file=\(moduleMap.path)", file.path]
            let errors = folder.appendingPathComponent("errors\(index + 1).txt")
            try Data().write(to: errors)
            process.standardError = try FileHandle(forWritingTo: errors)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            let messages = try String(contentsOf: errors, encoding: .utf8)
            #expect(process.terminationStatus == 0 && !messages.contains("warning:"), "README swift block \(index + 1):\n\(block)\n\(messages)")
        }
    }
}
