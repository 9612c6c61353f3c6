import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// `recurrent serve` as a process: it prints the port it listens on, answers, and on SIGTERM finishes the
/// request in flight before exiting 0.
@Suite("recurrent serve")
struct ServeCommandTests {
    /// Starts `recurrent serve --port 0 …` and waits for its "listening on" line.
    static func start(_ extra: [String] = []) throws -> (process: Process, port: Int, output: URL) {
        let folder = try makeCLITemporaryFolder()
        let output = folder.appendingPathComponent("out")
        try Data().write(to: output)
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["serve", "--port", "0"] + extra
        process.currentDirectoryURL = SharedData.packageRoot
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && process.isRunning {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://") }),
               let port = Int(line.split(separator: ":").last ?? "") {
                return (process, port, output)
            }
            usleep(50_000)
        }
        process.terminate()
        throw CLITestFailure(message: "recurrent serve did not start listening within 120 s")
    }

    static func post(_ port: Int, _ path: String, _ body: String) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        (request.httpMethod, request.httpBody, request.timeoutInterval) = ("POST", Data(body.utf8), 120)
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test("serves on the port it prints; SIGTERM lets a streaming generation finish, then exits 0")
    func gracefulShutdown() async throws {
        let (process, port, _) = try Self.start()
        defer { if process.isRunning { process.terminate() } }
        let (status, body) = try await Self.post(port, "/v1/tag", #"{"lang": "zh", "text": "我吃瓜"}"#)
        #expect(status == 200 && body.contains(#""tags":["PRON","VERB","NOUN"]"#), "\(body)")
        let generation = Task { try await Self.post(port, "/v1/lm/generate", #"{"prompt": "ROMEO:", "length": 4000, "seed": 3}"#) }
        try await Task.sleep(for: .milliseconds(300))   // the generation is under way
        kill(process.processIdentifier, SIGTERM)
        let (generated, text) = try await generation.value
        #expect(generated == 200)
        #expect(text.unicodeScalars.count == 4000, "the request in flight was finished (\(text.unicodeScalars.count) characters)")
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    @Test("bad options are usage errors (64) before anything listens", arguments: [
        ["serve", "--port", "70000"], ["serve", "--max-batch", "0"], ["serve", "--batch-window", "-1"], ["serve", "--models", "/no/such/folder"],
    ])
    func badOptions(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64 && !result.signaled, "\(result.standardError)")
    }
}

/// A CLI test that could not go on.
struct CLITestFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
