import Foundation
import Testing

/// Finds the project's shared data folder (`../shared` beside the package, or `RECURRENT_SHARED`).
///
/// A test that needs shared files calls `requireShared(_:)`: when the folder is missing it fails under
/// `CI=true` and otherwise returns nil after printing why the test is skipped.
public enum SharedData {
    /// The package root, derived from this file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `RECURRENT_SHARED` when set, else `../shared` next to the package root.
    public static var root: URL {
        if let path = ProcessInfo.processInfo.environment["RECURRENT_SHARED"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// Whether the tests run under CI (`CI=true`).
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return value == "true" || value == "1"
    }

    /// The URL of `relativePath` under the shared folder, or nil (with a printed reason, or a recorded
    /// failure under CI) when it does not exist.
    public static func require(_ relativePath: String, sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        let url = root.appendingPathComponent(relativePath)
        if FileManager.default.fileExists(atPath: url.path) { return url }
        let reason = "shared data missing: \(url.path) (set RECURRENT_SHARED to the shared folder)"
        if isCI {
            Issue.record(Comment(rawValue: reason), sourceLocation: sourceLocation)
        } else {
            print("skipped: \(reason)")
        }
        return nil
    }
}
