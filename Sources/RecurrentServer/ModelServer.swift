import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The HTTP model server behind `recurrent serve`: a Hummingbird 2 application with the JSON API, the
/// metrics and the web page.
///
/// ```swift
/// let server = try ModelServer(settings: ServerSettings())
/// try await server.run()          // until SIGTERM or SIGINT: then in-flight requests finish, and it returns
/// ```
public final class ModelServer: Sendable {
    /// The settings.
    public let settings: ServerSettings
    /// The loaded models.
    public let services: ModelServices
    /// The metrics.
    public let metrics: ServerMetrics
    let logger: Logger

    /// Loads the models.
    /// - Throws: a broken model folder's error.
    public init(settings: ServerSettings, logger: Logger = Logger(label: "recurrent.serve")) throws {
        self.settings = settings
        self.logger = logger
        metrics = ServerMetrics()
        services = try ModelServices(settings: settings, metrics: metrics, logger: logger)
    }

    /// The methods each route answers (for 405 and `Allow`).
    static let methods: [String: String] = [
        "/": "GET", "/healthz": "GET", "/metrics": "GET", "/v1/tag": "POST", "/v1/g2p": "POST", "/v1/lm/generate": "POST",
    ]

    /// The router: every route, behind the middleware that turns errors into `{"error": …}` and counts requests.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIMiddleware(metrics: metrics))
        let (services, limits, metrics) = (self.services, settings.limits, self.metrics)
        router.get("/healthz") { _, _ in
            try JSONResponse.make(Health(status: "ok", models: services.loaded))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        router.post("/v1/tag") { request, _ in
            try JSONResponse.make(try await services.tag(try await RequestBody.decode(TagRequest.self, from: request, limits: limits), limits: limits))
        }
        router.post("/v1/g2p") { request, _ in
            try JSONResponse.make(try await services.g2p(try await RequestBody.decode(G2PRequest.self, from: request, limits: limits), limits: limits))
        }
        router.post("/v1/lm/generate") { request, _ in
            let stream = try services.generate(try await RequestBody.decode(GenerateRequest.self, from: request, limits: limits), limits: limits)
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                for await text in stream { try await writer.write(ByteBuffer(string: text)) }
                                try await writer.finish(nil)
                            })
        }
        return router
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets the requests in flight finish, ends the
    /// model workers and returns.
    /// - Parameter onRunning: called with the bound port once the server listens (port 0 picks a free one).
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(settings.idleTimeout)))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "recurrent"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        defer { services.shutdown() }
        try await app.runService()
    }
}

/// The answer of `GET /healthz`.
struct Health: Codable {
    var status: String
    var models: [String]
}

/// JSON responses.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error into `{"error": "…"}` with its status (405 with `Allow` for a known path and another
/// method), and counts each request and its time in the metrics.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let path = request.uri.path
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response
        } catch let error as HTTPError {
            if error.status == .notFound, let allowed = ModelServer.methods[path] {
                response = APIError(.methodNotAllowed, "\(request.method.rawValue) is not allowed on \(path); use \(allowed)",
                                    headers: [.allow: allowed]).response
            } else if error.status == .notFound {
                response = APIError(.notFound, "no route \(request.method.rawValue) \(path.prefix(100))").response
            } else {
                response = APIError(error.status, error.body ?? error.status.reasonPhrase).response
            }
        } catch let error as HTTPResponseError {
            response = APIError(error.status, "\(error)").response
        } catch let error as WorkerFailure {
            response = APIError(.serviceUnavailable, error.description).response
        } catch {
            response = APIError(.internalServerError, "internal error: \(error)").response
        }
        metrics.recordRequest(path: path, status: response.status.code, duration: ContinuousClock.now - started)
        return response
    }
}
