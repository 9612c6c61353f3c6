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
        printed, then the worst; the command exits 1 if any exceeds the tolerance, any of ours is NaN/Inf, or a file \
        cannot be run (malformed, inconsistent settings or shapes, nothing to compare, or an output or gradient \
        missing from the file or unknown to the library), printing FILE: reason in one line.
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
                    let mark = entry.passes(tolerance) ? " " : "!"
                    let name = entry.name.padding(toLength: max(34, entry.name.count), withPad: " ", startingAt: 0)
                    let nonFinite = entry.nonFiniteCount > 0 ? "  ours has \(entry.nonFiniteCount) NaN/Inf values" : ""
                    print("  \(mark) \(name) max abs \(format(entry.maxAbsoluteError))  scaled \(format(entry.maxScaledError))\(nonFinite)")
                }
                if let worst = report.worst { print("  worst: \(worst.name) scaled \(format(worst.maxScaledError))") }
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
