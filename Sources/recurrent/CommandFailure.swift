import ArgumentParser
import Foundation
import Recurrent

/// A command that could not finish: ArgumentParser prints `Error: <description>` (one line, no usage
/// text, since the command line itself was fine) and exits with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs a command's work, turning any library or Foundation error into a one-line `CommandFailure`
/// (a file error names its path and the system's reason); usage errors pass through unchanged.
func cleanly<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as CommandFailure {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        throw CommandFailure(description: ErrorText.file(error))
    }
}

/// Runs the library's checks of a command's options inside `validate()`: a `ValidationFailure` becomes a
/// usage error (exit 64) that names the command-line option, not the library's setting.
///
/// - Parameter options: the library's setting name → the option (`"learningRate": "--learning-rate"`);
///   a setting not listed is turned into kebab case (`batchSize` → `--batch-size`).
func checkingOptions(_ options: [String: String] = [:], _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as ValidationFailure {
        let option = options[failure.what] ?? "--" + failure.what.reduce(into: "") { text, character in
            if character.isUppercase { text += "-" + character.lowercased() } else { text.append(character) }
        }
        throw ValidationError("\(option): \(failure.problem)")
    }
}
