import Foundation
import RecurrentCore

/// Runs golden cases through the library and measures how far its outputs and gradients are from PyTorch's.
public enum Parity {
    /// The agreed tolerance: |ours − PyTorch's| ≤ 1e-4 · (1 + |PyTorch's|).
    public static let defaultTolerance: Float = 1e-4

    /// Runs one case file.
    ///
    /// - Throws: `SafeTensorsError` or `ParityError` when the file cannot be read or the module is unknown.
    public static func run(_ url: URL, tolerance: Float = defaultTolerance) throws -> ParityReport {
        let golden = try GoldenCase(contentsOf: url)
        guard let runner = runners[golden.module] else {
            throw ParityError("module '\(golden.module)' is not supported")
        }
        let computed = try runner(golden)
        var entries: [ParityReport.Entry] = []
        for (key, expected) in golden.tensors.sorted(by: { $0.key < $1.key })
        where key.hasPrefix("output.") || key.hasPrefix("grad.") {
            guard let ours = computed[key] else { throw ParityError("the library produced no '\(key)'") }
            guard ours.shape == expected.shape else {
                throw ParityError("'\(key)' has shape \(ours.shape), PyTorch's has \(expected.shape)")
            }
            var maxAbsolute: Float = 0, maxScaled: Float = 0
            for (a, b) in zip(ours.scalars, expected.scalars) {
                let d = Swift.abs(a - b)
                if d.isNaN { maxAbsolute = .nan; maxScaled = .infinity; break }
                maxAbsolute = Swift.max(maxAbsolute, d)
                maxScaled = Swift.max(maxScaled, d / (1 + Swift.abs(b)))
            }
            entries.append(.init(name: key, maxAbsoluteError: maxAbsolute, maxScaledError: maxScaled))
        }
        return ParityReport(caseName: golden.name, module: golden.module, entries: entries, tolerance: tolerance)
    }

    /// A runner computes, from a case, every `output.*` and `grad.*` tensor it should match.
    typealias Runner = (GoldenCase) throws -> [String: Tensor]

    static let runners: [String: Runner] = [
        "RNN": recurrentNetwork, "LSTM": recurrentNetwork, "GRU": recurrentNetwork,
        "RNNCell": recurrentCell, "LSTMCell": recurrentCell, "GRUCell": recurrentCell,
    ]

    /// Back-propagates `L = Σ upstream.<name> · output.<name>` and collects gradients of the given leaves.
    static func differentiate(_ golden: GoldenCase, outputs: [String: Tensor], leaves: [String: Tensor]) throws -> [String: Tensor] {
        var pieces: [Tensor] = [], seeds: [Tensor] = []
        var result: [String: Tensor] = [:]
        for (name, value) in outputs.sorted(by: { $0.key < $1.key }) {
            result["output." + name] = value.detached()
            pieces.append(value.reshaped([-1]))
            seeds.append(try golden.tensor("upstream." + name).reshaped([-1]))
        }
        Tensor.concatenate(pieces, axis: 0).backward(seed: Tensor.concatenate(seeds, axis: 0))
        for (key, leaf) in leaves { result["grad." + key] = leaf.grad ?? Tensor.zeros(leaf.shape) }
        return result
    }

    static func recurrentNetwork(_ golden: GoldenCase) throws -> [String: Tensor] {
        let kind: RecurrenceKind
        switch golden.module {
        case "LSTM": kind = .lstm
        case "GRU": kind = .gru
        default: kind = (golden.configuration["nonlinearity"] as? String) == "relu" ? .rnnReLU : .rnnTanh
        }
        let net = RecurrentNetwork(kind: kind, inputSize: try golden.int("input_size"), hiddenSize: try golden.int("hidden_size"),
                                   layerCount: try golden.int("num_layers", default: 1), bias: golden.bool("bias", default: true),
                                   batchFirst: golden.bool("batch_first", default: false),
                                   bidirectional: golden.bool("bidirectional", default: false),
                                   projectionSize: try golden.int("proj_size", default: 0))
        try net.load(stateDict: golden.parameters)
        var leaves: [String: Tensor] = ["input.x": try golden.tensor("input.x").requiringGradient()]
        var state: RecurrentState? = nil
        if let h0 = golden.tensors["input.h0"] {
            leaves["input.h0"] = h0.requiringGradient()
            if let c0 = golden.tensors["input.c0"] { leaves["input.c0"] = c0.requiringGradient() }
            state = RecurrentState(hidden: leaves["input.h0"]!, cell: leaves["input.c0"])
        }
        let lengths = golden.integers["input.lengths"]?.scalars
        let result = try net(leaves["input.x"]!, initialState: state, lengths: lengths)
        var outputs = ["output": result.output, "h_n": result.hidden]
        if let cell = result.cell { outputs["c_n"] = cell }
        for (key, parameter) in net.namedParameters { leaves["param." + key] = parameter.value }
        return try differentiate(golden, outputs: outputs, leaves: leaves)
    }

    static func recurrentCell(_ golden: GoldenCase) throws -> [String: Tensor] {
        let (inputSize, hiddenSize) = (try golden.int("input_size"), try golden.int("hidden_size"))
        let bias = golden.bool("bias", default: true)
        let cell: FusedCell
        switch golden.module {
        case "LSTMCell": cell = LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias)
        case "GRUCell": cell = GRUCell(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias)
        default:
            let relu = (golden.configuration["nonlinearity"] as? String) == "relu"
            cell = RNNCell(inputSize: inputSize, hiddenSize: hiddenSize, nonlinearity: relu ? .relu : .tanh, bias: bias)
        }
        try cell.load(stateDict: golden.parameters)
        var leaves: [String: Tensor] = ["input.x": try golden.tensor("input.x").requiringGradient(),
                                        "input.h": try golden.tensor("input.h").requiringGradient()]
        if let c = golden.tensors["input.c"] { leaves["input.c"] = c.requiringGradient() }
        let next = try cell(leaves["input.x"]!, RecurrentState(hidden: leaves["input.h"]!, cell: leaves["input.c"]))
        var outputs = ["h": next.hidden]
        if let c = next.cell { outputs["c"] = c }
        for (key, parameter) in cell.namedParameters { leaves["param." + key] = parameter.value }
        return try differentiate(golden, outputs: outputs, leaves: leaves)
    }
}
