import Foundation
import Logging
import RecurrentApps
import RecurrentData
import RecurrentNN

/// How the server runs.
public struct ServerSettings: Sendable {
    /// The address to listen on.
    public var host = "127.0.0.1"
    /// The port (0: any free port).
    public var port = 8080
    /// The folder holding the model folders (`tagger-en`, `tagger-zh`, `segmenter-zh`, `g2p`,
    /// `lm-shakespeare`); nil: the shipped `Models/` found by `ModelLocator`.
    public var modelsDirectory: String? = nil
    /// Merge concurrent requests for one model into batched calls.
    public var batching = true
    /// How long a request may wait for others to share its batch, in seconds.
    public var batchWindow: TimeInterval = 0.002
    /// The most requests in one batch.
    public var maximumBatch = 64
    /// The most requests waiting for one model; more are answered 503.
    public var maximumQueue = 4096
    /// Language-model generations running at once; more are answered 503.
    public var maximumGenerations = 32
    /// Seconds before an idle connection is closed.
    public var idleTimeout = 30
    /// The documented limits of the API.
    public var limits = ServerLimits()

    public init() {}
}

/// A request for a tagger's batch: one sentence, and whether to trace its gates.
struct TagJob: Sendable {
    var tokens: [String]
    var gates: Bool
}

/// A tagger's answer to one `TagJob`.
struct TagResult: Sendable {
    var tags: [String]
    var gates: GateActivations?
}

/// A request for one G2P batch: some words, all at one beam width.
struct G2PJob: Sendable {
    var words: [String]
    var beam: Int
    var attention: Bool
}

/// The models the server answers with, each behind its own `DynamicBatcher` (or, for the language model, a
/// `GenerationWorker`), so each model is used by one thread only.
public final class ModelServices: @unchecked Sendable {
    /// The names of the model folders loaded.
    public let loaded: [String]
    let taggers: [String: DynamicBatcher<TagJob, TagResult>]
    let segmenter: DynamicBatcher<String, [String]>?
    let g2p: DynamicBatcher<G2PJob, [G2PResponse.Result]>?
    /// Read-only use from request threads: the letter vocabulary and word length limit, to check words before queueing.
    let g2pModel: G2PModel?
    let generator: GenerationWorker?
    let metrics: ServerMetrics

    /// Loads every model found; a model folder that is missing is skipped (its route answers 503), one that
    /// is present but broken is an error.
    /// - Throws: the loading error of a broken model folder.
    public init(settings: ServerSettings, metrics: ServerMetrics, logger: Logger) throws {
        var environment = ProcessInfo.processInfo.environment
        if let folder = settings.modelsDirectory { environment["RECURRENT_MODELS"] = folder }
        func locate(_ name: String) -> URL? {
            if let folder = settings.modelsDirectory {
                let url = URL(fileURLWithPath: folder).appendingPathComponent(name)
                return FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) ? url : nil
            }
            return try? ModelLocator.find(name, environment: environment)
        }
        let batch = settings.batching ? settings.maximumBatch : 1
        let window = settings.batching ? settings.batchWindow : 0
        let budget = ThreadBudget()
        func batcher<I, O>(_ name: String, _ process: @escaping ([I]) -> [Result<O, Error>]) -> DynamicBatcher<I, O> {
            DynamicBatcher(name: name, window: window, maximumBatch: batch, maximumQueue: settings.maximumQueue,
                           didRun: { metrics.recordBatch(model: name, size: $0) },
                           process: { inputs in budget.run { process(inputs) } })
        }
        var loaded: [String] = []
        var taggers: [String: DynamicBatcher<TagJob, TagResult>] = [:]
        for language in ShippedTaggers.languages {
            let name = ShippedTaggers.folderName(language: language)
            guard let url = locate(name) else { continue }
            let tagger = try Tagger.load(from: url)
            taggers[language] = batcher(name) { jobs in ModelServices.tag(jobs, with: tagger) }
            loaded.append(name)
        }
        self.taggers = taggers
        if let url = locate(ShippedTaggers.segmenterFolderName) {
            let model = try Tagger.load(from: url)
            segmenter = batcher(ShippedTaggers.segmenterFolderName) { texts in
                let characters = texts.map { $0.filter { !$0.isWhitespace }.map(String.init) }
                return ModelServices.eachOrAll(characters) { try model.tag($0) }.enumerated().map { index, result in
                    result.map { ChineseSegmentation.words(characters: characters[index], tags: $0) }
                }
            }
            loaded.append(ShippedTaggers.segmenterFolderName)
        } else {
            segmenter = nil
        }
        if let url = locate("g2p") {
            let model = try G2PModel(contentsOf: url)
            g2pModel = model
            g2p = batcher("g2p") { jobs in ModelServices.pronounce(jobs, with: model) }
            loaded.append("g2p")
        } else {
            (g2pModel, g2p) = (nil, nil)
        }
        if let url = locate("lm-shakespeare") {
            let (model, _) = try CharacterLanguageModel.load(from: url)
            generator = GenerationWorker(model: model, maximumActive: settings.maximumGenerations, didFinish: { metrics.recordGeneration() })
            loaded.append("lm-shakespeare")
        } else {
            generator = nil
        }
        self.loaded = loaded
        self.metrics = metrics
        logger.info("models loaded: \(loaded.isEmpty ? "none" : loaded.joined(separator: ", "))")
    }

    /// Ends every worker after the requests already queued (graceful shutdown).
    public func shutdown() {
        for batcher in taggers.values { batcher.shutdown() }
        segmenter?.shutdown()
        g2p?.shutdown()
        generator?.shutdown()
    }

    /// Runs `body` on all inputs at once; if that fails, on each alone, so one bad input fails only itself.
    static func eachOrAll<I, O>(_ inputs: [I], _ body: ([I]) throws -> [O]) -> [Result<O, Error>] {
        if let all = try? body(inputs), all.count == inputs.count { return all.map { .success($0) } }
        return inputs.map { input in Result { try body([input])[0] } }
    }

    /// Tags a batch of sentences in one call, then traces the gates of those that asked.
    static func tag(_ jobs: [TagJob], with tagger: Tagger) -> [Result<TagResult, Error>] {
        eachOrAll(jobs.map(\.tokens)) { try tagger.tag($0) }.enumerated().map { index, tagged in
            tagged.flatMap { tags in
                guard jobs[index].gates else { return .success(TagResult(tags: tags)) }
                return Result {
                    let first = try tagger.gateTrace(jobs[index].tokens)[0][0]
                    return TagResult(tags: tags, gates: GateActivations(layer: 0, direction: "forward", forget: first.forget,
                                                                        input: first.input, output: first.output))
                }
            }
        }
    }

    /// G2P for a batch of jobs: the greedy words of all jobs without attention decoded together, the rest
    /// word by word with beam search (which also gives the attention).
    static func pronounce(_ jobs: [G2PJob], with model: G2PModel) -> [Result<[G2PResponse.Result], Error>] {
        var results = [Result<[G2PResponse.Result], Error>?](repeating: nil, count: jobs.count)
        let greedy = jobs.indices.filter { jobs[$0].beam == 1 && !jobs[$0].attention }
        if !greedy.isEmpty {
            let words = greedy.flatMap { jobs[$0].words }
            do {
                var phonemes = try model.pronounceAll(words, beamWidth: 1)[...]
                for index in greedy {
                    let job = jobs[index]
                    results[index] = .success(zip(job.words, phonemes.prefix(job.words.count)).map {
                        G2PResponse.Result(word: normalized($0), phonemes: $1, attention: nil)
                    })
                    phonemes = phonemes.dropFirst(job.words.count)
                }
            } catch {
                for index in greedy { results[index] = .failure(error) }
            }
        }
        for index in jobs.indices where results[index] == nil {
            let job = jobs[index]
            results[index] = Result {
                try job.words.map { word in
                    let best = try model.pronounce(word, beamWidth: job.beam)
                    return G2PResponse.Result(word: best.word, phonemes: best.phonemes, attention: job.attention ? best.attention : nil)
                }
            }
        }
        return results.map { $0! }
    }

    static func normalized(_ word: String) -> String { word.trimmingCharacters(in: .whitespacesAndNewlines).uppercased() }
}
