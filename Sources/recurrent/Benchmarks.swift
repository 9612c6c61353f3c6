import Foundation
import Recurrent

/// The benchmark cases of `recurrent bench`, named and shaped as in `../shared/bench/torch_bench.py`
/// so the two can be compared in one run on one machine.
enum Benchmarks {
    /// A case's figures, printed as a JSON object.
    typealias Figures = [String: Double]

    /// One recurrent case of the suite.
    struct RecurrentCase {
        let kind: RecurrenceKind, steps: Int, batch: Int, input: Int, hidden: Int, layers: Int
        var bidirectional = false
        let training: Bool
    }

    static let recurrentCases: [(String, RecurrentCase)] = [
        ("lstm_infer_b1", RecurrentCase(kind: .lstm, steps: 50, batch: 1, input: 256, hidden: 256, layers: 1, training: false)),
        ("lstm_infer_b64", RecurrentCase(kind: .lstm, steps: 50, batch: 64, input: 256, hidden: 256, layers: 1, training: false)),
        ("lstm_train", RecurrentCase(kind: .lstm, steps: 64, batch: 32, input: 256, hidden: 512, layers: 2, training: true)),
        ("gru_train", RecurrentCase(kind: .gru, steps: 64, batch: 32, input: 256, hidden: 512, layers: 2, training: true)),
        ("rnn_train", RecurrentCase(kind: .rnnTanh, steps: 64, batch: 32, input: 256, hidden: 512, layers: 2, training: true)),
        ("bilstm_train", RecurrentCase(kind: .lstm, steps: 40, batch: 32, input: 128, hidden: 256, layers: 1,
                                       bidirectional: true, training: true)),
        // Small work, one sentence at a time: what a server does (issue 14). A few microseconds a step.
        ("bilstm_small_infer_b1", RecurrentCase(kind: .lstm, steps: 40, batch: 1, input: 32, hidden: 64, layers: 1,
                                                bidirectional: true, training: false)),
        ("gru_small_infer_b1", RecurrentCase(kind: .gru, steps: 40, batch: 1, input: 32, hidden: 64, layers: 1, training: false)),
        ("lstm_h128_infer_b1", RecurrentCase(kind: .lstm, steps: 40, batch: 1, input: 64, hidden: 128, layers: 1, training: false)),
    ]

    /// Every case name, in order.
    static var names: [String] {
        ["sgemm_512", "sgemm_1024", "sgemm_fallback_512"] + recurrentCases.map(\.0)
            + ["sdpa_b32_h8_l128_d64", "seq2seq_attn_train", "custom_cell_train", "custom_cell_fused_train",
               "charlm_train", "lstm_generate_b1", "sgemm_lm_shapes"]
    }

    /// Runs one case by name.
    static func run(_ name: String, minTime: Double) -> Figures? {
        switch name {
        case "sgemm_512", "sgemm_1024":
            let n = name == "sgemm_512" ? 512 : 1024
            guard let ours = GEMMBenchmark.run(n: n, backend: .default, minTime: minTime) else { return nil }
            var figures: Figures = ["gflops": ours.gflops, "median_s": ours.medianSeconds]
            // OpenBLAS's own sgemm with its own threads, called directly: the rate to be within 10% of.
            if let direct = GEMMBenchmark.run(n: n, backend: .blasThreaded, minTime: minTime) {
                figures["blas_direct_gflops"] = direct.gflops
                figures["ratio_to_blas_direct"] = ours.gflops / direct.gflops
            }
            return figures
        case "sgemm_fallback_512":
            guard let fallback = GEMMBenchmark.run(n: 512, backend: .fallback, minTime: minTime) else { return nil }
            var figures: Figures = ["gflops": fallback.gflops, "median_s": fallback.medianSeconds]
            // Against OpenBLAS's own two-thread (all-core) rate.
            if let blas = GEMMBenchmark.run(n: 512, backend: .blasThreaded, minTime: minTime) {
                figures["blas_gflops"] = blas.gflops
                figures["ratio_to_blas"] = fallback.gflops / blas.gflops
            }
            return figures
        case "sdpa_b32_h8_l128_d64":
            return ["median_s": AttentionBenchmark.sdpa(minTime: minTime)]
        case "seq2seq_attn_train":
            return runSeq2Seq(minTime: minTime)
        case "custom_cell_train", "custom_cell_fused_train":
            return runCustomCell(generic: name == "custom_cell_train", minTime: minTime)
        case "charlm_train":
            return runLanguageModelTraining(minTime: minTime)
        case "lstm_generate_b1":
            return runGeneration(minTime: minTime)
        case "sgemm_lm_shapes":
            return GEMMShapes.run(minTime: minTime)
        default:
            guard let spec = recurrentCases.first(where: { $0.0 == name })?.1 else { return nil }
            return runRecurrent(spec, minTime: minTime)
        }
    }

    /// Times one forward (inference) or one training step (forward, `output.sum()` backward, SGD step).
    static func runRecurrent(_ c: RecurrentCase, minTime: Double) -> Figures {
        let net = RecurrentNetwork(kind: c.kind, inputSize: c.input, hiddenSize: c.hidden, layerCount: c.layers,
                                   bidirectional: c.bidirectional, seed: 1)
        var rng = Xoshiro256StarStar(seed: 2)
        let x = Tensor.normal([c.steps, c.batch, c.input], using: &rng)
        let seconds: Double
        if c.training {
            let input = x.requiringGradient()
            let optimizer = SGD(parameters: net.parameters, learningRate: 1e-3)
            seconds = MedianTimer.median(minTime: minTime) {
                let result = try! net(input)
                result.output.sum().backward()
                optimizer.step()
                optimizer.zeroGrad()
                input.zeroGrad()
            }
        } else {
            seconds = MedianTimer.median(minTime: minTime) {
                _ = withoutGradients { try! net(x) }
            }
        }
        return ["median_s": seconds, "tokens_per_s": Double(c.steps * c.batch) / seconds]
    }

    /// `custom_cell_train`: one training step (forward, `output.sum()` backward, SGD) of the generic
    /// `RecurrentLayer` over `LSTMCell`s — what a custom cell gets — at seq 40, batch 64, input 32, hidden 64,
    /// bidirectional; `custom_cell_fused_train` is the fused `LSTM` of the same shape, for the ratio.
    static func runCustomCell(generic: Bool, minTime: Double) -> Figures {
        let (steps, batch, input, hidden) = (40, 64, 32, 64)
        var rng = Xoshiro256StarStar(seed: 2)
        let x = Tensor.normal([steps, batch, input], using: &rng).requiringGradient()
        let run: () -> Tensor
        let parameters: [Parameter]
        if generic {
            let layer = RecurrentLayer(cells: [[LSTMCell(inputSize: input, hiddenSize: hidden, seed: 1),
                                                LSTMCell(inputSize: input, hiddenSize: hidden, seed: 2)]])
            (run, parameters) = ({ try! layer(x).output }, layer.parameters)
        } else {
            let layer = LSTM(inputSize: input, hiddenSize: hidden, bidirectional: true, seed: 1)
            (run, parameters) = ({ try! layer(x).output }, layer.parameters)
        }
        let optimizer = SGD(parameters: parameters, learningRate: 1e-3)
        let seconds = MedianTimer.median(minTime: minTime) {
            run().sum().backward()
            optimizer.step()
            optimizer.zeroGrad()
            x.zeroGrad()
        }
        return ["median_s": seconds, "tokens_per_s": Double(steps * batch) / seconds]
    }

    /// `seq2seq_attn_train`: one training step (forward, backward, Adam) of the shipped G2P model's shape.
    ///
    /// Shapes: batch 64; source length 10 (vocabulary 29: letters), target length 9 + end (vocabulary 43:
    /// phonemes + specials); embeddings 64; encoder bidirectional LSTM 192 per direction (outputs 384);
    /// decoder LSTM 256 fed [embedding 64; previous attentional vector 256] (input feeding, so it steps
    /// cell by cell); Luong general attention over the 10 encoder outputs; `h̃ = tanh(W_c[a; h])`; output
    /// linear 256 → 43; cross-entropy with label smoothing 0.1; dropout off. `tokens_per_s` counts target
    /// tokens (batch × 10).
    static func runSeq2Seq(minTime: Double) -> Figures {
        let configuration = Seq2SeqConfiguration(
            sourceVocabularySize: 29, targetVocabularySize: 43, sourceEmbeddingSize: 64, targetEmbeddingSize: 64,
            encoderCell: .lstm, encoderHiddenSize: 192, encoderLayers: 1, bidirectional: true, decoderCell: .lstm,
            decoderHiddenSize: 256, decoderLayers: 1, context: .attention, feed: .both, attentionScore: .general,
            dropout: 0, startID: 2, endID: 3)
        let model = try! Seq2Seq(configuration: configuration, seed: 1)
        var rng = Xoshiro256StarStar(seed: 2)
        let (batch, sourceLength, targetLength) = (64, 10, 9)
        let sources = (0..<batch).map { _ in (0..<sourceLength).map { _ in 2 + SeededShuffle.uniform(below: 27, using: &rng) } }
        let targets = (0..<batch).map { _ in (0..<targetLength).map { _ in 4 + SeededShuffle.uniform(below: 39, using: &rng) } }
        let optimizer = Adam(parameters: model.parameters, learningRate: 1e-3)
        let seconds = MedianTimer.median(minTime: minTime) {
            let loss = try! model.loss(sources: sources, targets: targets, labelSmoothing: 0.1)
            loss.backward()
            optimizer.step()
            optimizer.zeroGrad()
        }
        return ["median_s": seconds, "tokens_per_s": Double(batch * (targetLength + 1)) / seconds]
    }

    /// The shipped language model's shape (`Models/lm-shakespeare`, `torch_charlm.py`'s defaults): 65 characters,
    /// embedding 64, 2 × 512 LSTM, dropout 0.25, linear decoder; randomly initialized (seed 1), so the case runs
    /// without the model folder.
    static func languageModel() -> CharacterLanguageModel {
        var configuration = LanguageModelConfiguration()
        // 65 characters, as Tiny Shakespeare's: newline, space and 63 printable ASCII characters.
        configuration.characters = ["\n", " "] + (33..<96).map { String(UnicodeScalar(UInt8($0))) }
        return try! CharacterLanguageModel(configuration: configuration, seed: 1)
    }

    /// `charlm_train`: one window of `torch_charlm.py`'s training loop at its defaults — batch 32 streams,
    /// bptt 128, state carried (detached) from the window before, dropout 0.25, cross-entropy, backward,
    /// gradient-norm clipping at 1, AdamW 2e-3 — on the shipped model's shape. `chars_per_s` counts the
    /// 32 × 128 predicted characters per window, as torch_charlm.py's `chars_per_s` does.
    static func runLanguageModelTraining(minTime: Double) -> Figures {
        let model = languageModel()
        let (batch, bptt) = (32, 128)
        var rng = Xoshiro256StarStar(seed: 2)
        let text = (0..<(batch * (bptt * 4 + 1))).map { _ in SeededShuffle.uniform(below: model.alphabet.count, using: &rng) }
        let streams = try! TextStreams(ids: text, batch: batch, bptt: bptt)
        let optimizer = AdamW(parameters: model.trainableParameters, learningRate: 2e-3, weightDecay: 0.01)
        var carried: RecurrentState? = nil
        var window = 0
        let seconds = MedianTimer.median(minTime: minTime) {
            try! model.windowLoss(streams, window: window, carried: &carried).backward()
            _ = GradientClipping.clipNorm(of: model.trainableParameters, maxNorm: 1)
            optimizer.step()
            optimizer.zeroGrad()
            window = (window + 1) % streams.windowCount
        }
        return ["median_s": seconds, "chars_per_s": Double(batch * bptt) / seconds]
    }

    /// `lstm_generate_b1`: text generation at batch 1 on the shipped model's shape — one character per step,
    /// sampled at temperature 0.8 from the softmax of the logits, fed back as the next input — the loop of
    /// `scripts/torch_generate.py`. One timed call generates 200 characters, continuing the carried state.
    static func runGeneration(minTime: Double) -> Figures {
        let generator = try! TextGenerator(model: languageModel())
        let sampling = SamplingOptions(temperature: 0.8, seed: 1)
        let length = 200
        try! generator.generate(prompt: "", length: 50, sampling: sampling)  // warm-up
        let seconds = MedianTimer.median(minTime: minTime) {
            try! generator.generate(prompt: "", length: length, sampling: sampling)
        }
        return ["median_s": seconds, "chars_per_s": Double(length) / seconds, "median_s_per_char": seconds / Double(length)]
    }

    /// A one-line description of the processor, from /proc/cpuinfo where there is one.
    static var machine: String {
        var cpu = "unknown CPU"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let value = line.split(separator: ":", maxSplits: 1).last {
            cpu = value.trimmingCharacters(in: .whitespaces)
        }
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }
}
