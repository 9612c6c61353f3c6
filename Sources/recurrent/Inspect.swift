import ArgumentParser
import Foundation
import Recurrent

/// `recurrent inspect FILE…`: lists each safetensors file's tensors (name, dtype, shape, bytes) and metadata.
///
/// A file that cannot be read or is malformed gets exactly one line on standard error, `FILE: what is
/// wrong`; the other files are still listed, and the command exits with status 1 at the end.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors and metadata of safetensors files.",
        discussion: "Prints a table (name, dtype, shape, bytes) and the metadata of each file. A malformed file gets one line on standard error and makes the exit status 1."
    )

    @Argument(help: "The safetensors files to list.")
    var files: [String]

    func run() throws {
        var failed = false
        var listedAny = false
        for path in files {
            do {
                let file = try SafeTensorsFile(path: path)
                if listedAny { print("") }
                listedAny = true
                print(path)
                print(file.summary())
            } catch {
                failed = true
                FileHandle.standardError.write(Data("\(path): \(error)\n".utf8))
            }
        }
        if failed { throw ExitCode.failure }
    }
}
