import ArgumentParser

/// PLACEHOLDER: replaced by the safetensors work.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the tensors and metadata of safetensors files.")
    @Argument var files: [String] = []
    func run() throws { throw ValidationError("not implemented yet") }
}
