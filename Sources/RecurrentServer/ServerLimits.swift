/// The documented limits of the HTTP API. A request over one is answered 413 before any work is done.
public struct ServerLimits: Codable, Equatable, Sendable {
    /// Bytes of a request body (1 MiB).
    public var bodyBytes = 1 << 20
    /// Characters of `text` in `/v1/tag`.
    public var textCharacters = 5_000
    /// Tokens of one `/v1/tag` request (after segmentation), and characters of an unspaced Chinese text.
    public var tokens = 1_000
    /// Tokens of a `/v1/tag` request that asks for gates (each gate is `[tokens][hidden]` in the answer).
    public var gateTokens = 100
    /// Characters of one token.
    public var tokenCharacters = 100
    /// Words of one `/v1/g2p` request.
    public var words = 256
    /// The largest beam of `/v1/g2p`.
    public var beam = 16
    /// Characters `/v1/lm/generate` makes in one request.
    public var generatedCharacters = 5_000
    /// Characters of a `/v1/lm/generate` prompt.
    public var promptCharacters = 2_000
    /// Seconds a client has to send its whole request body.
    public var bodySeconds = 10.0

    public init() {}
}
