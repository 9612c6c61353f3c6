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
    /// Rows of gate math below which a step's loop stays on one thread.
    static let parallelGrain = 8192

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
                        hN: UnsafeMutablePointer<Float>, cN: UnsafeMutablePointer<Float>?, tape: RecurrenceTape?) {
        let (T, B, I, H, P, GH) = (s.steps, s.batch, s.input, s.hidden, s.output, s.gateWidth)
        let kind = s.kind

        // Input projection for all steps at once, with the biases that can be folded into it.
        let projectedInput = FloatBuffer(count: T * B * GH)
        let xw = projectedInput.pointer
        if T * B > 0 && I > 0 {
            GEMM.sgemm(transA: false, transB: true, m: T * B, n: GH, k: I, alpha: 1, a: x, lda: I,
                       b: w.inputWeight, ldb: I, beta: 0, c: xw, ldc: GH)
        }
        let foldedBias = FloatBuffer(count: GH)
        if let b = w.inputBias { for j in 0..<GH { foldedBias[j] += b[j] } }
        if let b = w.hiddenBias {
            // GRU keeps b_hn apart: it is multiplied by the reset gate.
            let folded = kind == .gru ? 2 * H : GH
            for j in 0..<folded { foldedBias[j] += b[j] }
        }
        if w.inputBias != nil || w.hiddenBias != nil {
            for row in 0..<(T * B) {
                let r = xw + row * GH
                for j in 0..<GH { r[j] += foldedBias[j] }
            }
        }
        let hiddenNBias: UnsafePointer<Float>? = kind == .gru ? w.hiddenBias.map { $0 + 2 * H } : nil

        let h = hN, c = cN
        h.update(from: h0, count: B * P)
        if let c, let c0 { c.update(from: c0, count: B * H) }
        let hiddenProjection = FloatBuffer(count: B * GH)
        let hh = hiddenProjection.pointer
        let unprojected = s.projected ? FloatBuffer(count: B * H) : nil
        let projectedHidden = s.projected ? FloatBuffer(count: B * P) : nil
        let rowsPerChunk = Swift.max(1, parallelGrain / Swift.max(GH, 1))

        for step in 0..<T {
            let t = s.reverse ? T - 1 - step : step
            if let tape {
                (tape.previousHidden.pointer + t * B * P).update(from: h, count: B * P)
                if let c { (tape.previousCell!.pointer + t * B * H).update(from: c, count: B * H) }
            }
            if P > 0 {
                GEMM.sgemm(transA: false, transB: true, m: B, n: GH, k: P, alpha: 1, a: h, lda: P,
                           b: w.hiddenWeight, ldb: P, beta: 0, c: hh, ldc: GH)
            }
            Parallel.forChunks(count: B, grain: rowsPerChunk) { rows in
                for b in rows {
                    let out = output + (t * B + b) * outputStride
                    guard lengths.map({ t < $0[b] }) ?? true else {
                        for j in 0..<P { out[j] = 0 }
                        continue
                    }
                    let a = xw + (t * B + b) * GH, r = hh + b * GH
                    let gatesOut = tape.map { $0.gates.pointer + (t * B + b) * GH }
                    switch kind {
                    case .lstm:
                        let cell = c! + b * H
                        let target = unprojected.map { $0.pointer + b * H } ?? (h + b * P)
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
            }
            if let unprojected, let projectedHidden, let proj = w.projection {
                // h = (o ⊙ tanh c) · W_hrᵀ for the active rows.
                GEMM.sgemm(transA: false, transB: true, m: B, n: P, k: H, alpha: 1, a: unprojected.pointer, lda: H,
                           b: proj, ldb: H, beta: 0, c: projectedHidden.pointer, ldc: P)
                for b in 0..<B where lengths.map({ t < $0[b] }) ?? true {
                    let out = output + (t * B + b) * outputStride
                    for j in 0..<P {
                        h[b * P + j] = projectedHidden[b * P + j]
                        out[j] = projectedHidden[b * P + j]
                    }
                    if let tape { (tape.unprojected!.pointer + (t * B + b) * H).update(from: unprojected.pointer + b * H, count: H) }
                }
            }
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

    /// Runs the backward pass from the gradients of the outputs and of the final state.
    ///
    /// - Parameters:
    ///   - dOutput: `[T, B, outputStride]`, this direction's `P` columns from `dOutput` onward in each row.
    ///   - dhN: `[B, P]`; `dcN`: `[B, H]` (LSTM).
    static func backward(_ s: RecurrenceShape, x: UnsafePointer<Float>, lengths: [Int]?, weights w: RecurrenceWeights,
                         tape: RecurrenceTape, dOutput: UnsafePointer<Float>, outputStride: Int,
                         dhN: UnsafePointer<Float>, dcN: UnsafePointer<Float>?, into grads: Gradients) {
        let (T, B, I, H, P, GH) = (s.steps, s.batch, s.input, s.hidden, s.output, s.gateWidth)
        let kind = s.kind
        let dh = FloatBuffer(copying: dhN, count: B * P)
        let dc = kind.hasCell ? (dcN.map { FloatBuffer(copying: $0, count: B * H) } ?? FloatBuffer(count: B * H)) : nil
        // Gradients of the gate pre-activations: on the input side, and (GRU) on the hidden side.
        let dGates = FloatBuffer(count: T * B * GH)
        let dHiddenGates = kind == .gru ? FloatBuffer(count: T * B * GH) : nil
        let dProjected = s.projected ? FloatBuffer(count: T * B * P) : nil
        let dUnprojected = s.projected ? FloatBuffer(count: B * H) : nil
        let carried = FloatBuffer(count: B * P)
        let rowsPerChunk = Swift.max(1, parallelGrain / Swift.max(GH, 1))
        func active(_ t: Int, _ b: Int) -> Bool { lengths.map { t < $0[b] } ?? true }

        for step in stride(from: T - 1, through: 0, by: -1) {
            let t = s.reverse ? T - 1 - step : step
            // The gradient reaching h_t: from later steps (dh) plus from this step's output.
            for b in 0..<B where active(t, b) {
                let d = dOutput + (t * B + b) * outputStride
                for j in 0..<P { dh[b * P + j] += d[j] }
            }
            if let dProjected, let dUnprojected, let proj = w.projection {
                for b in 0..<B where active(t, b) {
                    (dProjected.pointer + (t * B + b) * P).update(from: dh.pointer + b * P, count: P)
                }
                GEMM.sgemm(transA: false, transB: false, m: B, n: H, k: P, alpha: 1, a: dh.pointer, lda: P,
                           b: proj, ldb: H, beta: 0, c: dUnprojected.pointer, ldc: H)
            }
            Parallel.forChunks(count: B, grain: rowsPerChunk) { rows in
                for b in rows where active(t, b) {
                    let gates = tape.gates.pointer + (t * B + b) * GH
                    let dg = dGates.pointer + (t * B + b) * GH
                    switch kind {
                    case .lstm:
                        let dm = dUnprojected.map { $0.pointer + b * H } ?? (dh.pointer + b * P)
                        rk_lstm_backward_row(H, gates, tape.cell!.pointer + (t * B + b) * H,
                                             tape.previousCell!.pointer + (t * B + b) * H, dm, dc!.pointer + b * H, dg)
                    case .gru:
                        rk_gru_backward_row(H, gates, tape.previousHidden.pointer + (t * B + b) * H,
                                            tape.hiddenCandidate!.pointer + (t * B + b) * H, dh.pointer + b * H,
                                            dg, dHiddenGates!.pointer + (t * B + b) * GH)
                    case .rnnTanh, .rnnReLU:
                        rk_rnn_backward_row(H, gates, dh.pointer + b * H, kind == .rnnReLU ? 1 : 0, dg)
                    }
                }
            }
            // Carry the gradient to h_{t-1} through W_hh.
            let hiddenSide = (dHiddenGates ?? dGates).pointer + t * B * GH
            if P > 0 {
                GEMM.sgemm(transA: false, transB: false, m: B, n: P, k: GH, alpha: 1, a: hiddenSide, lda: GH,
                           b: w.hiddenWeight, ldb: P, beta: 0, c: carried.pointer, ldc: P)
            }
            for b in 0..<B where active(t, b) {
                let keep: Float = kind == .gru ? 1 : 0  // GRU already holds z ⊙ dh, the direct path
                for j in 0..<P { dh[b * P + j] = keep * dh[b * P + j] + carried[b * P + j] }
            }
        }

        if let dh0 = grads.dh0 { dh0.update(from: dh.pointer, count: B * P) }
        if let dc0 = grads.dc0, let dc { dc0.update(from: dc.pointer, count: B * H) }
        let rows = T * B
        let hiddenSide = (dHiddenGates ?? dGates).pointer
        if let dx = grads.dx {
            if rows > 0 && I > 0 {
                GEMM.sgemm(transA: false, transB: false, m: rows, n: I, k: GH, alpha: 1, a: dGates.pointer, lda: GH,
                           b: w.inputWeight, ldb: I, beta: grads.accumulateInput ? 1 : 0, c: dx, ldc: I)
            }
        }
        if let d = grads.dInputWeight {
            gemmOrZero(transA: true, transB: false, m: GH, n: I, k: rows, a: dGates.pointer, lda: GH, b: x, ldb: I, c: d, ldc: I)
        }
        if let d = grads.dHiddenWeight {
            gemmOrZero(transA: true, transB: false, m: GH, n: P, k: rows, a: hiddenSide, lda: GH,
                       b: tape.previousHidden.pointer, ldb: P, c: d, ldc: P)
        }
        if let d = grads.dInputBias { columnSums(dGates.pointer, rows: rows, columns: GH, into: d) }
        if let d = grads.dHiddenBias { columnSums(hiddenSide, rows: rows, columns: GH, into: d) }
        if let d = grads.dProjection, let dProjected {
            gemmOrZero(transA: true, transB: false, m: P, n: H, k: rows, a: dProjected.pointer, lda: P,
                       b: tape.unprojected!.pointer, ldb: H, c: d, ldc: H)
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
