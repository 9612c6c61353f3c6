import Foundation
import RecurrentApps
import RecurrentNN

/// Runs the language model's text generations on one thread, taking turns: every active request makes a
/// few characters, then the next one does, so a long generation never holds up a short one, and no two
/// threads ever touch the model. Each request has its own `TextGenerator` (its own state) and sampler, and
/// so makes exactly the text `recurrent lm sample` makes with the same options.
public final class GenerationWorker: @unchecked Sendable {
    /// The model.
    public let model: CharacterLanguageModel
    /// The most generations at a time; more are refused (503).
    public let maximumActive: Int
    /// Characters each request makes in its turn.
    public let turnLength: Int

    private struct Job {
        var prompt: [Int]
        var remaining: Int
        var sampling: SamplingOptions
        var output: AsyncStream<String>.Continuation
        var generator: TextGenerator? = nil
        var sampler: TokenSampler? = nil
    }

    private let worker: WorkerThread
    private var condition: NSCondition { worker.condition }
    private var incoming: [Job] = []
    private var activeCount = 0
    private let didFinish: () -> Void

    /// Starts the worker thread.
    /// - Parameter didFinish: told after each generation ends (metrics).
    public init(model: CharacterLanguageModel, maximumActive: Int = 32, turnLength: Int = 16, didFinish: @escaping () -> Void = {}) {
        precondition(maximumActive >= 1 && turnLength >= 1, "GenerationWorker: bad settings")
        self.model = model
        self.maximumActive = maximumActive
        self.turnLength = turnLength
        self.didFinish = didFinish
        worker = WorkerThread(name: "generator")
        worker.start { [self] in loop() }  // the worker keeps its owner alive until it stops
    }

    /// Starts a generation; its text arrives in pieces on the returned stream, which ends after `length`
    /// characters. Dropping the stream (a client that went away) stops the generation at its next turn.
    ///
    /// - Parameters:
    ///   - prompt: character ids in the model's alphabet, fed first.
    ///   - length: characters to make.
    ///   - sampling: validated options.
    /// - Throws: `DynamicBatcher.Failure.busy` when `maximumActive` generations are running, `.stopped` after `shutdown()`.
    public func start(prompt: [Int], length: Int, sampling: SamplingOptions) throws -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        condition.lock()
        defer { condition.unlock() }
        if worker.isStopping { throw WorkerFailure.stopped }
        guard activeCount + incoming.count < maximumActive else { throw WorkerFailure.busy(queued: activeCount + incoming.count) }
        incoming.append(Job(prompt: prompt, remaining: length, sampling: sampling, output: continuation))
        condition.broadcast()
        return stream
    }

    /// Stops taking generations, finishes those running, and returns when the worker has ended.
    public func shutdown() { worker.stop() }

    private func loop() {
        var active: [Job] = []
        while true {
            condition.lock()
            while active.isEmpty && incoming.isEmpty && !worker.isStopping { condition.wait() }
            if active.isEmpty && incoming.isEmpty {
                condition.unlock()
                return
            }
            active += incoming
            incoming.removeAll()
            activeCount = active.count
            condition.unlock()

            active = active.compactMap { job in
                var job = job
                let alive = turn(&job)
                if !alive {
                    job.output.finish()
                    didFinish()
                }
                return alive ? job : nil
            }
            condition.lock()
            activeCount = active.count
            condition.unlock()
        }
    }

    /// Makes up to `turnLength` characters of a job; false when it is done or its client has gone.
    private func turn(_ job: inout Job) -> Bool {
        if job.generator == nil {
            guard let generator = try? TextGenerator(model: model) else { return false }
            // As `TextGenerator.generate`: an empty prompt starts from a newline.
            if job.prompt.isEmpty { generator.feed(model.alphabet.id(of: "\n") ?? 0) }
            for id in job.prompt { generator.feed(id) }
            job.generator = generator
            job.sampler = TokenSampler(options: job.sampling)
        }
        guard let generator = job.generator, job.remaining > 0 else { return false }
        var text = String.UnicodeScalarView()
        for _ in 0..<Swift.min(turnLength, job.remaining) {
            let next = generator.nextLogits.withUnsafeBufferPointer { job.sampler!.sample(logits: $0) }
            text.append(model.alphabet.characters[next])
            generator.feed(next)
        }
        job.remaining -= text.count
        if case .terminated = job.output.yield(String(text)) { return false }
        return job.remaining > 0
    }
}
