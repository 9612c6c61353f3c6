import Foundation
import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// `scripts/export_parity_case.py` run by Python with torch (skipped, with a printed reason, without them):
/// cases exported without an initial state or with unbatched input must run and pass.
@Suite struct ExportParityCaseScriptTests {
    /// Runs `python3 -c program` with `scripts` on the path; nil (and a printed reason) when Python, torch or
    /// safetensors is missing.
    static func python(_ program: String) throws -> (status: Int32, output: String)? {
        func run(_ source: String) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", source]
            var environment = ProcessInfo.processInfo.environment
            environment["PYTHONPATH"] = SharedData.packageRoot.appendingPathComponent("scripts").path
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        guard (try? run("import torch, safetensors"))?.0 == 0 else {
            print("skipped: python3 with torch and safetensors is not available")
            return nil
        }
        return try run(program)
    }

    @Test func exportedCasesWithoutAStateOrUnbatchedPass() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let program = """
        import torch, export_parity_case as e
        torch.manual_seed(0)
        out = "\(folder.path)/"
        e.export_case(torch.nn.LSTMCell(3, 4), torch.randn(2, 3), out + "lstmcell_no_state.safetensors")
        e.export_case(torch.nn.GRUCell(3, 4), torch.randn(3), out + "grucell_unbatched.safetensors")
        e.export_case(torch.nn.RNNCell(3, 4, nonlinearity="relu"), torch.randn(3), out + "rnncell_unbatched_state.safetensors", state=torch.randn(4))
        e.export_case(torch.nn.LSTM(3, 5, 2, bidirectional=True, proj_size=2, batch_first=True), torch.randn(6, 3), out + "lstm_unbatched.safetensors")
        e.export_case(torch.nn.GRU(3, 4, batch_first=True), torch.randn(2, 5, 3), out + "gru_no_state_lengths.safetensors", lengths=[5, 2])
        e.export_case(torch.nn.RNN(3, 4), torch.randn(5, 3), out + "rnn_unbatched_state.safetensors", state=torch.randn(1, 4))
        """
        guard let (status, output) = try Self.python(program) else { return }
        #expect(status == 0, "\(output)")
        let expectedStates: [String: [String: [Int]]] = [
            "lstmcell_no_state": ["input.h": [2, 4], "input.c": [2, 4]],
            "grucell_unbatched": ["input.x": [3], "input.h": [4]],
            "rnncell_unbatched_state": ["input.x": [3], "input.h": [4]],
            "lstm_unbatched": ["input.x": [6, 3], "input.h0": [4, 2], "input.c0": [4, 5], "output.output": [6, 4]],
            "gru_no_state_lengths": ["input.h0": [1, 2, 4]],
            "rnn_unbatched_state": ["input.h0": [1, 4], "output.h_n": [1, 4]],
        ]
        for (name, shapes) in expectedStates.sorted(by: { $0.key < $1.key }) {
            let url = folder.appendingPathComponent(name + ".safetensors")
            let golden = try GoldenCase(contentsOf: url)
            for (key, shape) in shapes { #expect(golden.tensors[key]?.shape == shape, "\(name): \(key)") }
            let report = try Parity.run(url)
            #expect(report.passed, "\(name): worst \(report.worst.map { "\($0.name) \($0.maxScaledError)" } ?? "none")")
            #expect(report.entries.contains { $0.name == (golden.tensors["input.h0"] != nil ? "grad.input.h0" : "grad.input.h") })
        }
        let unbatched = try GoldenCase(contentsOf: folder.appendingPathComponent("lstm_unbatched.safetensors"))
        #expect(unbatched.configuration["seq_len"] == .integer(6) && unbatched.configuration["unbatched"] == .bool(true)
                && unbatched.configuration["batch"] == nil)
    }
}
