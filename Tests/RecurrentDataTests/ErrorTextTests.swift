import Foundation
import Testing
import RecurrentData

@Suite("One-line error text")
struct ErrorTextTests {
    private struct Config: Decodable {
        var hiddenSize: Int
        var layers: [Int]
    }

    private func decodingError(_ json: String) -> Error? {
        do {
            _ = try JSONDecoder().decode(Config.self, from: Data(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test("coding errors name the key or the JSON path")
    func coding() throws {
        #expect(ErrorText.coding(try #require(decodingError(#"{"layers": []}"#))) == "missing key 'hiddenSize' at the top level")
        #expect(ErrorText.coding(try #require(decodingError(#"{"hiddenSize": 3, "layers": [1, "x"]}"#))) == "expected Int at layers.[1]")
        #expect(ErrorText.coding(try #require(decodingError(#"{"hiddenSize": null, "layers": []}"#))) == "expected Int at hiddenSize, found null")
        let corrupt = ErrorText.coding(try #require(decodingError("{bad")))
        #expect(corrupt.hasSuffix(" at the top level") && !corrupt.contains("\n") && !corrupt.contains(". at"), "\(corrupt)")
    }

    @Test("file errors give the path and the system's reason on one line")
    func files() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("error-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("missing.txt")
        for (url, reason) in [(missing, "No such file or directory"), (folder, "Is a directory")] {
            do {
                _ = try String(contentsOf: url, encoding: .utf8)
                Issue.record("reading \(url.path) should fail")
            } catch {
                #expect(ErrorText.reason(error) == reason)
                #expect(ErrorText.file(error) == "\(url.path): \(reason)")
            }
        }
        struct Plain: Error, CustomStringConvertible { var description: String { "two\nlines" } }
        #expect(ErrorText.reason(Plain()) == "two lines")
    }
}
