import CRecurrentKernels
import Foundation
import RecurrentKernels
import RecurrentCore

/// The sizes of one direction of one recurrent layer.
struct RecurrenceShape {
    let kind: RecurrenceKind
    /// Time steps T, batch B, input features I, hidden units H, output (projected) size P.
    let steps: Int, batch: Int, input: Int, hidden: Int, output: Int
    /// Whether time runs backwards (the reverse direction of a bidirectional layer).
    let reverse: Bool
    /// Whether an LSTM projects its hidden state to `output` features (`proj_size`).
    var projected: Bool { kind == .lstm && output != hidden }
    /// Rows of the gate matrices: gateCount · H.
    var gateWidth: Int { kind.gateCount * hidden }
}

/// Raw pointers to the parameters of one direction, laid out as PyTorch's.
struct RecurrenceWeights {
    /// `[G·H, I]`.
    let inputWeight: UnsafePointer<Float>
    /// `[G·H, P]`.
    let hiddenWeight: UnsafePointer<Float>
    /// `[G·H]` or nil.
    let inputBias: UnsafePointer<Float>?
    /// `[G·H]` or nil.
    let hiddenBias: UnsafePointer<Float>?
    /// `[P, H]` (LSTM projection) or nil.
    let projection: UnsafePointer<Float>?
}

/// What one direction's forward pass keeps for its backward pass (all in time order).
final class RecurrenceTape {
    /// `[T, B, G·H]`: activated gates (LSTM i f g o; GRU r z n; RNN the new hidden state).
    let gates: FloatBuffer
    /// `[T, B, P]`: the hidden state before the step at each time.
    let previousHidden: FloatBuffer
    /// `[T, B, H]`: LSTM cell state before and after each step.
    let previousCell: FloatBuffer?
    let cell: FloatBuffer?
    /// `[T, B, H]`: LSTM `o ⊙ tanh(c)` before projection (projected LSTMs only).
    let unprojected: FloatBuffer?
    /// `[T, B, H]`: GRU `W_hn h + b_hn`.
    let hiddenCandidate: FloatBuffer?

    init(_ s: RecurrenceShape) {
        let tb = s.steps * s.batch
        gates = FloatBuffer(count: tb * s.gateWidth)
        previousHidden = FloatBuffer(count: tb * s.output)
        previousCell = s.kind.hasCell ? FloatBuffer(count: tb * s.hidden) : nil
        cell = s.kind.hasCell ? FloatBuffer(count: tb * s.hidden) : nil
        unprojected = s.projected ? FloatBuffer(count: tb * s.hidden) : nil
        hiddenCandidate = s.kind == .gru ? FloatBuffer(count: tb * s.hidden) : nil
    }
}

/// Fused forward and backward passes of one direction of a recurrent layer.
///
/// Forward: one GEMM projects the inputs of every time step; then, per step, one GEMM projects the
/// hidden state and one fused loop computes the gates, the cell and the new hidden state in place.
/// Backward: per step, one fused loop computes the gate gradients and one GEMM carries the gradient to
/// the previous hidden state; the weight gradients are then single GEMMs over all steps.
///
/// Variable lengths follow PyTorch's packed sequences: a batch entry `b` takes part in the step at time
/// `t` only when `t < lengths[b]`; otherwise its output is zero and its state is carried unchanged, so the
/// final state is its own last valid step, and the reverse direction starts at its own last element.
enum FusedRecurrence {
    /// Batch rows below which a layer runs on one thread (its GEMMs may still use BLAS's threads).
    static let rowsPerThread = 4

    /// Splits the batch rows into contiguous slices, one per thread, and runs `body` on each.
    ///
    /// Batch rows are independent through the whole recurrence, so each thread runs every time step of
    /// its own rows with no synchronization between steps; products inside a slice stay on its thread.
    static func forEachRowSlice(batch: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let slices = Swift.min(Parallel.threadCount, batch / rowsPerThread)
        guard slices > 1 && work >= 1 << 16 else {
            body(0..<batch)
            return
        }
        Parallel.forChunks(count: batch, grain: (batch + slices - 1) / slices, body)
    }

    /// The input projection of every step at once, `[T·B, G·H]`, with the biases that can be folded in:
    /// `b_ih + b_hh` (GRU: `b_ih`, plus `b_hh` for r and z only; `b_hn` is multiplied by the reset gate).
    static func projectInputs(_ s: RecurrenceShape, x: UnsafePointer<Float>, weights w: RecurrenceWeights) -> FloatBuffer {
        let (rows, I, H, GH) = (s.steps * s.batch, s.input, s.hidden, s.gateWidth)
        let projected = FloatBuffer(count: rows * GH, zeroed: I == 0)
        let xw = projected.pointer
        if rows > 0 && I > 0 {
            GEMM.sgemm(transA: false, transB: true, m: rows, n: GH, k: I, alpha: 1, a: x, lda: I,
                       b: w.inputWeight, ldb: I, beta: 0, c: xw, ldc: GH)
        }
        guard w.inputBias != nil || w.hiddenBias != nil else { return projected }
        var bias = [Float](repeating: 0, count: GH)
        if let b = w.inputBias { for j in 0..<GH { bias[j] += b[j] } }
        if let b = w.hiddenBias { for j in 0..<(s.kind == .gru ? 2 * H : GH) { bias[j] += b[j] } }
        bias.withUnsafeBufferPointer { bias in
            Parallel.forChunks(count: rows, grain: Swift.max(1, (1 << 15) / Swift.max(GH, 1))) { range in
                for row in range {
                    let r = xw + row * GH
                    for j in 0..<GH { r[j] += bias[j] }
                }
            }
        }
        return projected
    }

    /// One rank's share of the input projection: hidden units `units` of every gate, computed a few steps
    /// at a time (so the projected rows are still in cache when the recurrence reads them), with `W_ih`'s
    /// rows for those units packed once. Row layout `[G·n]`: gate g's units in columns `g·n ..< (g+1)·n`,
    /// biases folded as in `projectInputs`.
    final class InputColumns {
        let width: Int
        private let weights: PackedMatrix?
        private var bias: [Float]
        private let x: UnsafePointer<Float>
        private let rowsPerStep: Int, input: Int

        init(_ s: RecurrenceShape, x: UnsafePointer<Float>, weights w: RecurrenceWeights, units: Range<Int>) {
            let (I, H, G) = (s.input, s.hidden, s.kind.gateCount)
            let n = units.count
            width = G * n
            bias = [Float](repeating: 0, count: width)
            let rows = FloatBuffer(count: width * I, zeroed: false)
            for g in 0..<G {
                let first = g * H + units.lowerBound
                (rows.pointer + g * n * I).update(from: w.inputWeight + first * I, count: n * I)
                if let b = w.inputBias { for j in 0..<n { bias[g * n + j] += b[first + j] } }
                if let b = w.hiddenBias, s.kind != .gru || g < 2 { for j in 0..<n { bias[g * n + j] += b[first + j] } }
            }
            weights = I > 0 ? PackedMatrix(transposed: true, b: rows.pointer, ldb: I, depth: I, columns: width) : nil
            self.x = x
            rowsPerStep = s.batch
            input = I
        }

        /// Projects the steps `steps` (in time order) into `out` `[steps.count · B, width]`.
        func project(steps: Range<Int>, into out: UnsafeMutablePointer<Float>) {
            let rows = steps.count * rowsPerStep
            bias.withUnsafeBufferPointer { bias in
                guard let values = bias.baseAddress else { return }
                for row in 0..<rows { (out + row * width).update(from: values, count: width) }
            }
            weights?.multiply(a: x + steps.lowerBound * rowsPerStep * input, lda: input, m: rows, beta: 1,
                              c: out, ldc: width)
        }
    }

    /// Runs the forward pass.
    ///
    /// - Parameters:
    ///   - x: `[T, B, I]` inputs.
    ///   - lengths: `[B]` valid lengths (each in `1...T`), or nil when every sequence has length T.
    ///   - h0: `[B, P]`; `c0`: `[B, H]` for LSTMs.
    ///   - output: `[T, B, outputStride]`; this direction writes `P` columns from `output` onward in each row.
    ///   - hN: `[B, P]` final hidden state; `cN`: `[B, H]` final cell (LSTM).
    ///   - tape: filled for backward when given.
    static func forward(_ s: RecurrenceShape, x: UnsafePointer<Float>, lengths: [Int]?,
                        h0: UnsafePointer<Float>, c0: UnsafePointer<Float>?, weights w: RecurrenceWeights,
                        output: UnsafeMutablePointer<Float>, outputStride: Int,
                        hN: UnsafeMutablePointer<Float>, cN: UnsafeMutablePointer<Float>?, tape: RecurrenceTape?,
                        cache: (store: PackedWeightCache, versions: [Int])? = nil) {
        hN.update(from: h0, count: s.batch * s.output)
        if let cN, let c0 { cN.update(from: c0, count: s.batch * s.hidden) }
        if tape == nil && !s.projected && s.hidden >= 64 && ThreadTeam.shared.size > 1 {
            forwardColumns(s, x: x, lengths: lengths, weights: w, output: output,
                           outputStride: outputStride, h: hN, c: cN, cache: cache)
            return
        }
        let projected = projectInputs(s, x: x, weights: w)
        let packed = PackedWeights(forward: s, weights: w)
        forEachRowSlice(batch: s.batch, work: s.steps * s.batch * s.gateWidth * s.output) { rows in
            forwardRows(rows, s, xw: projected.pointer, lengths: lengths, weights: w, packed: packed, output: output,
                        outputStride: outputStride, h: hN, c: cN, tape: tape)
        }
    }

    /// The recurrence over all steps for the batch rows `rows`; `h` and `c` hold the state in and out.
    private static func forwardRows(_ rows: Range<Int>, _ s: RecurrenceShape, xw: UnsafePointer<Float>, lengths: [Int]?,
                                    weights w: RecurrenceWeights, packed: PackedWeights, output: UnsafeMutablePointer<Float>, outputStride: Int,
                                    h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>?, tape: RecurrenceTape?) {
        let (T, B, H, P, GH) = (s.steps, s.batch, s.hidden, s.output, s.gateWidth)
        let kind = s.kind, first = rows.lowerBound, count = rows.count
        let hiddenNBias: UnsafePointer<Float>? = kind == .gru ? w.hiddenBias.map { $0 + 2 * H } : nil
        // Per-slice workspaces, reused by every step.
        let hiddenProjection = FloatBuffer(count: count * GH, zeroed: false)
        let unprojected = s.projected ? FloatBuffer(count: count * H) : nil
        let projectedHidden = s.projected ? FloatBuffer(count: count * P) : nil

        for step in 0..<T {
            let t = s.reverse ? T - 1 - step : step
            if let tape {
                (tape.previousHidden.pointer + (t * B + first) * P).update(from: h + first * P, count: count * P)
                if let c { (tape.previousCell!.pointer + (t * B + first) * H).update(from: c + first * H, count: count * H) }
            }
            packed.hidden.multiply(a: h + first * P, lda: P, m: count, c: hiddenProjection.pointer, ldc: GH)
            for b in rows {
                let out = output + (t * B + b) * outputStride
                guard lengths.map({ t < $0[b] }) ?? true else {
                    out.update(repeating: 0, count: P)
                    continue
                }
                let a = xw + (t * B + b) * GH, r = hiddenProjection.pointer + (b - first) * GH
                let gatesOut = tape.map { $0.gates.pointer + (t * B + b) * GH }
                switch kind {
                case .lstm:
                    let cell = c! + b * H
                    let target = unprojected.map { $0.pointer + (b - first) * H } ?? (h + b * P)
                    rk_lstm_forward_row(H, a, r, cell, target, gatesOut)
                    if let tape { (tape.cell!.pointer + (t * B + b) * H).update(from: cell, count: H) }
                    if unprojected == nil { out.update(from: target, count: H) }
                case .gru:
                    let hb = h + b * H
                    let candidate = tape.map { $0.hiddenCandidate!.pointer + (t * B + b) * H }
                    rk_gru_forward_row(H, a, r, hiddenNBias, hb, gatesOut, candidate)
                    out.update(from: hb, count: H)
                case .rnnTanh, .rnnReLU:
                    let hb = h + b * H
                    rk_rnn_forward_row(H, a, r, kind == .rnnReLU ? 1 : 0, hb)
                    out.update(from: hb, count: H)
                    gatesOut?.update(from: hb, count: H)
                }
            }
            if let unprojected, let projectedHidden, let projection = packed.projection {
                // h = (o ⊙ tanh c) · W_hrᵀ for the active rows.
                projection.multiply(a: unprojected.pointer, lda: H, m: count, c: projectedHidden.pointer, ldc: P)
                for b in rows where lengths.map({ t < $0[b] }) ?? true {
                    let source = projectedHidden.pointer + (b - first) * P
                    (h + b * P).update(from: source, count: P)
                    (output + (t * B + b) * outputStride).update(from: source, count: P)
                    if let tape {
                        (tape.unprojected!.pointer + (t * B + b) * H).update(from: unprojected.pointer + (b - first) * H, count: H)
                    }
                }
            }
        }
    }

    /// Inference: every step is split across a thread team by hidden units (so each thread's share of
    /// `W_hh` stays in its own cache from step to step, and a batch of one still uses every core). Rank k owns
    /// units `J_k` of every gate; it keeps its rows of `W_hh` packed together, computes its part of the
    /// hidden projection and of the gates, then meets the other ranks at a barrier before the next step
    /// (the next step needs all of h). h alternates between two buffers.
    private static func forwardColumns(_ s: RecurrenceShape, x: UnsafePointer<Float>, lengths: [Int]?,
                                       weights w: RecurrenceWeights, output: UnsafeMutablePointer<Float>,
                                       outputStride: Int, h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>?,
                                       cache: (store: PackedWeightCache, versions: [Int])?) {
        let (T, B, H, P, G) = (s.steps, s.batch, s.hidden, s.output, s.kind.gateCount)
        let kind = s.kind
        let scratch = FloatBuffer(copying: h, count: B * P)
        do {
            ThreadTeam.shared.run(maxRanks: Swift.max(1, H / 32)) { rank, ranks, barrier in
                let j0 = H * rank / ranks, j1 = H * (rank + 1) / ranks, n = j1 - j0
                // This rank's share of the input projection, a chunk of steps at a time: only this rank reads it.
                let inputs = InputColumns(s, x: x, weights: w, units: j0..<j1)
                let chunk = Swift.max(1, Swift.min(T, (1 << 16) / Swift.max(1, B * G * n)))
                let projected = FloatBuffer(count: chunk * B * G * n, zeroed: false)
                var chunkStart = -1
                // This rank's rows of W_hh: gate g's units j0..<j1, packed as [G·n, P].
                func pack() -> PackedMatrix {
                    let rowsOfWeights = FloatBuffer(count: G * n * P, zeroed: false)
                    for g in 0..<G {
                        (rowsOfWeights.pointer + g * n * P).update(from: w.hiddenWeight + (g * H + j0) * P, count: n * P)
                    }
                    return PackedMatrix(transposed: true, b: rowsOfWeights.pointer, ldb: P, depth: P, columns: G * n)
                }
                let packed = cache.map { $0.store.packed(rank: rank, ranks: ranks, versions: $0.versions, build: pack) } ?? pack()
                let projection = FloatBuffer(count: B * G * n, zeroed: false)
                let hiddenNBias: UnsafePointer<Float>? = kind == .gru ? w.hiddenBias.map { $0 + 2 * H + j0 } : nil
                var previous = UnsafeMutablePointer(h), next = scratch.pointer
                for step in 0..<T {
                    let t = s.reverse ? T - 1 - step : step
                    if step % chunk == 0 {
                        let count = Swift.min(chunk, T - step)
                        chunkStart = s.reverse ? t - count + 1 : t
                        inputs.project(steps: chunkStart..<(chunkStart + count), into: projected.pointer)
                    }
                    packed.multiply(a: previous, lda: P, m: B, c: projection.pointer, ldc: G * n)
                    for b in 0..<B {
                        let out = output + (t * B + b) * outputStride + j0
                        let source = previous + b * P + j0, target = next + b * P + j0
                        guard lengths.map({ t < $0[b] }) ?? true else {
                            target.update(from: source, count: n)
                            out.update(repeating: 0, count: n)
                            continue
                        }
                        let a = projected.pointer + ((t - chunkStart) * B + b) * G * n, r = projection.pointer + b * G * n
                        switch kind {
                        case .lstm:
                            rk_lstm_forward_columns(n, n, a, n, r, c! + b * H + j0, target, H, nil)
                        case .gru:
                            rk_gru_forward_columns(n, n, a, n, r, hiddenNBias, source, target, H, nil, nil)
                        case .rnnTanh, .rnnReLU:
                            rk_rnn_forward_row(n, a, r, kind == .rnnReLU ? 1 : 0, target)
                        }
                        out.update(from: target, count: n)
                    }
                    barrier.wait()
                    swap(&previous, &next)
                }
                // The final state is in `previous`; make sure it ends in h.
                if previous != h {
                    for b in 0..<B { (h + b * P + j0).update(from: previous + b * P + j0, count: n) }
                }
            }
        }
    }

    /// The per-step right-hand matrices, packed once per pass: forward `W_hhᵀ` `[P, G·H]` and `W_hrᵀ` `[H, P]`;
    /// backward `W_hh` `[G·H, P]` and `W_hr` `[P, H]`.
    final class PackedWeights {
        let hidden: PackedMatrix
        let projection: PackedMatrix?

        init(forward s: RecurrenceShape, weights w: RecurrenceWeights) {
            hidden = PackedMatrix(transposed: true, b: w.hiddenWeight, ldb: s.output, depth: s.output, columns: s.gateWidth)
            projection = w.projection.map { PackedMatrix(transposed: true, b: $0, ldb: s.hidden, depth: s.hidden, columns: s.output) }
        }

        init(backward s: RecurrenceShape, weights w: RecurrenceWeights) {
            hidden = PackedMatrix(transposed: false, b: w.hiddenWeight, ldb: s.output, depth: s.gateWidth, columns: s.output)
            projection = w.projection.map { PackedMatrix(transposed: false, b: $0, ldb: s.hidden, depth: s.output, columns: s.hidden) }
        }
    }

    /// Gradient pointers for one direction's backward pass (each written, not accumulated, except `dx`).
    struct Gradients {
        /// `[T, B, I]`: accumulated into when `accumulateInput` is true, else overwritten.
        let dx: UnsafeMutablePointer<Float>?
        let accumulateInput: Bool
        /// `[B, P]`, `[B, H]`.
        let dh0: UnsafeMutablePointer<Float>?
        let dc0: UnsafeMutablePointer<Float>?
        /// `[G·H, I]`, `[G·H, P]`, `[G·H]`, `[G·H]`, `[P, H]`.
        let dInputWeight: UnsafeMutablePointer<Float>?
        let dHiddenWeight: UnsafeMutablePointer<Float>?
        let dInputBias: UnsafeMutablePointer<Float>?
        let dHiddenBias: UnsafeMutablePointer<Float>?
        let dProjection: UnsafeMutablePointer<Float>?
    }

    /// The backward pass's per-step gradient buffers, all in time order.
    private final class BackwardBuffers {
        /// `[B, P]` gradient reaching h, `[B, H]` reaching c.
        let dh: FloatBuffer, dc: FloatBuffer?
        /// `[T, B, G·H]`: gate pre-activation gradients on the input side and (GRU) the hidden side.
        let dGates: FloatBuffer, dHiddenGates: FloatBuffer?
        /// `[T, B, P]`: gradients of projected outputs (projected LSTMs).
        let dProjected: FloatBuffer?

        init(_ s: RecurrenceShape, dhN: UnsafePointer<Float>, dcN: UnsafePointer<Float>?) {
            let (T, B, H, P, GH) = (s.steps, s.batch, s.hidden, s.output, s.gateWidth)
            dh = FloatBuffer(copying: dhN, count: B * P)
            dc = s.kind.hasCell ? (dcN.map { FloatBuffer(copying: $0, count: B * H) } ?? FloatBuffer(count: B * H)) : nil
            dGates = FloatBuffer(count: T * B * GH)
            dHiddenGates = s.kind == .gru ? FloatBuffer(count: T * B * GH) : nil
            dProjected = s.projected ? FloatBuffer(count: T * B * P) : nil
        }
    }

    /// Runs the backward pass from the gradients of the outputs and of the final state.
    ///
    /// - Parameters:
    ///   - dOutput: `[T, B, outputStride]`, this direction's `P` columns from `dOutput` onward in each row.
    ///   - dhN: `[B, P]`; `dcN`: `[B, H]` (LSTM).
    static func backward(_ s: RecurrenceShape, x: UnsafePointer<Float>, lengths: [Int]?, weights w: RecurrenceWeights,
                         tape: RecurrenceTape, dOutput: UnsafePointer<Float>, outputStride: Int,
                         dhN: UnsafePointer<Float>, dcN: UnsafePointer<Float>?, into grads: Gradients) {
        let (T, B, I, H, P, GH) = (s.steps, s.batch, s.input, s.hidden, s.output, s.gateWidth)
        let buffers = BackwardBuffers(s, dhN: dhN, dcN: dcN)
        let packed = PackedWeights(backward: s, weights: w)
        forEachRowSlice(batch: B, work: T * B * GH * P) { rows in
            backwardRows(rows, s, lengths: lengths, packed: packed, tape: tape, dOutput: dOutput,
                         outputStride: outputStride, buffers: buffers)
        }
        if let dh0 = grads.dh0 { dh0.update(from: buffers.dh.pointer, count: B * P) }
        if let dc0 = grads.dc0, let dc = buffers.dc { dc0.update(from: dc.pointer, count: B * H) }
        // Weight gradients: one GEMM each over all steps.
        let rows = T * B
        let dGates = buffers.dGates.pointer
        let hiddenSide = (buffers.dHiddenGates ?? buffers.dGates).pointer
        if let dx = grads.dx, rows > 0 && I > 0 {
            GEMM.sgemm(transA: false, transB: false, m: rows, n: I, k: GH, alpha: 1, a: dGates, lda: GH,
                       b: w.inputWeight, ldb: I, beta: grads.accumulateInput ? 1 : 0, c: dx, ldc: I)
        }
        if let d = grads.dInputWeight {
            gemmOrZero(transA: true, transB: false, m: GH, n: I, k: rows, a: dGates, lda: GH, b: x, ldb: I, c: d, ldc: I)
        }
        if let d = grads.dHiddenWeight {
            gemmOrZero(transA: true, transB: false, m: GH, n: P, k: rows, a: hiddenSide, lda: GH,
                       b: tape.previousHidden.pointer, ldb: P, c: d, ldc: P)
        }
        if let d = grads.dInputBias { columnSums(dGates, rows: rows, columns: GH, into: d) }
        if let d = grads.dHiddenBias { columnSums(hiddenSide, rows: rows, columns: GH, into: d) }
        if let d = grads.dProjection, let dProjected = buffers.dProjected {
            gemmOrZero(transA: true, transB: false, m: P, n: H, k: rows, a: dProjected.pointer, lda: P,
                       b: tape.unprojected!.pointer, ldb: H, c: d, ldc: H)
        }
    }

    /// Back-propagation through time for the batch rows `rows`.
    private static func backwardRows(_ rows: Range<Int>, _ s: RecurrenceShape, lengths: [Int]?, packed: PackedWeights,
                                     tape: RecurrenceTape, dOutput: UnsafePointer<Float>, outputStride: Int,
                                     buffers: BackwardBuffers) {
        let (T, B, H, P, GH) = (s.steps, s.batch, s.hidden, s.output, s.gateWidth)
        let kind = s.kind, first = rows.lowerBound, count = rows.count
        let dh = buffers.dh.pointer
        let dUnprojected = s.projected ? FloatBuffer(count: count * H) : nil
        let carried = FloatBuffer(count: count * P)
        func active(_ t: Int, _ b: Int) -> Bool { lengths.map { t < $0[b] } ?? true }

        for step in stride(from: T - 1, through: 0, by: -1) {
            let t = s.reverse ? T - 1 - step : step
            // The gradient reaching h_t: from later steps (dh) plus from this step's output.
            for b in rows where active(t, b) {
                let d = dOutput + (t * B + b) * outputStride
                for j in 0..<P { dh[b * P + j] += d[j] }
            }
            if let dProjected = buffers.dProjected, let dUnprojected, let projection = packed.projection {
                for b in rows where active(t, b) {
                    (dProjected.pointer + (t * B + b) * P).update(from: dh + b * P, count: P)
                }
                projection.multiply(a: dh + first * P, lda: P, m: count, c: dUnprojected.pointer, ldc: H)
            }
            for b in rows where active(t, b) {
                let gates = tape.gates.pointer + (t * B + b) * GH
                let dg = buffers.dGates.pointer + (t * B + b) * GH
                switch kind {
                case .lstm:
                    let dm = dUnprojected.map { $0.pointer + (b - first) * H } ?? (dh + b * P)
                    rk_lstm_backward_row(H, gates, tape.cell!.pointer + (t * B + b) * H,
                                         tape.previousCell!.pointer + (t * B + b) * H, dm, buffers.dc!.pointer + b * H, dg)
                case .gru:
                    rk_gru_backward_row(H, gates, tape.previousHidden.pointer + (t * B + b) * H,
                                        tape.hiddenCandidate!.pointer + (t * B + b) * H, dh + b * H,
                                        dg, buffers.dHiddenGates!.pointer + (t * B + b) * GH)
                case .rnnTanh, .rnnReLU:
                    rk_rnn_backward_row(H, gates, dh + b * H, kind == .rnnReLU ? 1 : 0, dg)
                }
            }
            // Carry the gradient to h_{t-1} through W_hh.
            let hiddenSide = (buffers.dHiddenGates ?? buffers.dGates).pointer + (t * B + first) * GH
            packed.hidden.multiply(a: hiddenSide, lda: GH, m: count, c: carried.pointer, ldc: P)
            let keep: Float = kind == .gru ? 1 : 0  // GRU's dh already holds z ⊙ dh, the direct path
            for b in rows where active(t, b) {
                let from = carried.pointer + (b - first) * P
                for j in 0..<P { dh[b * P + j] = keep * dh[b * P + j] + from[j] }
            }
        }
    }

    /// C = op(A)·op(B) (β = 0), or zeros when the inner dimension is empty.
    private static func gemmOrZero(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                   c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0 && n > 0 else { return }
        guard k > 0 else {
            for i in 0..<m { (c + i * ldc).initialize(repeating: 0, count: n) }
            return
        }
        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
                   beta: 0, c: c, ldc: ldc)
    }

    /// `out[j] = Σ_i a[i, j]`, accumulated in Double.
    private static func columnSums(_ a: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        var total = [Double](repeating: 0, count: columns)
        for i in 0..<rows {
            let r = a + i * columns
            for j in 0..<columns { total[j] += Double(r[j]) }
        }
        for j in 0..<columns { out[j] = Float(total[j]) }
    }
}
