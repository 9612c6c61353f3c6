import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import RecurrentApps
import RecurrentData
import RecurrentNN
@testable import RecurrentServer

/// One server over the shipped models for the whole suite (loading them takes seconds in debug builds).
enum SharedServer {
    static let loaded: Result<ModelServer, Error> = Result { try ModelServer(settings: ServerSettings(), logger: Logger(label: "test")) }
    static func get() throws -> ModelServer { try loaded.get() }
}

/// Runs `body` against the server over real HTTP (Hummingbird's live test client on a free port).
func withLiveServer<T: Sendable>(_ server: ModelServer, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
    let app = Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    return try await app.test(.live) { client in try await body(client) }
}

func post(_ client: any TestClientProtocol, _ uri: String, _ body: String) async throws -> TestResponse {
    try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(response.body.readableBytesView))
}

func errorMessage(_ response: TestResponse) throws -> String {
    try JSONDecoder().decode([String: String].self, from: Data(response.body.readableBytesView))["error"] ?? ""
}

@Suite("Model server API")
struct ServerAPITests {
    @Test("healthz lists the shipped models; the page is served")
    func health() async throws {
        let server = try SharedServer.get()
        try await withLiveServer(server) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(String(buffer: health.body).contains("tagger-en") && String(buffer: health.body).contains("g2p"))
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok && page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: page.body).contains("我 吃 瓜"))
        }
    }

    @Test("tag: the brief's 我吃瓜 is segmented, then tagged 我/PRON 吃/VERB 瓜/NOUN; English agrees with the library")
    func tag() async throws {
        let server = try SharedServer.get()
        let english = try ShippedTaggers.load(language: "en").tag(["I", "saw", "her", "duck"])
        try await withLiveServer(server) { client in
            let zh = try decode(TagResponse.self, try await post(client, "/v1/tag", #"{"lang": "zh", "text": "我吃瓜"}"#))
            #expect(zh.tokens == ["我", "吃", "瓜"])
            #expect(zh.tags == ["PRON", "VERB", "NOUN"])
            let tokens = try decode(TagResponse.self, try await post(client, "/v1/tag", #"{"lang": "zh", "tokens": ["我", "吃", "瓜"]}"#))
            #expect(tokens == zh)
            let en = try decode(TagResponse.self, try await post(client, "/v1/tag", #"{"lang": "en", "text": "I saw her duck"}"#))
            #expect(en.tokens == ["I", "saw", "her", "duck"] && en.tags == english)
        }
    }

    @Test("tag with gates: the first layer's forward gates at each word, as the library traces them")
    func tagGates() async throws {
        let server = try SharedServer.get()
        let trace = try ShippedTaggers.load(language: "zh").gateTrace(["我", "吃", "瓜"])[0][0]
        try await withLiveServer(server) { client in
            let answer = try decode(TagResponse.self, try await post(client, "/v1/tag", #"{"lang": "zh", "text": "我吃瓜", "gates": true}"#))
            #expect(answer.tags == ["PRON", "VERB", "NOUN"])
            let gates = try #require(answer.gates)
            #expect(gates.layer == 0 && gates.direction == "forward")
            func worst(_ a: [[Float]], _ b: [[Float]]) -> Float {
                a.count == b.count ? zip(a, b).flatMap { zip($0, $1).map { Swift.abs($0 - $1) } }.max() ?? 0 : 1
            }
            #expect(Swift.max(worst(gates.forget, trace.forget), worst(gates.input, trace.input), worst(gates.output, trace.output)) <= 1e-5)
            #expect([gates.forget, gates.input, gates.output].allSatisfy { $0.count == 3 && $0.allSatisfy { $0.count == 200 } })
            let plain = try decode(TagResponse.self, try await post(client, "/v1/tag", #"{"lang": "zh", "text": "我吃瓜"}"#))
            #expect(plain.gates == nil)
            let long = String(repeating: "a ", count: 101)
            let tooLong = try await post(client, "/v1/tag", #"{"lang": "en", "gates": true, "text": "\#(long)"}"#)
            #expect(tooLong.status == .contentTooLarge)
            #expect(try errorMessage(tooLong).contains("at most 100 tokens"))
        }
    }

    @Test("g2p: phonemes and attention agree with the library; each attention row sums to 1")
    func g2p() async throws {
        let server = try SharedServer.get()
        let model = try G2PModel(contentsOf: try ModelLocator.find("g2p"))
        let expected = try model.pronounce("watermelon", beamWidth: 5)
        let greedy = try model.pronounceAll(["watermelon", "cat"], beamWidth: 1)
        try await withLiveServer(server) { client in
            let answer = try decode(G2PResponse.self, try await post(client, "/v1/g2p", #"{"words": ["watermelon"], "beam": 5, "attention": true}"#))
            #expect(answer.results.count == 1)
            let result = answer.results[0]
            #expect(result.word == "WATERMELON" && result.phonemes == expected.phonemes)
            let attention = try #require(result.attention)
            // Equal up to rounding: the server's worker runs under its thread budget, and a BLAS may split
            // or round a product differently with another thread count.
            #expect(attention.count == expected.attention.count)
            let worst = zip(attention, expected.attention).flatMap { zip($0, $1).map { Swift.abs($0 - $1) } }.max() ?? 1
            #expect(worst <= 1e-5, "worst attention difference \(worst)")
            #expect(attention.allSatisfy { $0.count == 10 && Swift.abs($0.reduce(0, +) - 1) < 1e-4 })
            let plain = try decode(G2PResponse.self, try await post(client, "/v1/g2p", #"{"words": ["watermelon", "cat"], "beam": 1}"#))
            #expect(plain.results.map(\.phonemes) == greedy && plain.results.allSatisfy { $0.attention == nil })
        }
    }

    @Test("lm/generate streams exactly the text TextGenerator makes with the same options")
    func generate() async throws {
        let server = try SharedServer.get()
        let (model, _) = try CharacterLanguageModel.load(from: try ModelLocator.find("lm-shakespeare"))
        let expected = try TextGenerator(model: model).generate(prompt: "ROMEO:", length: 120, sampling: SamplingOptions(temperature: 0.8, seed: 7))
        try await withLiveServer(server) { client in
            let response = try await post(client, "/v1/lm/generate", #"{"prompt": "ROMEO:", "length": 120, "temperature": 0.8, "seed": 7}"#)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == expected)
            let greedy = try await post(client, "/v1/lm/generate", #"{"length": 50, "temperature": 0}"#)
            #expect(String(buffer: greedy.body).unicodeScalars.count == 50)
        }
    }

    @Test("bad requests get {\"error\": …} with 400, 404, 405 or 413, never a crash", arguments: [
        ("/v1/tag", "not json", 400, "not valid JSON"),
        ("/v1/tag", "", 400, "empty"),
        ("/v1/tag", #"{"lang": "fr", "text": "bonjour"}"#, 400, "unknown language"),
        ("/v1/tag", #"{"lang": 3, "text": "x"}"#, 400, "lang"),
        ("/v1/tag", #"{"tokens": []}"#, 400, "empty input"),
        ("/v1/tag", #"{"text": "   "}"#, 400, "empty input"),
        ("/v1/tag", #"{"text": "a", "tokens": ["a"]}"#, 400, "not both"),
        ("/v1/tag", #"{"tokens": ["a b"]}"#, 400, "white space"),
        ("/v1/tag", #"[1, 2]"#, 400, "invalid request"),
        ("/v1/g2p", #"{"words": "watermelon"}"#, 400, "words"),
        ("/v1/g2p", #"{"words": []}"#, 400, "empty input"),
        ("/v1/g2p", #"{"words": ["w4termelon"]}"#, 400, "words[0]"),
        ("/v1/g2p", #"{"words": ["cat"], "beam": 0}"#, 400, "beam"),
        ("/v1/g2p", #"{"words": ["cat"], "beam": 1e30}"#, 400, "invalid request"),
        ("/v1/lm/generate", #"{"length": -1}"#, 400, "length"),
        ("/v1/lm/generate", #"{"temperature": -2}"#, 400, "temperature"),
        ("/v1/lm/generate", #"{"prompt": "ROMEO: 😀"}"#, 400, "prompt"),
        ("/v1/lm/generate", #"{"length": 100000000}"#, 413, "at most"),
    ] as [(String, String, Int, String)])
    func badRequests(path: String, body: String, status: Int, mentions: String) async throws {
        let server = try SharedServer.get()
        try await withLiveServer(server) { client in
            let response = try await post(client, path, body)
            #expect(response.status.code == status, "\(String(buffer: response.body))")
            #expect(try errorMessage(response).contains(mentions), "\(String(buffer: response.body))")
        }
    }

    @Test("limits: a body over 1 MiB, too many tokens or words, invalid UTF-8; unknown routes and wrong methods")
    func limitsAndRoutes() async throws {
        let server = try SharedServer.get()
        let limits = server.settings.limits
        try await withLiveServer(server) { client in
            let huge = try await post(client, "/v1/tag", #"{"text": ""# + String(repeating: "a ", count: 600_000) + #""}"#)
            #expect(huge.status == .contentTooLarge)
            let tokens = (0...limits.tokens).map { "\"w\($0)\"" }.joined(separator: ",")
            #expect(try await post(client, "/v1/tag", #"{"tokens": [\#(tokens)]}"#).status == .contentTooLarge)
            let words = (0...limits.words).map { _ in "\"cat\"" }.joined(separator: ",")
            #expect(try await post(client, "/v1/g2p", #"{"words": [\#(words)]}"#).status == .contentTooLarge)
            var bytes = ByteBuffer(string: #"{"text": ""#)
            bytes.writeBytes([0xFF, 0xFE])
            bytes.writeString(#""}"#)
            let invalid = try await client.execute(uri: "/v1/tag", method: .post, body: bytes)
            #expect(try invalid.status == .badRequest && errorMessage(invalid).contains("UTF-8"))
            let missing = try await client.execute(uri: "/v2/nothing", method: .get)
            #expect(try missing.status == .notFound && errorMessage(missing).contains("no route"))
            let wrongMethod = try await client.execute(uri: "/v1/tag", method: .get)
            #expect(wrongMethod.status == .methodNotAllowed && wrongMethod.headers[.allow] == "POST")
        }
    }

    @Test("metrics: requests by route and status (unknown paths as `other`), latency and batch-size histograms")
    func metrics() async throws {
        let server = try SharedServer.get()
        try await withLiveServer(server) { client in
            _ = try await post(client, "/v1/tag", #"{"text": "I saw her duck"}"#)
            _ = try await client.execute(uri: "/no/such/path/\(UUID().uuidString)", method: .get)
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains(#"recurrent_http_requests_total{route="/v1/tag",status="200"}"#))
            #expect(text.contains(#"route="other",status="404""#))
            #expect(!text.contains("/no/such/path"))
            #expect(text.contains("recurrent_http_request_duration_seconds_bucket"))
            #expect(text.contains(#"recurrent_batch_size_bucket{model="tagger-en""#))
        }
    }
}

@Suite("Dynamic batching on the real models")
struct BatchedAnswersTests {
    @Test("concurrent tag and g2p requests batched together get the answers each gets alone")
    func identicalAnswers() async throws {
        var settings = ServerSettings()
        settings.batchWindow = 0.05  // wide, so the concurrent requests below surely share batches
        let batched = try ModelServices(settings: settings, metrics: ServerMetrics(), logger: Logger(label: "test"))
        defer { batched.shutdown() }
        let tagger = try ShippedTaggers.load(language: "en")
        let g2p = try G2PModel(contentsOf: try ModelLocator.find("g2p"))
        let sentences = ["I saw her duck", "The cat sat on the mat", "Time flies like an arrow", "She reads books",
                         "They can fish", "We will win", "Colorless green ideas sleep furiously", "He ran home quickly"]
        let words = ["watermelon", "cat", "pronunciation", "recurrent", "tensor", "swift", "gradient", "python"]
        let limits = ServerLimits()
        let (tags, phonemes) = try await withThrowingTaskGroup(of: (Int, [String], Bool).self) { group in
            for (i, sentence) in sentences.enumerated() {
                group.addTask { (i, try await batched.tag(TagRequest(lang: "en", text: sentence), limits: limits).tags, true) }
            }
            for (i, word) in words.enumerated() {
                group.addTask { (i, try await batched.g2p(G2PRequest(words: [word], beam: 1), limits: limits).results[0].phonemes, false) }
            }
            var tags: [Int: [String]] = [:], phonemes: [Int: [String]] = [:]
            for try await (i, answer, isTag) in group { if isTag { tags[i] = answer } else { phonemes[i] = answer } }
            return (tags, phonemes)
        }
        for (i, sentence) in sentences.enumerated() {
            #expect(tags[i] == (try tagger.tag(sentence.split(separator: " ").map(String.init))), "\(sentence)")
        }
        for (i, word) in words.enumerated() { #expect(phonemes[i] == (try g2p.pronounceAll([word], beamWidth: 1)[0]), "\(word)") }
    }
}
