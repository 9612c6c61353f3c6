import ArgumentParser

/// PLACEHOLDER: replaced by the benchmark work.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the benchmarks and print JSON.")
    func run() throws { throw ValidationError("not implemented yet") }
}
