import Foundation
import Testing
import TestSupport

/// Runs the built `recurrent` executable (found next to the test bundle, in the same build folder) and
/// collects its exit status and output.
enum CLI {
    struct Result {
        var status: Int32
        /// True when the process was ended by a signal (a crash), not by exiting.
        var signaled: Bool
        var standardOutput: String
        var standardError: String
    }

    /// The executable: `RECURRENT_CLI` when set, else `recurrent` in the folder of the running test bundle.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["RECURRENT_CLI"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // On Linux the tests run from `<build>/debug/RecurrentPackageTests.xctest`; elsewhere from inside a bundle.
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("recurrent")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("recurrent")
    }

    /// Runs `recurrent ARGUMENTS…` (or another built program) in the package root with `input` on standard input, killing it after
    /// `timeout` seconds (recorded as a failure).
    static func run(_ arguments: [String], input: String = "", environment: [String: String] = [:], timeout: Double = 120,
                    executable: URL = CLI.executable, sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = SharedData.packageRoot
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        // Output goes to files (a full pipe could block the process); input comes from a file too.
        let folder = try makeCLITemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (inURL, outURL, errURL) = (folder.appendingPathComponent("in"), folder.appendingPathComponent("out"), folder.appendingPathComponent("err"))
        try Data(input.utf8).write(to: inURL)
        for url in [outURL, errURL] { try Data().write(to: url) }
        let (stdin, stdout, stderr) = (try FileHandle(forReadingFrom: inURL), try FileHandle(forWritingTo: outURL), try FileHandle(forWritingTo: errURL))
        defer { for handle in [stdin, stdout, stderr] { try? handle.close() } }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            Issue.record("recurrent \(arguments.joined(separator: " ")) did not finish in \(timeout) s", sourceLocation: sourceLocation)
        }
        process.waitUntilExit()
        let (outData, errData) = (try Data(contentsOf: outURL), try Data(contentsOf: errURL))
        return Result(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                      standardOutput: String(decoding: outData, as: UTF8.self), standardError: String(decoding: errData, as: UTF8.self))
    }

    /// Runs and checks the exit status, that no signal ended it, and that standard error's first line
    /// contains `message`.
    @discardableResult
    static func expect(_ arguments: [String], status: Int32, message: String, input: String = "",
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let result = try run(arguments, input: input, sourceLocation: sourceLocation)
        let command = "recurrent " + arguments.joined(separator: " ")
        #expect(!result.signaled, "\(command) was killed by signal \(result.status)", sourceLocation: sourceLocation)
        #expect(result.status == status, "\(command) exited \(result.status), expected \(status); stderr: \(result.standardError)",
                sourceLocation: sourceLocation)
        let firstLine = result.standardError.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.contains(message), "\(command): first stderr line '\(firstLine)' lacks '\(message)'", sourceLocation: sourceLocation)
        return result
    }
}

/// A fresh empty folder for one test.
func makeCLITemporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-cli-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
