import Foundation
import Testing
import RecurrentData

@Suite("Atomic file writes")
struct AtomicFileTests {
    @Test("writes, replaces, and leaves no temporary files")
    func writeAndReplace() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("a.json")
        try AtomicFile.write(text: "first", to: url)
        try AtomicFile.write([0x7B, 0x7D], to: url)
        #expect(try Data(contentsOf: url) == Data("{}".utf8))
        #expect(folderContents(folder) == ["a.json"])
    }

    @Test("a missing folder is a one-line error naming the path")
    func missingFolder() {
        let url = URL(fileURLWithPath: "/nonexistent-folder/x.json")
        #expect(throws: AtomicFile.WriteError.self) { try AtomicFile.write(text: "x", to: url) }
        do {
            try AtomicFile.write(text: "x", to: url)
        } catch {
            #expect(error.path == url.path && error.description.hasPrefix("/nonexistent-folder/x.json: cannot write the file: "))
        }
    }
}
