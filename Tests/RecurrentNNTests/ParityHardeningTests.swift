import Foundation
import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// Each malformed or inconsistent case must be a one-line `ParityError` naming the key (never a crash),
/// and nothing wrong may pass as `ok`. The variants are written from good cases: the shared LSTM golden
/// case (skipped without ../shared) and the committed attention cases.
@Suite struct ParityHardeningTests {
    /// One broken variant of a good case and the message it must give.
    struct Breakage: CustomTestStringConvertible, Sendable {
        let name: String
        let expected: String
        let integerKeys: Set<String>
        let edit: @Sendable (inout ParityCaseFile) -> Void
        init(_ name: String, _ expected: String, integerKeys: Set<String> = [], _ edit: @escaping @Sendable (inout ParityCaseFile) -> Void) {
            (self.name, self.expected, self.integerKeys, self.edit) = (name, expected, integerKeys, edit)
        }
        var testDescription: String { name }
    }

    static let lstmBreakages: [Breakage] = [
        Breakage("hidden_size 0", "metadata 'hidden_size' must be an integer in 1...65536, got 0") { $0.settings["hidden_size"] = .integer(0) },
        Breakage("hidden_size -1", "metadata 'hidden_size' must be an integer in 1...65536, got -1") { $0.settings["hidden_size"] = .integer(-1) },
        Breakage("hidden_size 2^40", "metadata 'hidden_size' must be an integer in 1...65536, got 1099511627776") {
            $0.settings["hidden_size"] = .integer(1 << 40)
        },
        Breakage("hidden_size false", "metadata 'hidden_size' must be an integer in 1...65536, got false") { $0.settings["hidden_size"] = .bool(false) },
        Breakage("hidden_size 6.5", "metadata 'hidden_size' must be an integer in 1...65536, got 6.5") { $0.settings["hidden_size"] = .number(6.5) },
        Breakage("num_layers 0", "metadata 'num_layers' must be an integer in 1...64, got 0") { $0.settings["num_layers"] = .integer(0) },
        Breakage("num_layers -1", "metadata 'num_layers' must be an integer in 1...64, got -1") { $0.settings["num_layers"] = .integer(-1) },
        Breakage("num_layers 2^40", "metadata 'num_layers' must be an integer in 1...64, got 1099511627776") { $0.settings["num_layers"] = .integer(1 << 40) },
        Breakage("num_layers false", "metadata 'num_layers' must be an integer in 1...64, got false") { $0.settings["num_layers"] = .bool(false) },
        Breakage("bias 1", "metadata 'bias' must be true or false, got 1") { $0.settings["bias"] = .integer(1) },
        Breakage("module GRU on an LSTM case", "'param.weight_ih_l0' has shape [24, 4], GRU as configured expects [18, 4]") {
            $0.settings["module"] = .string("GRU")
        },
        Breakage("upstream of the wrong size", "'upstream.output' has shape [3, 3, 6], 'output.output' has [5, 3, 6]") {
            $0.floats["upstream.output"] = Tensor.zeros([3, 3, 6])
        },
        Breakage("zero-size x", "'input.x' has shape [0, 3, 4] with no elements") { $0.floats["input.x"] = Tensor.zeros([0, 3, 4]) },
        Breakage("x of the wrong feature size", "'input.x' has shape [5, 3, 5], expected [seq, batch, 4] or [seq, 4] unbatched") {
            $0.floats["input.x"] = Tensor.zeros([5, 3, 5])
        },
        Breakage("h0 of the wrong batch", "'input.h0' has shape [1, 2, 6], expected [1, 3, 6]") { $0.floats["input.h0"] = Tensor.zeros([1, 2, 6]) },
        Breakage("c0 without h0", "an LSTM case needs both 'input.h0' and 'input.c0', or neither") {
            $0.floats["input.h0"] = nil
            $0.floats["grad.input.h0"] = nil
        },
        Breakage("seq_len disagreeing with x", "metadata 'seq_len' must be an integer in 5...5, got 7") { $0.settings["seq_len"] = .integer(7) },
        Breakage("lengths of the wrong count", "'input.lengths' has shape [2], expected [3]") { $0.integers["input.lengths"] = IntTensor([5, 5]) },
        Breakage("a length of 0", "'input.lengths'[1] = 0 is outside 1...5") { $0.integers["input.lengths"] = IntTensor([5, 0, 2]) },
        Breakage("a length beyond seq", "'input.lengths'[2] = 6 is outside 1...5") { $0.integers["input.lengths"] = IntTensor([5, 1, 6]) },
        Breakage("an input the runner would ignore", "unexpected input 'input.mask' for LSTM (it takes c0, h0, lengths, x)") {
            $0.floats["input.mask"] = Tensor.zeros([1])
        },
        Breakage("nothing to compare", "nothing to compare: the file has no output.* or grad.* tensor") { file in
            for key in file.floats.keys where !key.hasPrefix("param.") && !key.hasPrefix("input.") { file.floats[key] = nil }
        },
        Breakage("NaN expected", "'output.h_n' holds nan at index 0; expected values must be finite") {
            $0.floats["output.h_n"]!.updateScalars { $0[0] = .nan }
        },
        Breakage("Inf expected gradient", "'grad.param.weight_hh_l0' holds inf at index 3; expected values must be finite") {
            $0.floats["grad.param.weight_hh_l0"]!.updateScalars { $0[3] = .infinity }
        },
        Breakage("a gradient missing", "the file lacks 'grad.input.h0', which the library computes") { $0.floats["grad.input.h0"] = nil },
        Breakage("a gradient renamed",
                 "the file lacks 'grad.input.h0', which the library computes; the file has 'grad.input.hzero', which the library does not compute") {
            $0.floats["grad.input.hzero"] = $0.floats.removeValue(forKey: "grad.input.h0")
        },
        Breakage("an output missing", "the file lacks 'output.c_n' and 'upstream.c_n', which the library computes") {
            $0.floats["output.c_n"] = nil
            $0.floats["upstream.c_n"] = nil
        },
        Breakage("an output the library does not compute", "the file has 'output.extra', which the library does not compute") {
            $0.floats["output.extra"] = Tensor.zeros([2])
            $0.floats["upstream.extra"] = Tensor.zeros([2])
        },
        Breakage("an output stored as integers", "'output.c_n' is stored as I64; outputs and gradients must be float",
                 integerKeys: ["output.c_n"]) { _ in },
    ]

    @Test(arguments: lstmBreakages)
    func aBrokenLSTMCaseIsRefusedInOneLine(_ breakage: Breakage) throws {
        guard let url = SharedData.require("golden/lstm_1layer.safetensors") else { return }
        var file = try ParityCaseFile(contentsOf: url)
        file.integers["input.lengths"] = file.integers["input.lengths"] ?? IntTensor([5, 5, 5])
        #expect(try file.refusal() == "", "the unbroken case (with full lengths) must run")
        breakage.edit(&file)
        let message = try file.refusal(integerKeys: breakage.integerKeys)
        #expect(message == breakage.expected)
        #expect(!message.contains("\n"))
    }

    static let attentionBreakages: [Breakage] = [
        Breakage("add_bias_kv", "unsupported: add_bias_kv") { $0.settings["add_bias_kv"] = .bool(true) },
        Breakage("bias_k in the state dict", "unsupported: add_bias_kv") { $0.floats["param.bias_k"] = Tensor.zeros([1, 1, 8]) },
        Breakage("add_zero_attn", "unsupported: add_zero_attn") { $0.settings["add_zero_attn"] = .bool(true) },
        Breakage("embed_dim not divisible by num_heads", "metadata 'embed_dim' 8 is not divisible by 'num_heads' 3") {
            $0.settings["num_heads"] = .integer(3)
        },
        Breakage("num_heads 0", "metadata 'num_heads' must be an integer in 1...1024, got 0") { $0.settings["num_heads"] = .integer(0) },
        Breakage("kdim without separate projections", "missing 'param.q_proj_weight' (MultiheadAttention expects shape [8, 8])") {
            $0.settings["kdim"] = .integer(5)
        },
    ]

    @Test(arguments: attentionBreakages)
    func aBrokenAttentionCaseIsRefusedInOneLine(_ breakage: Breakage) throws {
        var file = try ParityCaseFile.committed("mha_float_mask_padding")
        #expect(try file.refusal() == "")
        breakage.edit(&file)
        #expect(try file.refusal(integerKeys: breakage.integerKeys) == breakage.expected)
    }

    @Test func theFloatMaskIsNotIgnored() throws {
        // Zeroing the additive mask must change the results enough to fail the comparison.
        var file = try ParityCaseFile.committed("sdpa_float_mask")
        file.floats["input.attn_mask"] = Tensor.zeros(file.floats["input.attn_mask"]!.shape)
        let url = try file.write()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let report = try Parity.run(url)
        #expect(!report.passed)
        #expect(report.worst!.maxScaledError > 0.01)
    }

    @Test func ourNaNOrInfFailsTheEntry() {
        let nan = ParityReport.Entry(name: "output.output", ours: [1, .nan, 3], expected: [1, 2, 3])
        #expect(nan.nonFiniteCount == 1 && nan.maxScaledError == .infinity && !nan.passes(1e9))
        let inf = ParityReport.Entry(name: "output.output", ours: [-.infinity, 2], expected: [1, 2])
        #expect(inf.nonFiniteCount == 1 && !inf.passes(1e9))
        let close = ParityReport.Entry(name: "output.output", ours: [1, 2.0001], expected: [1, 2])
        #expect(close.nonFiniteCount == 0 && close.passes(1e-4) && !close.passes(1e-5))
        let report = ParityReport(caseName: "c", module: "m", entries: [close, nan], tolerance: 1e-4)
        #expect(!report.passed && report.worst?.nonFiniteCount == 1)
    }

    @Test func metadataIsDecodedStrictly() throws {
        let text = #"{"a": true, "b": 1, "c": 1.5, "d": 1099511627776, "e": null, "f": "x", "g": [1, false]}"#
        let decoded = try JSONDecoder().decode([String: CaseValue].self, from: Data(text.utf8))
        #expect(decoded == ["a": .bool(true), "b": .integer(1), "c": .number(1.5), "d": .integer(1 << 40), "e": .null,
                            "f": .string("x"), "g": .array([.integer(1), .bool(false)])])
    }

    @Test func unbatchedSettingMustAgreeWithTheInput() throws {
        guard let url = SharedData.require("golden/lstmcell.safetensors") else { return }
        var file = try ParityCaseFile(contentsOf: url)
        file.settings["unbatched"] = .bool(true)
        #expect(try file.refusal() == "metadata 'unbatched' is true, but 'input.x' has shape [3, 4]")
    }
}

extension ParityHardeningTests {
    @Test func attentionInputsThatBroadcastToHugeWeightsAreRefused() throws {
        var file = try ParityCaseFile.committed("sdpa_float_mask")
        file.floats["input.query"] = Tensor.zeros([8192, 1, 1, 4])
        file.floats["input.key"] = Tensor.zeros([1, 4096, 1, 4])
        file.floats["input.value"] = Tensor.zeros([1, 4096, 1, 4])
        #expect(try file.refusal() == "the inputs imply 8192 × 4096 × 1 × 1 attention weights, more than 16777216")
    }
}
