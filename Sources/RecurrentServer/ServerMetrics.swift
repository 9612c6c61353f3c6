import Foundation
import Prometheus

/// The server's Prometheus metrics, served at `GET /metrics` in the text exposition format:
/// - `recurrent_http_requests_total{route, status}`: requests answered;
/// - `recurrent_http_request_duration_seconds{route}`: time to the response head (a histogram);
/// - `recurrent_batch_size{model}`: requests per batched model call (a histogram);
/// - `recurrent_generations_total`: language-model generations finished.
///
/// Routes are labelled by their pattern, and every unknown path as `other`, so no client can create
/// labels without bound.
public final class ServerMetrics: Sendable {
    /// The registry (`emitToString()` renders it).
    public let registry = PrometheusCollectorRegistry()
    /// The paths of the API, the only `route` labels besides `other`.
    public static let routes: Set<String> = ["/", "/healthz", "/metrics", "/v1/tag", "/v1/g2p", "/v1/lm/generate"]

    private static let durationBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]
    private static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    public init() {}

    /// The `route` label of a path.
    public static func routeLabel(_ path: String) -> String { routes.contains(path) ? path : "other" }

    /// Counts a request and its duration.
    public func recordRequest(path: String, status: Int, duration: Duration) {
        let route = Self.routeLabel(path)
        registry.makeCounter(descriptor: .init(metricName: "recurrent_http_requests", unitName: "total", helpText: "HTTP requests answered"),
                             labels: [("route", route), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: .init(metricName: "recurrent_http_request_duration", unitName: "seconds",
                                                         helpText: "Time from the request to the response head"),
                                       labels: [("route", route)], buckets: Self.durationBuckets).record(duration)
    }

    /// Records the size of a batched model call.
    public func recordBatch(model: String, size: Int) {
        registry.makeValueHistogram(descriptor: .init(metricName: "recurrent_batch", unitName: "size", helpText: "Requests per batched model call"),
                                    labels: [("model", model)], buckets: Self.batchBuckets).record(Double(size))
    }

    /// Counts a finished generation.
    public func recordGeneration() {
        registry.makeCounter(descriptor: .init(metricName: "recurrent_generations", unitName: "total", helpText: "Language-model generations finished"),
                             labels: []).increment()
    }
}
