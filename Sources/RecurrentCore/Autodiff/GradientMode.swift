/// Whether operations are recorded on the gradient tape.
///
/// Recording is on by default. Inside `withoutGradients { … }` nothing is recorded, so inference
/// keeps no intermediate values alive and pays nothing for differentiation.
public enum GradientMode {
    @TaskLocal static var recordingDisabled = false

    /// Whether operations are being recorded right now.
    public static var isRecording: Bool { !recordingDisabled }
}

/// Runs `body` with gradient recording switched off (inference mode).
public func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
    try GradientMode.$recordingDisabled.withValue(true, operation: body)
}
