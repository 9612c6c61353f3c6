import Foundation
import Testing
import RecurrentCore
@testable import RecurrentNN

@Suite("RecurrentSession: one token at a time equals the whole sequence")
struct RecurrentSessionTests {
    /// Runs `network` over `inputs` `[T, 1, I]` in one call; returns output rows and the final state values.
    func whole(_ network: RecurrentNetwork, _ inputs: Tensor, state: RecurrentState? = nil) throws -> (output: [Float], hidden: [Float], cell: [Float]) {
        network.eval()
        let result = try withoutGradients { try network(inputs, initialState: state) }
        return (result.output.scalars, result.hidden.scalars, result.cell?.scalars ?? [])
    }

    static let networks: [(String, () -> RecurrentNetwork)] = [
        ("lstm 2 layers", { LSTM(inputSize: 5, hiddenSize: 7, layerCount: 2, seed: 3) }),
        ("gru 3 layers", { GRU(inputSize: 5, hiddenSize: 6, layerCount: 3, seed: 4) }),
        ("rnn tanh", { RNN(inputSize: 5, hiddenSize: 9, seed: 5) }),
        ("rnn relu 2 layers", { RNN(inputSize: 5, hiddenSize: 4, layerCount: 2, nonlinearity: .relu, seed: 6) }),
        ("lstm projection", { LSTM(inputSize: 5, hiddenSize: 8, layerCount: 2, projectionSize: 3, seed: 7) }),
        ("gru without bias", { GRU(inputSize: 5, hiddenSize: 6, bias: false, seed: 8) }),
    ]

    @Test("step by step equals one call over the sequence", arguments: 0..<networks.count)
    func steps(index: Int) throws {
        let network = Self.networks[index].1()
        var rng = Xoshiro256StarStar(seed: 11)
        let T = 13
        let x = Tensor.normal([T, 1, 5], using: &rng)
        let expected = try whole(network, x)
        let session = try RecurrentSession(network)
        var outputs: [Float] = []
        for t in 0..<T { outputs += try session.step(Array(x.scalars[(t * 5)..<((t + 1) * 5)])) }
        expectClose(outputs, expected.output, relative: 1e-5, absolute: 1e-6, Self.networks[index].0)
        expectClose(session.state.hidden, expected.hidden, relative: 1e-5, absolute: 1e-6, "h_n")
        expectClose(session.state.cell, expected.cell, relative: 1e-5, absolute: 1e-6, "c_n")
    }

    @Test("chunks fed with feed(_:) carry the state: equal to one call and to steps", arguments: 0..<networks.count)
    func chunks(index: Int) throws {
        let network = Self.networks[index].1()
        var rng = Xoshiro256StarStar(seed: 12)
        let x = Tensor.normal([10, 1, 5], using: &rng)
        let expected = try whole(network, x)
        let session = try RecurrentSession(network)
        let first = try session.feed(x.narrowed(axis: 0, start: 0, length: 4).reshaped([4, 5]))
        let second = try session.feed(x.narrowed(axis: 0, start: 4, length: 6).reshaped([6, 5]))
        expectClose(first.scalars + second.scalars, expected.output, relative: 1e-5, absolute: 1e-6, "chunks")
        expectClose(session.state.hidden, expected.hidden, relative: 1e-5, absolute: 1e-6, "h_n")
    }

    @Test("a forked state continues exactly as the original; reset goes back to zeros")
    func forkAndReset() throws {
        let network = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, seed: 1)
        let session = try RecurrentSession(network)
        _ = try session.step([0.1, -0.2, 0.3])
        let fork = session.state
        let a = try session.step([1, 2, 3])
        _ = try session.step([-1, 0, 1])
        session.state = fork
        let b = try session.step([1, 2, 3])
        #expect(a == b)
        session.reset()
        #expect(session.state.hidden.allSatisfy { $0 == 0 } && session.state.cell.allSatisfy { $0 == 0 })
        let fresh = try RecurrentSession(network)
        #expect(try session.step([0.5, 0.5, 0.5]) == fresh.step([0.5, 0.5, 0.5]))
    }

    @Test("precomputed input projections give the same step as the raw input")
    func projectedInputs() throws {
        let network = GRU(inputSize: 4, hiddenSize: 5, layerCount: 2, seed: 2)
        let table = Tensor([[0.5, -1, 2, 0], [1, 1, 1, 1]])
        let a = try RecurrentSession(network), b = try RecurrentSession(network)
        let projections = try a.inputProjections(of: table)
        for row in [0, 1, 1, 0] {
            let raw = try a.step(Array(table.scalars[(row * 4)..<((row + 1) * 4)]))
            let folded = projections.scalars.withUnsafeBufferPointer { p in
                Array(b.step(projectedInput: UnsafeBufferPointer(rebasing: p[(row * 15)..<((row + 1) * 15)])))
            }
            expectClose(folded, raw, relative: 1e-6, absolute: 1e-7, "row \(row)")
        }
    }

    @Test("bad inputs are errors: a bidirectional network, a wrong input size")
    func errors() throws {
        #expect(throws: RecurrentSession.SessionError.bidirectional) { try RecurrentSession(LSTM(inputSize: 2, hiddenSize: 3, bidirectional: true)) }
        let session = try RecurrentSession(RNN(inputSize: 2, hiddenSize: 3))
        #expect(throws: RecurrentSession.SessionError.inputSize(expected: 2, found: 3)) { try session.step([1, 2, 3]) }
    }

    @Test("reloadWeights picks up changed weights")
    func reload() throws {
        let network = RNN(inputSize: 2, hiddenSize: 3, seed: 1)
        let session = try RecurrentSession(network)
        let before = try session.step([1, 1])
        for p in network.parameters { p.value = p.value * 2 }
        session.reset()
        #expect(try session.step([1, 1]) == before)
        session.reset()
        session.reloadWeights()
        let after = try session.step([1, 1])
        let expected = try whole(network, Tensor(shape: [1, 1, 2], scalars: [1, 1]))
        expectClose(after, expected.output, relative: 1e-5, absolute: 1e-6, "reloaded")
    }

    @Test("a custom-cell session (CellSession) equals its RecurrentLayer over the sequence")
    func cellSession() throws {
        let layer = RecurrentLayer(cells: [[LSTMCell(inputSize: 3, hiddenSize: 4, seed: 1)], [LSTMCell(inputSize: 4, hiddenSize: 4, seed: 2)]])
        layer.isTraining = false
        var rng = Xoshiro256StarStar(seed: 3)
        let x = Tensor.normal([6, 1, 3], using: &rng)
        let expected = try withoutGradients { try layer(x) }
        let session = try CellSession(layer)
        var outputs: [Float] = []
        for t in 0..<6 { outputs += try session.step(Tensor(Array(x.scalars[(t * 3)..<((t + 1) * 3)]))).scalars }
        expectClose(outputs, expected.output.scalars, relative: 1e-5, absolute: 1e-6, "cell session")
    }
}

@Suite("TokenSampler")
struct TokenSamplerTests {
    let logits: [Float] = [0.1, 2.0, -1.0, 1.5, 0.0, 3.0]

    func draws(_ options: SamplingOptions, _ n: Int = 400) -> [Int] {
        var sampler = TokenSampler(options: options)
        return (0..<n).map { _ in logits.withUnsafeBufferPointer { sampler.sample(logits: $0) } }
    }

    @Test("the same seed gives the same draws; another seed other draws")
    func deterministic() {
        let o = SamplingOptions(temperature: 1, seed: 42)
        #expect(draws(o) == draws(o))
        #expect(draws(o) != draws(SamplingOptions(temperature: 1, seed: 43)))
    }

    @Test("temperature 0 and top-k 1 are greedy")
    func greedy() {
        #expect(Set(draws(SamplingOptions(temperature: 0))) == [5])
        #expect(Set(draws(SamplingOptions(temperature: 1.5, topK: 1))) == [5])
    }

    @Test("top-k draws only among the k best; top-p only within the nucleus")
    func cuts() {
        #expect(Set(draws(SamplingOptions(topK: 2, seed: 1))) == [5, 1])
        // Probabilities at T = 1: 3.0 → 0.56, 2.0 → 0.21, 1.5 → 0.12, …: p = 0.7 keeps the first two.
        #expect(Set(draws(SamplingOptions(topP: 0.7, seed: 2))) == [5, 1])
        #expect(Set(draws(SamplingOptions(topP: 1, seed: 3), 4000)).count == 6)
    }

    @Test("frequencies follow the softmax (4000 draws, within 3.5 standard errors)")
    func frequencies() {
        let n = 4000
        let counts = draws(SamplingOptions(temperature: 1, seed: 9), n).reduce(into: [Int](repeating: 0, count: 6)) { $0[$1] += 1 }
        let e = logits.map { Foundation.exp(Double($0)) }, total = e.reduce(0, +)
        for i in 0..<6 {
            let p = e[i] / total, observed = Double(counts[i]) / Double(n)
            #expect(Swift.abs(observed - p) <= 3.5 * (p * (1 - p) / Double(n)).squareRoot() + 1e-9, "token \(i): \(observed) vs \(p)")
        }
    }

    @Test("bad options are refused with their name")
    func validation() {
        #expect(throws: (any Error).self) { try SamplingOptions(temperature: -1).validate() }
        #expect(throws: (any Error).self) { try SamplingOptions(temperature: .nan).validate() }
        #expect(throws: (any Error).self) { try SamplingOptions(topK: -2).validate() }
        #expect(throws: (any Error).self) { try SamplingOptions(topP: 0).validate() }
        #expect(throws: (any Error).self) { try SamplingOptions(topP: 1.5).validate() }
    }
}
