import Foundation
import HTTPTypes
import Hummingbird

/// An error answered as `{"error": "…"}` with its HTTP status.
public struct APIError: Error, CustomStringConvertible, Sendable {
    /// 400, 404, 405, 408, 413, 503, …
    public var status: HTTPResponse.Status
    /// One line saying what is wrong and where.
    public var message: String
    /// Extra headers (`Allow` for 405).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code): \(message)" }

    /// 400.
    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    /// 413.
    public static func tooLarge(_ message: String) -> APIError { APIError(.contentTooLarge, message) }

    /// The JSON response.
    public var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let body = (try? encoder.encode(["error": message])) ?? Data(#"{"error":"internal error"}"#.utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
