import Foundation
import Testing
@testable import RecurrentData

@Suite("Model folders are written whole")
struct ModelFolderTests {
    func temporaryParent() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-modelfolder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func contents(_ url: URL) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() }

    func write(_ folder: URL, _ files: [String: String]) throws {
        try ModelFolder.write(to: folder) { temporary in
            for (name, text) in files { try AtomicFile.write(text: text, to: temporary.appendingPathComponent(name)) }
        }
    }

    @Test("a new folder appears with every file, and nothing else is left beside it")
    func newFolder() throws {
        let parent = try temporaryParent()
        defer { try? FileManager.default.removeItem(at: parent) }
        let folder = parent.appendingPathComponent("model")
        try write(folder, ["config.json": "{}", "model.safetensors": "w"])
        #expect(contents(folder) == ["config.json", "model.safetensors"])
        #expect(contents(parent) == ["model"])
    }

    @Test("replacing keeps the old folder's other entries (checkpoints) and replaces its files")
    func replace() throws {
        let parent = try temporaryParent()
        defer { try? FileManager.default.removeItem(at: parent) }
        let folder = parent.appendingPathComponent("model")
        try write(folder, ["config.json": "old", "model.safetensors": "old"])
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
        try "held out".write(to: folder.appendingPathComponent("test-pairs.txt"), atomically: true, encoding: .utf8)
        try write(folder, ["config.json": "new", "model.safetensors": "new"])
        #expect(contents(folder) == ["checkpoints", "config.json", "model.safetensors", "test-pairs.txt"])
        #expect(try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8) == "new")
        #expect(try String(contentsOf: folder.appendingPathComponent("test-pairs.txt"), encoding: .utf8) == "held out")
        #expect(contents(parent) == ["model"])
    }

    @Test("a write that fails leaves the old folder as it was and no temporary folder")
    func failedWrite() throws {
        struct Boom: Error {}
        let parent = try temporaryParent()
        defer { try? FileManager.default.removeItem(at: parent) }
        let folder = parent.appendingPathComponent("model")
        try write(folder, ["config.json": "old"])
        #expect(throws: Boom.self) {
            try ModelFolder.write(to: folder) { temporary in
                try AtomicFile.write(text: "half", to: temporary.appendingPathComponent("model.safetensors"))
                throw Boom()
            }
        }
        #expect(contents(folder) == ["config.json"])
        #expect(try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8) == "old")
        #expect(contents(parent) == ["model"])
        // A first write that fails leaves nothing at all.
        #expect(throws: Boom.self) { try ModelFolder.write(to: parent.appendingPathComponent("other")) { _ in throw Boom() } }
        #expect(contents(parent) == ["model"])
    }

    @Test("leftovers of killed writes are cleaned, and an old folder caught between the renames is put back")
    func leftovers() throws {
        let parent = try temporaryParent()
        defer { try? FileManager.default.removeItem(at: parent) }
        let folder = parent.appendingPathComponent("model")
        let dead: Int32 = 2_147_483_000  // no such process
        // Killed between moving the old folder aside and renaming the new one into place.
        let old = parent.appendingPathComponent(".model.old-\(dead)-abc")
        try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
        try "old".write(to: old.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: parent.appendingPathComponent(".model.partial-\(dead)-def"), withIntermediateDirectories: true)
        // A partial folder of a writer that is still running (this process) is left alone.
        let live = parent.appendingPathComponent(".model.partial-\(getpid())-ghi")
        try FileManager.default.createDirectory(at: live, withIntermediateDirectories: true)
        ModelFolder.recoverAndClean(name: "model", in: parent)
        #expect(contents(parent) == [".model.partial-\(getpid())-ghi", "model"])
        #expect(try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8) == "old")
        // An AtomicFile temporary left inside the folder by a killed process goes at the next write.
        try "x".write(to: folder.appendingPathComponent(".tags.json.\(dead).k3j.tmp"), atomically: false, encoding: .utf8)
        try write(folder, ["config.json": "new"])
        #expect(contents(folder) == ["config.json"])
    }

    @Test("a file in the way is an error naming the folder")
    func fileInTheWay() throws {
        let parent = try temporaryParent()
        defer { try? FileManager.default.removeItem(at: parent) }
        let path = parent.appendingPathComponent("model")
        try "x".write(to: path, atomically: true, encoding: .utf8)
        #expect(throws: ModelFolder.WriteError(path: path.path, reason: "a file of that name is in the way")) { try write(path, ["a": "b"]) }
    }
}

@Suite("ModelLocator")
struct ModelLocatorTests {
    @Test("RECURRENT_MODELS first, each folder once, and a miss lists every folder searched")
    func locate() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-locator-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let model = root.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try AtomicFile.write(text: "{}", to: model.appendingPathComponent("config.json"))
        let environment = ["RECURRENT_MODELS": root.path]
        #expect(try ModelLocator.find("mine", environment: environment).path == model.path)
        let folders = ModelLocator.searchFolders(environment: environment)
        #expect(folders.first?.path == root.path)
        #expect(Set(folders.map(\.standardizedFileURL.path)).count == folders.count)
        do {
            _ = try ModelLocator.find("absent", environment: environment)
            Issue.record("found a model that does not exist")
        } catch {
            #expect(error.searched.first == root.appendingPathComponent("absent").path)
            #expect(error.searched.count == folders.count)
            #expect(error.description.hasPrefix("no 'absent' model found; looked in: \(root.path)/absent, "))
        }
    }
}
