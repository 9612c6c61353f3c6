import Foundation
import RecurrentCore

/// Runs golden cases through the library and measures how far its outputs and gradients are from PyTorch's.
///
/// A case passes only when the file and the library agree on what there is to compare: the file must hold
/// every output and gradient the library computes (`output.*`, `grad.*`), and nothing else under those
/// prefixes; an empty comparison is an error, not a pass. Every input is checked (`GoldenCase`) before a
/// module is built, so a malformed file gives a `ParityError`, never a crash.
public enum Parity {
    /// The agreed tolerance: |ours − PyTorch's| ≤ 1e-4 · (1 + |PyTorch's|).
    public static let defaultTolerance: Float = 1e-4

    /// Runs one case file.
    ///
    /// - Throws: `SafeTensorsError` or `ParityError` when the file cannot be read, is malformed or
    ///   inconsistent, the module or a setting is unsupported, or the file and the library disagree on
    ///   which outputs and gradients exist.
    public static func run(_ url: URL, tolerance: Float = defaultTolerance) throws -> ParityReport {
        let golden = try GoldenCase(contentsOf: url)
        guard let runner = runners[golden.module] else {
            throw ParityError("module '\(golden.module)' is not supported (supported: \(runners.keys.sorted().joined(separator: ", ")))")
        }
        let expected = golden.expectationKeys
        guard !expected.isEmpty else { throw ParityError("nothing to compare: the file has no output.* or grad.* tensor") }
        let computed = try runner(golden)
        let missing = computed.keys.filter { golden.tensors[$0] == nil }.sorted(), unknown = expected.filter { computed[$0] == nil }
        let problems = (missing.isEmpty ? [] : ["the file lacks \(quoted(missing)), which the library computes"])
            + (unknown.isEmpty ? [] : ["the file has \(quoted(unknown)), which the library does not compute"])
        guard problems.isEmpty else { throw ParityError(problems.joined(separator: "; ")) }
        let entries = try expected.map { key -> ParityReport.Entry in
            let (ours, theirs) = (computed[key]!, golden.tensors[key]!)
            guard ours.shape == theirs.shape else {
                throw ParityError("'\(key)' has shape \(ours.shape) here, PyTorch's has \(theirs.shape)")
            }
            return ParityReport.Entry(name: key, ours: ours.scalars, expected: theirs.scalars)
        }
        return ParityReport(caseName: golden.name, module: golden.module, entries: entries, tolerance: tolerance)
    }

    /// `'a', 'b'` for a message.
    static func quoted(_ keys: [String]) -> String { keys.map { "'\($0)'" }.joined(separator: ", ") }

    /// A runner checks a case's settings and inputs, then computes every `output.*` and `grad.*` tensor the
    /// library produces for it.
    typealias Runner = (GoldenCase) throws -> [String: Tensor]

    static let runners: [String: Runner] = [
        "RNN": recurrentNetwork, "LSTM": recurrentNetwork, "GRU": recurrentNetwork,
        "RNNCell": recurrentCell, "LSTMCell": recurrentCell, "GRUCell": recurrentCell,
        "scaled_dot_product_attention": scaledDotProductAttention, "MultiheadAttention": multiheadAttention,
        "cross_entropy": crossEntropy,
    ]

    /// Back-propagates `L = Σ upstream.<name> · output.<name>` and collects gradients of the given leaves.
    ///
    /// - Throws: `ParityError` when the file lacks an output the library computes, or its upstream gradient
    ///   has another shape than the computed output (checked before anything is back-propagated).
    static func differentiate(_ golden: GoldenCase, outputs: [String: Tensor], leaves: [String: Tensor]) throws -> [String: Tensor] {
        var pieces: [Tensor] = [], seeds: [Tensor] = []
        var result: [String: Tensor] = [:]
        for (name, value) in outputs.sorted(by: { $0.key < $1.key }) {
            guard let seed = golden.tensors["upstream." + name] else {
                throw ParityError("the file lacks 'output.\(name)' and 'upstream.\(name)', which the library computes")
            }
            guard seed.shape == value.shape else {
                throw ParityError("'upstream.\(name)' has shape \(seed.shape), the output it differentiates has \(value.shape)")
            }
            result["output." + name] = value.detached()
            pieces.append(value.reshaped([-1]))
            seeds.append(seed.reshaped([-1]))
        }
        Tensor.concatenate(pieces, axis: 0).backward(seed: Tensor.concatenate(seeds, axis: 0))
        for (key, leaf) in leaves { result["grad." + key] = leaf.grad ?? Tensor.zeros(leaf.shape) }
        return result
    }

    /// `RNN`, `LSTM`, `GRU`: settings `input_size`, `hidden_size`, `num_layers`, `bias`, `batch_first`,
    /// `bidirectional`, `proj_size` (LSTM), `nonlinearity` (RNN), optional `seq_len`, `batch`, `lengths`;
    /// inputs `x` `[seq, batch, I]` (`[batch, seq, I]` batch-first) or unbatched `[seq, I]` as PyTorch
    /// allows, optional `h0`/`c0` `[layers·D, batch, ·]` (`[layers·D, ·]` unbatched; zeros when absent) and
    /// int64 `lengths` `[batch]`; outputs `output`, `h_n`, `c_n` (LSTM).
    static func recurrentNetwork(_ golden: GoldenCase) throws -> [String: Tensor] {
        let kind = try recurrenceKind(golden)
        let inputSize = try golden.size("input_size"), hiddenSize = try golden.size("hidden_size")
        let layerCount = try golden.integer("num_layers", in: ParityLimits.layers, default: 1)
        let bias = try golden.flag("bias", default: true), batchFirst = try golden.flag("batch_first", default: false)
        let bidirectional = try golden.flag("bidirectional", default: false)
        let projectionSize = try golden.integer("proj_size", in: 0...(kind == .lstm ? hiddenSize - 1 : 0), default: 0)
        let directions = bidirectional ? 2 : 1, outputSize = projectionSize > 0 ? projectionSize : hiddenSize
        let gates = kind.gateCount * hiddenSize
        var shapes: [(key: String, shape: [Int])] = []
        for layer in 0..<layerCount {
            for direction in 0..<directions {
                let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                shapes += [("weight_ih" + suffix, [gates, layer == 0 ? inputSize : directions * outputSize]),
                           ("weight_hh" + suffix, [gates, outputSize])]
                if bias { shapes += [("bias_ih" + suffix, [gates]), ("bias_hh" + suffix, [gates])] }
                if projectionSize > 0 { shapes.append(("weight_hr" + suffix, [projectionSize, hiddenSize])) }
            }
        }
        try golden.checkParameters(shapes)
        try golden.checkInputs(allowed: kind.hasCell ? ["x", "h0", "c0", "lengths"] : ["x", "h0", "lengths"])

        let x = try golden.tensor("input.x")
        guard x.rank == 3 || x.rank == 2, x.shape.last == inputSize else {
            throw ParityError("'input.x' has shape \(x.shape), expected \(batchFirst ? "[batch, seq" : "[seq, batch"), \(inputSize)] or [seq, \(inputSize)] unbatched")
        }
        let unbatched = try isUnbatched(golden, x, unbatchedRank: 2)
        let steps = unbatched ? x.shape[0] : x.shape[batchFirst ? 1 : 0], batch = unbatched ? 1 : x.shape[batchFirst ? 0 : 1]
        _ = try golden.integer("seq_len", in: steps...steps, default: steps)
        if !unbatched { _ = try golden.integer("batch", in: batch...batch, default: batch) }
        let stack = layerCount * directions
        let h0 = try golden.optionalTensor("input.h0", shape: unbatched ? [stack, outputSize] : [stack, batch, outputSize])
        let c0 = try golden.optionalTensor("input.c0", shape: unbatched ? [stack, hiddenSize] : [stack, batch, hiddenSize])
        if kind.hasCell && (h0 == nil) != (c0 == nil) { throw ParityError("an LSTM case needs both 'input.h0' and 'input.c0', or neither") }
        let lengths = try golden.optionalIntegers("input.lengths", shape: [batch])?.scalars
        if let lengths {
            if unbatched { throw ParityError("'input.lengths' needs a batched 'input.x'") }
            if let bad = lengths.firstIndex(where: { !(1...steps).contains($0) }) {
                throw ParityError("'input.lengths'[\(bad)] = \(lengths[bad]) is outside 1...\(steps)")
            }
            if let listed = golden.configuration["lengths"], listed != .array(lengths.map(CaseValue.integer)) {
                throw ParityError("metadata 'lengths' \(listed) differs from 'input.lengths' \(lengths)")
            }
        }

        let net = RecurrentNetwork(kind: kind, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                                   batchFirst: batchFirst, bidirectional: bidirectional, projectionSize: projectionSize)
        try net.load(stateDict: golden.parameters)
        var leaves: [String: Tensor] = ["input.x": x.requiringGradient()]
        // Unbatched input runs as a batch of one, as PyTorch does: the batch axis is added here and removed from the results.
        let batchAxis = batchFirst ? 0 : 1
        var state: RecurrentState? = nil
        if let h0 {
            leaves["input.h0"] = h0.requiringGradient()
            if let c0 { leaves["input.c0"] = c0.requiringGradient() }
            let batched = { (t: Tensor) in unbatched ? t.unsqueezed(at: 1) : t }
            state = RecurrentState(hidden: batched(leaves["input.h0"]!), cell: leaves["input.c0"].map(batched))
        }
        let input = unbatched ? leaves["input.x"]!.unsqueezed(at: batchAxis) : leaves["input.x"]!
        let result = try net(input, initialState: state, lengths: lengths)
        var outputs = ["output": unbatched ? result.output.squeezed(at: batchAxis) : result.output,
                       "h_n": unbatched ? result.hidden.squeezed(at: 1) : result.hidden]
        if let cell = result.cell { outputs["c_n"] = unbatched ? cell.squeezed(at: 1) : cell }
        for (key, parameter) in net.namedParameters { leaves["param." + key] = parameter.value }
        return try differentiate(golden, outputs: outputs, leaves: leaves)
    }

    /// `RNNCell`, `LSTMCell`, `GRUCell`: settings `input_size`, `hidden_size`, `bias`, `nonlinearity` (RNNCell),
    /// optional `batch`; inputs `x` `[batch, I]` or unbatched `[I]`, optional `h` (and `c` for LSTMCell)
    /// `[batch, H]` / `[H]` (zeros when absent, as PyTorch); outputs `h` and `c` (LSTMCell).
    static func recurrentCell(_ golden: GoldenCase) throws -> [String: Tensor] {
        let inputSize = try golden.size("input_size"), hiddenSize = try golden.size("hidden_size")
        let bias = try golden.flag("bias", default: true), kind = try recurrenceKind(golden)
        let rows = kind.gateCount * hiddenSize
        try golden.checkParameters([("weight_ih", [rows, inputSize]), ("weight_hh", [rows, hiddenSize])]
                                   + (bias ? [("bias_ih", [rows]), ("bias_hh", [rows])] : []))
        try golden.checkInputs(allowed: kind.hasCell ? ["x", "h", "c"] : ["x", "h"])
        let x = try golden.tensor("input.x")
        guard x.rank == 2 || x.rank == 1, x.shape.last == inputSize else {
            throw ParityError("'input.x' has shape \(x.shape), expected [batch, \(inputSize)] or [\(inputSize)] unbatched")
        }
        let unbatched = try isUnbatched(golden, x, unbatchedRank: 1), batch = unbatched ? 1 : x.shape[0]
        if !unbatched { _ = try golden.integer("batch", in: batch...batch, default: batch) }
        let stateShape = unbatched ? [hiddenSize] : [batch, hiddenSize]
        let h = try golden.optionalTensor("input.h", shape: stateShape), c = try golden.optionalTensor("input.c", shape: stateShape)
        if kind.hasCell && (h == nil) != (c == nil) { throw ParityError("an LSTMCell case needs both 'input.h' and 'input.c', or neither") }

        let cell: FusedCell
        switch kind {
        case .lstm: cell = LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias)
        case .gru: cell = GRUCell(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias)
        default: cell = RNNCell(inputSize: inputSize, hiddenSize: hiddenSize, nonlinearity: kind == .rnnReLU ? .relu : .tanh, bias: bias)
        }
        try cell.load(stateDict: golden.parameters)
        var leaves: [String: Tensor] = ["input.x": x.requiringGradient()]
        let batched = { (t: Tensor) in unbatched ? t.unsqueezed(at: 0) : t }
        var state = cell.zeroState(batchSize: batch)
        if let h {
            leaves["input.h"] = h.requiringGradient()
            if let c { leaves["input.c"] = c.requiringGradient() }
            state = RecurrentState(hidden: batched(leaves["input.h"]!), cell: leaves["input.c"].map(batched))
        }
        let next = try cell(batched(leaves["input.x"]!), state)
        let unbatchedResult = { (t: Tensor) in unbatched ? t.squeezed(at: 0) : t }
        var outputs = ["h": unbatchedResult(next.hidden)]
        if let c = next.cell { outputs["c"] = unbatchedResult(c) }
        for (key, parameter) in cell.namedParameters { leaves["param." + key] = parameter.value }
        return try differentiate(golden, outputs: outputs, leaves: leaves)
    }

    /// The recurrence of `RNN`/`LSTM`/`GRU` and their cells (RNN's from its `nonlinearity` setting).
    static func recurrenceKind(_ golden: GoldenCase) throws -> RecurrenceKind {
        switch golden.module {
        case "LSTM", "LSTMCell": return .lstm
        case "GRU", "GRUCell": return .gru
        default: return try golden.choice("nonlinearity", among: ["tanh", "relu"], default: "tanh") == "relu" ? .rnnReLU : .rnnTanh
        }
    }

    /// Whether `input.x` is PyTorch's unbatched input (of rank `unbatchedRank`), which must agree with the
    /// `unbatched` setting when the file has one.
    static func isUnbatched(_ golden: GoldenCase, _ x: Tensor, unbatchedRank: Int) throws -> Bool {
        let unbatched = x.rank == unbatchedRank
        guard try golden.flag("unbatched", default: unbatched) == unbatched else {
            throw ParityError("metadata 'unbatched' is \(!unbatched), but 'input.x' has shape \(x.shape)")
        }
        return unbatched
    }
}
