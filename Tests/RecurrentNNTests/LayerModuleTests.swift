import Foundation
import Testing
import RecurrentCore
import RecurrentData
import RecurrentNN
import TestSupport

/// A PyTorch-made case from Tests/RecurrentNNTests/Golden (scripts/make_layer_golden.py).
struct LayerGolden {
    let tensors: [String: Tensor]
    let integers: [String: IntTensor]

    init(_ name: String) throws {
        let url = SharedData.packageRoot.appendingPathComponent("Tests/RecurrentNNTests/Golden/\(name).safetensors")
        let file = try SafeTensorsFile(contentsOf: url)
        var tensors: [String: Tensor] = [:], integers: [String: IntTensor] = [:]
        for info in file.tensors {
            if info.dtype == .i64 { integers[info.name] = try file.intTensor(info.name) } else { tensors[info.name] = try file.tensor(info.name) }
        }
        (self.tensors, self.integers) = (tensors, integers)
    }

    /// The `param.*` tensors as a state dict.
    var stateDict: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: tensors.filter { $0.key.hasPrefix("param.") }.map { (String($0.key.dropFirst(6)), $0.value) })
    }

    /// Back-propagates `upstream.y` through `output`, then returns the largest scaled error of the output and
    /// of every `grad.param.*` (and `grad.input.x` when `input` is given), checking each key is compared.
    func worstError(output: Tensor, module: Module, input: Tensor? = nil) throws -> Float {
        output.backward(seed: tensors["upstream.y"]!)
        var pairs: [(String, Tensor, Tensor)] = [("output.y", output.detached(), tensors["output.y"]!)]
        for (key, parameter) in module.namedParameters {
            pairs.append(("grad.param." + key, parameter.grad ?? Tensor.zeros(parameter.shape), try #require(tensors["grad.param." + key], "\(key)")))
        }
        if let input { pairs.append(("grad.input.x", input.grad!, tensors["grad.input.x"]!)) }
        #expect(Set(pairs.map(\.0)) == Set(tensors.keys.filter { $0.hasPrefix("grad.") || $0.hasPrefix("output.") }), "every stored value is compared")
        var worst: Float = 0
        for (key, ours, theirs) in pairs {
            #expect(ours.shape == theirs.shape, "\(key)")
            let error = zip(ours.scalars, theirs.scalars).map { Swift.abs($0 - $1) / (1 + Swift.abs($1)) }.max() ?? 0
            #expect(error <= 1e-5, "\(key): scaled error \(error)")
            worst = Swift.max(worst, error.isNaN ? .infinity : error)
        }
        return worst
    }
}

/// A named composition with PyTorch's keys: `encoder.embedding`, `encoder.lstm`, `encoder.norm`, `head`.
final class NamedTagger: Module {
    final class Encoder: Module {
        let embedding: Embedding, lstm: LSTM, norm: LayerNorm
        init() throws {
            embedding = try Embedding(10, 6, paddingIndex: 0)
            lstm = LSTM(inputSize: 6, hiddenSize: 8, batchFirst: true)
            norm = try LayerNorm(8)
        }
        var namedParameters: [(key: String, parameter: Parameter)] {
            prefixed("embedding", embedding) + prefixed("lstm", lstm) + prefixed("norm", norm)
        }
        var children: [(name: String, module: any Module)] { [("embedding", embedding), ("lstm", lstm), ("norm", norm)] }
    }
    let encoder: Encoder, head: Linear
    init() throws {
        encoder = try Encoder()
        head = try Linear(8, 3)
    }
    var namedParameters: [(key: String, parameter: Parameter)] { prefixed("encoder", encoder) + prefixed("head", head) }
    var children: [(name: String, module: any Module)] { [("encoder", encoder), ("head", head)] }

    func callAsFunction(_ ids: IntTensor) throws -> Tensor {
        let hidden = try encoder.lstm(try encoder.embedding(ids)).output
        return try head(try encoder.norm(hidden))
    }
}

@Suite("Layer modules and containers")
struct LayerModuleTests {
    @Test("a PyTorch Sequential's state_dict loads unchanged, and values and every gradient match")
    func sequentialMatchesPyTorch() throws {
        let golden = try LayerGolden("layers_sequential")
        let mlp = Sequential(try Linear(5, 7), Activation.relu, try LayerNorm(7), try Dropout(0.5), try Linear(7, 3, bias: false))
        #expect(mlp.namedParameters.map(\.key) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight"])
        try mlp.load(stateDict: golden.stateDict)
        mlp.eval()
        let x = golden.tensors["input.x"]!.requiringGradient()
        let worst = try golden.worstError(output: try mlp(x), module: mlp, input: x)
        print("layers_sequential: worst scaled error \(worst)")
    }

    @Test("a named composition (embedding with padding, LSTM, LayerNorm, Linear) matches PyTorch's keys, values and gradients")
    func namedCompositionMatchesPyTorch() throws {
        let golden = try LayerGolden("layers_named")
        let model = try NamedTagger()
        #expect(Set(model.namedParameters.map(\.key)) == Set(golden.stateDict.keys))
        try model.load(stateDict: golden.stateDict)
        let worst = try golden.worstError(output: try model(golden.integers["input.ids"]!), module: model)
        // The padding row was looked up (ids 0) but got no gradient.
        #expect(model.encoder.embedding.weight.grad!.scalars[0..<6].allSatisfy { $0 == 0 })
        print("layers_named: worst scaled error \(worst)")
    }

    @Test("LayerNorm over two trailing dimensions matches PyTorch")
    func layerNorm2D() throws {
        let golden = try LayerGolden("layers_layernorm_2d")
        let norm = try LayerNorm([3, 4], epsilon: 1e-3)
        try norm.load(stateDict: golden.stateDict)
        let x = golden.tensors["input.x"]!.requiringGradient()
        let worst = try golden.worstError(output: try norm(x), module: norm, input: x)
        print("layers_layernorm_2d: worst scaled error \(worst)")
    }

    @Test("finite-difference gradients: Linear, LayerNorm and Embedding with padding")
    func gradientChecks() throws {
        var t = TestTensors(seed: 3)
        let linear = try Linear(4, 3)
        #expect(GradientCheck.mismatches([t.uniform([2, 5, 4]), t.uniform([3, 4]), t.uniform([3])]) { v in
            linear.weight.value = v[1]
            linear.bias!.value = v[2]
            return try! linear(v[0])
        }.isEmpty)
        let norm = try LayerNorm(6)
        #expect(GradientCheck.mismatches([t.uniform([3, 6]), t.uniform([6], 0.5, 1.5), t.uniform([6])], tolerance: 5e-3) { v in
            norm.weight!.value = v[1]
            norm.bias!.value = v[2]
            return try! norm(v[0])
        }.isEmpty)
        let embedding = try Embedding(5, 3, paddingIndex: 1)
        let ids = IntTensor(shape: [2, 3], scalars: [1, 4, 2, 2, 1, 0])
        let mismatches = GradientCheck.mismatches([t.uniform([5, 3])]) { v in
            embedding.weight.value = v[0]
            return try! embedding(ids)
        }
        // The padding row's numeric gradient is not zero, but PyTorch (and we) train it not at all: only row 1 differs.
        #expect(!mismatches.isEmpty && mismatches.allSatisfy { $0.index / 3 == 1 && $0.analytic == 0 })
    }

    @Test("train() and eval() reach every submodule; freeze() stops gradients and updates")
    func modesAndFreezing() throws {
        let dropout = try Dropout(0.5)
        let inner = Sequential(try Linear(3, 3), dropout)
        let outer = Sequential(inner, try Linear(3, 2))
        outer.eval()
        #expect(!dropout.isTraining)
        let x = Tensor.ones([4, 3])
        #expect(try inner(x).scalars == (try inner.layers[0](x)).scalars, "no dropout in eval")
        outer.train()
        #expect(dropout.isTraining)
        inner.freeze()
        #expect(outer.trainableParameters.count == 2)
        let optimizer = SGD(parameters: outer.trainableParameters, learningRate: 0.1)
        let before = inner.stateDict().mapValues(\.scalars)
        try outer(x).sum().backward()
        #expect(inner.parameters.allSatisfy { $0.grad == nil })
        optimizer.step()
        #expect(inner.stateDict().mapValues(\.scalars) == before)
        inner.freeze(false)
        #expect(outer.trainableParameters.count == 4)
    }

    @Test("bad sizes and inputs are errors, not traps")
    func errors() throws {
        #expect(throws: LayerError.self) { try Linear(0, 3) }
        #expect(throws: LayerError.self) { try Embedding(10, 4, paddingIndex: 10) }
        #expect(throws: LayerError.self) { try Embedding(Limits.maximumVocabulary, Limits.maximumWidth) }
        #expect(throws: LayerError.self) { try LayerNorm([]) }
        #expect(throws: LayerError.self) { try Dropout(1) }
        #expect(throws: LayerError.input(layer: "Linear", reason: "expected [..., 4], got [2, 3]")) { try Linear(4, 2)(Tensor.zeros([2, 3])) }
        #expect(throws: LayerError.input(layer: "Embedding", reason: "id 7 at position 1 is not in 0..<5")) {
            try Embedding(5, 2)(IntTensor(shape: [2], scalars: [0, 7]))
        }
        #expect(throws: LayerError.self) { try LayerNorm(4)(Tensor.zeros([2, 3])) }
    }

    @Test("PyTorch's initialization ranges")
    func initialization() throws {
        let linear = try Linear(100, 50)
        let bound = 1 / Float(100).squareRoot()
        #expect(linear.weight.value.scalars.allSatisfy { Swift.abs($0) <= bound })
        #expect(linear.weight.value.scalars.map { Swift.abs($0) }.max()! > 0.9 * bound)
        let embedding = try Embedding(1000, 10, paddingIndex: 3)
        let values = embedding.weight.value.scalars
        #expect(values[30..<40].allSatisfy { $0 == 0 })
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)
        #expect(Swift.abs(mean) < 0.05 && Swift.abs(variance - 1) < 0.05)
    }
}

@Suite("ModelFiles")
struct ModelFilesTests {
    struct Config: Codable, Equatable { var width: Int }

    @Test("a model folder for any module: saved whole, loaded strictly, format and weights checked")
    func roundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-modelfiles-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let mlp = Sequential(try Linear(3, 5, seed: 1), Activation.relu, try Linear(5, 2, seed: 2))
        let words = try Vocabulary(tokens: ["a", "b"])
        try ModelFiles.save(mlp, configuration: Config(width: 5), format: "test.mlp", vocabularies: ["words": words], to: folder)
        let loaded = try ModelFiles.load(Config.self, format: "test.mlp", from: folder) { config, _ in
            Sequential(try Linear(3, config.width), Activation.relu, try Linear(config.width, 2))
        }
        #expect(loaded.configuration == Config(width: 5) && loaded.vocabularies["words"] == words)
        #expect(loaded.model.stateDict().mapValues(\.scalars) == mlp.stateDict().mapValues(\.scalars))
        #expect(throws: ModelFolderReader.ReadError.invalid(path: folder.path, reason: "config.json: format: 'test.mlp' version 1, expected 'other' version 1")) {
            _ = try ModelFiles.load(Config.self, format: "other", from: folder) { _, _ in mlp }
        }
        // A configuration that does not fit the weights is named, with the key and both shapes.
        do {
            _ = try ModelFiles.load(Config.self, format: "test.mlp", from: folder) { _, _ in Sequential(try Linear(3, 4), Activation.relu, try Linear(4, 2)) }
            Issue.record("weights of the wrong shape loaded")
        } catch let error as ModelFolderReader.ReadError {
            #expect(error.reason.hasPrefix("model.safetensors: shape mismatch for '0.bias'"), "\(error)")
        }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("words.json"))
        #expect(throws: ModelFolderReader.ReadError.missing(path: folder.path, reason: "words.json is missing")) {
            _ = try ModelFiles.load(Config.self, format: "test.mlp", from: folder) { _, _ in mlp }
        }
    }
}
