import ArgumentParser
import Foundation
import Logging
import Recurrent
import RecurrentServer

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the models over HTTP: a JSON API (/v1/tag, /v1/g2p, /v1/lm/generate), /healthz, /metrics and a web page at /.",
        discussion: "SIGTERM or SIGINT stops accepting connections, lets the requests in flight finish and exits 0.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0 = any free port; the chosen one is printed).") var port = 8080
    @Option(help: "Folder holding the model folders (tagger-en, tagger-zh, segmenter-zh, g2p, lm-shakespeare); default: the shipped Models/.")
    var models: String?
    @Option(help: "Milliseconds a request may wait for others to share its batch.") var batchWindow = 2.0
    @Option(help: "Most requests in one batched model call (1 = batching off).") var maxBatch = 64
    @Option(help: "Seconds before an idle connection is closed.") var idleTimeout = 30

    var settings: ServerSettings {
        var s = ServerSettings()
        (s.host, s.port, s.modelsDirectory) = (host, port, models)
        (s.batchWindow, s.maximumBatch, s.batching) = (batchWindow / 1000, maxBatch, maxBatch > 1)
        s.idleTimeout = idleTimeout
        return s
    }

    func validate() throws {
        try checkingOptions {
            try Check.count(port, "port", in: 0...65_535)
            try Check.that(batchWindow.isFinite && batchWindow >= 0 && batchWindow <= 1_000, "batchWindow", "\(batchWindow) is out of range; it must be 0 to 1000 ms")
            try Check.count(maxBatch, "maxBatch", in: 1...4_096)
            try Check.count(idleTimeout, "idleTimeout", in: 1...3_600)
            try Check.that(!host.isEmpty && host.count <= 255, "host", "must be an address or host name")
        }
        if let models {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: models, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--models: \(models) is not a folder")
            }
        }
    }

    func run() throws {
        try cleanly {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .info
                return handler
            }
            let server = try ModelServer(settings: settings)
            let finished = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var failure: Error?
            Task.detached {
                do {
                    try await server.run { port in
                        print("listening on http://\(server.settings.host):\(port)")
                        fflush(stdout)
                    }
                } catch {
                    failure = error
                }
                finished.signal()
            }
            finished.wait()
            if let failure { throw CommandFailure(description: "serve: \(failure)") }
        }
    }
}
