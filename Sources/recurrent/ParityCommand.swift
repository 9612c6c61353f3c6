import ArgumentParser
import Foundation
import Recurrent

/// `recurrent parity FILE…`: runs golden cases from PyTorch and prints the largest errors.
struct ParityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parity",
        abstract: "Check the library against PyTorch golden cases (values and every gradient).",
        discussion: """
        Each FILE is a case written by ../shared/golden/make_golden.py or scripts/export_parity_case.py. \
        For each output and gradient the largest |ours − PyTorch| and |ours − PyTorch| / (1 + |PyTorch|) are \
        printed; the command exits 1 if any exceeds the tolerance or a file cannot be run.
        """)

    @Argument(help: "Golden case files (.safetensors).")
    var files: [String]

    @Option(help: "Tolerance on |a − b| / (1 + |b|).")
    var tolerance: Float = Parity.defaultTolerance

    func run() throws {
        var failed = false
        for path in files {
            do {
                let report = try Parity.run(URL(fileURLWithPath: path), tolerance: tolerance)
                print("\(report.passed ? "ok  " : "FAIL") \(report.caseName) (\(report.module))")
                for entry in report.entries {
                    let mark = entry.maxScaledError <= tolerance ? " " : "!"
                    let name = entry.name.padding(toLength: max(34, entry.name.count), withPad: " ", startingAt: 0)
                    print("  \(mark) \(name) max abs \(format(entry.maxAbsoluteError))  scaled \(format(entry.maxScaledError))")
                }
                failed = failed || !report.passed
            } catch {
                FileHandle.standardError.write("\(path): \(error)\n".data(using: .utf8)!)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }

    private func format(_ value: Float) -> String { String(format: "%.2e", Double(value)) }
}
