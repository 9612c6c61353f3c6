import Foundation
import Hummingbird
import NIOCore
import RecurrentData

/// Reads and decodes JSON request bodies, validating before anything else happens: the size (from
/// `Content-Length` when sent, and while reading), a deadline for the whole body (a slow client cannot hold
/// a worker), UTF-8, and the JSON types. Each failure is an `APIError` naming what is wrong.
enum RequestBody {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limits: ServerLimits) async throws -> T {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.bodyBytes {
            throw APIError.tooLarge("the body is \(length) bytes; at most \(limits.bodyBytes)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await withDeadline(seconds: limits.bodySeconds) { try await request.body.collect(upTo: limits.bodyBytes) }
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge("the body is over \(limits.bodyBytes) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        guard !bytes.isEmpty else { throw APIError.badRequest("the body is empty; send a JSON object") }
        guard String(bytes: bytes, encoding: .utf8) != nil else { throw APIError.badRequest("the body is not valid UTF-8") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw APIError.badRequest("invalid request: \(ErrorText.coding(error))")
        }
    }

    /// Runs `body`, or throws 408 when it takes longer than `seconds`.
    static func withDeadline<R: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw APIError(.requestTimeout, "the body did not arrive within \(seconds) s")
            }
            return result
        }
    }
}
