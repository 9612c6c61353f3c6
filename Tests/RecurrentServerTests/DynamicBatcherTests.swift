import Foundation
import Testing
@testable import RecurrentServer

/// Records the batch sizes a batcher ran, thread-safely.
final class BatchLog: @unchecked Sendable {
    private let lock = NSLock()
    private var sizes: [Int] = []
    func append(_ size: Int) { lock.lock(); sizes.append(size); lock.unlock() }
    var all: [Int] { lock.lock(); defer { lock.unlock() }; return sizes }
}

@Suite("Dynamic batching")
struct DynamicBatcherTests {
    @Test("concurrent requests within the window share one call; each gets its own answer")
    func merges() async throws {
        let log = BatchLog()
        let batcher = DynamicBatcher<Int, Int>(name: "square", window: 0.2, maximumBatch: 64, didRun: log.append) { inputs in
            inputs.map { .success($0 * $0) }
        }
        defer { batcher.shutdown() }
        let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 0..<20 { group.addTask { (i, try await batcher.submit(i)) } }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(answers.count == 20)
        for (i, square) in answers { #expect(square == i * i) }
        #expect(log.all.reduce(0, +) == 20)
        #expect(log.all.count < 20, "some requests shared a call: \(log.all)")
    }

    @Test("maximumBatch 1 runs every request alone; maximumBatch caps a batch")
    func caps() async throws {
        for limit in [1, 3] {
            let log = BatchLog()
            let batcher = DynamicBatcher<Int, Int>(name: "id", window: 0.05, maximumBatch: limit, didRun: log.append) { $0.map { .success($0) } }
            _ = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<10 { group.addTask { try await batcher.submit(i) } }
                return try await group.reduce(0, +)
            }
            batcher.shutdown()
            #expect(log.all.allSatisfy { $0 <= limit } && log.all.reduce(0, +) == 10, "\(log.all)")
            if limit == 1 { #expect(log.all.count == 10) }
        }
    }

    @Test("a failure reaches only its own request")
    func failures() async throws {
        struct Odd: Error {}
        let batcher = DynamicBatcher<Int, Int>(name: "even", window: 0.05, maximumBatch: 16) { inputs in
            inputs.map { $0 % 2 == 0 ? .success($0) : .failure(Odd()) }
        }
        defer { batcher.shutdown() }
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<8 { group.addTask { (i, (try? await batcher.submit(i)) != nil) } }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for (i, ok) in results { #expect(ok == (i % 2 == 0)) }
    }

    @Test("shutdown runs what is queued, then refuses new requests; a full queue refuses at once")
    func shutdownAndBusy() async throws {
        let gate = DispatchSemaphore(value: 0)
        let batcher = DynamicBatcher<Int, Int>(name: "slow", window: 0, maximumBatch: 1, maximumQueue: 2) { inputs in
            gate.wait()
            return inputs.map { .success($0) }
        }
        let first = Task { try await batcher.submit(1) }     // taken by the worker, which waits at the gate
        try await Task.sleep(for: .milliseconds(100))
        let second = Task { try await batcher.submit(2) }
        let third = Task { try await batcher.submit(3) }
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: WorkerFailure.self) { try await batcher.submit(4) }  // two are waiting: full
        for _ in 0..<3 { gate.signal() }
        #expect(try await first.value == 1)
        #expect(try await second.value == 2)
        #expect(try await third.value == 3)
        batcher.shutdown()
        await #expect(throws: WorkerFailure.self) { try await batcher.submit(5) }
    }
}
