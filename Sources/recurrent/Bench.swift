import ArgumentParser
import Foundation
import Recurrent

/// `recurrent bench`: times the benchmark suite and prints one JSON object.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time matrix products and recurrent layers; print JSON comparable with torch_bench.py.",
        discussion: "Cases: \(Benchmarks.names.joined(separator: ", ")). Build with -c release for meaningful figures.")

    @Flag(help: "Print only the JSON object (no progress lines on stderr).")
    var json = false

    @Option(help: "Comma-separated case names to run (default: all).")
    var only: String?

    @Option(help: "Least seconds of timed calls per case.")
    var minTime: Double = 1.0

    func validate() throws {
        if let only {
            let unknown = only.split(separator: ",").map(String.init).filter { !Benchmarks.names.contains($0) }
            if !unknown.isEmpty {
                throw ValidationError("unknown case(s): \(unknown.joined(separator: ", ")); known: \(Benchmarks.names.joined(separator: ", "))")
            }
        }
        guard minTime > 0 else { throw ValidationError("--min-time must be positive") }
    }

    func run() throws {
        let selected = only.map { $0.split(separator: ",").map(String.init) } ?? Benchmarks.names
        var cases: [String: Any] = [:]
        for name in Benchmarks.names where selected.contains(name) {
            if !json { FileHandle.standardError.write("running \(name)…\n".data(using: .utf8)!) }
            let before = RankChooser.shared.counts
            if var figures = Benchmarks.run(name, minTime: minTime) {
                // How the shared team's timed runs went: on all ranks or on one (`RankChooser`).
                let after = RankChooser.shared.counts
                if after.team + after.single > before.team + before.single {
                    figures["team_runs"] = Double(after.team - before.team)
                    figures["single_rank_runs"] = Double(after.single - before.single)
                }
                cases[name] = figures
            } else {
                cases[name] = ["skipped": "no BLAS library loaded"]
            }
        }
        let report: [String: Any] = [
            "machine": Benchmarks.machine, "blas": GEMM.backendDescription, "threads": Parallel.threadCount,
            "version": RecurrentVersion.string, "cases": cases,
        ]
        let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
