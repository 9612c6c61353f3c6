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
