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

/// What one direction's forward pass keeps for its backward pass, one row per valid step in the packed
/// layout of `BatchLayout` (`N` rows: the sum of the lengths).
final class RecurrenceTape {
    /// `[N, G·H]`: activated gates (LSTM i f g o; GRU r z n; RNN the new hidden state).
    let gates: FloatBuffer
    /// `[N, P]`: the hidden state before the step at each time.
    let previousHidden: FloatBuffer
    /// `[N, H]`: LSTM cell state before and after each step.
    let previousCell: FloatBuffer?
    let cell: FloatBuffer?
    /// `[N, H]`: LSTM `o ⊙ tanh(c)` before projection (projected LSTMs only).
    let unprojected: FloatBuffer?
    /// `[N, H]`: GRU `W_hn h + b_hn`.
    let hiddenCandidate: FloatBuffer?

    init(_ s: RecurrenceShape, rows tb: Int) {
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
/// Variable lengths follow PyTorch's packed sequences, and so does the layout (`BatchLayout`): inputs,
/// outputs and everything kept for backward hold one row per valid step, with the batch entries in order
/// of decreasing length, so the entries running at time `t` are the first `activeRows[t]` and every
/// product covers only them. The state `[B, …]` is in that sorted order too; an entry's state stops
/// changing after its last step (its final state), and the reverse direction starts at its own last element.
enum FusedRecurrence {
    /// Batch rows below which a layer runs on one thread (its GEMMs may still use BLAS's threads).
    static let rowsPerThread = 4
    /// Inference: the size of one piece of input projection a rank does at a time (floating-point operations),
    /// and how many projected floats it may keep ahead (its ring of rows). Variables only so tests can make
    /// them small enough to exercise every path: task-local, so a test's values (`$pieceFlops.withValue`) reach
    /// only the calls it makes, never another test running at the same time. They are read on the calling
    /// thread, before the work is handed to the thread team.
    @TaskLocal static var pieceFlops = 1 << 25
    @TaskLocal static var inputWindowFloats = 1 << 17

    /// Splits the (sorted) batch entries into contiguous slices with about equal work, one per thread, and
    /// runs `body` on each.
    ///
    /// Batch rows are independent through the whole recurrence, so each thread runs every time step of
    /// its own rows with no synchronization between steps; products inside a slice stay on its thread.
    static func forEachRowSlice(_ layout: BatchLayout, work: Int, _ body: (Range<Int>) -> Void) {
        let parts = Swift.min(Parallel.availableThreads, layout.batch / rowsPerThread)
        guard parts > 1 && work >= 1 << 16 else {
            body(0..<layout.batch)
            return
        }
        let slices = layout.balancedSlices(parts)
        Parallel.forChunks(count: slices.count, grain: 1) { range in
            for i in range { body(slices[i]) }
        }
    }

    /// The input projection of every valid step at once, `[rows, G·H]` from `x` `[rows, I]`, with the biases
    /// that can be folded in: `b_ih + b_hh` (GRU: `b_ih`, plus `b_hh` for r and z only; `b_hn` is multiplied
    /// by the reset gate).
    static func projectInputs(_ s: RecurrenceShape, rows: Int, x: UnsafePointer<Float>, weights w: RecurrenceWeights) -> FloatBuffer {
        let (I, H, GH) = (s.input, s.hidden, s.gateWidth)
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
        private let input: Int
        private let workspace = GEMMWorkspace()

        /// - Parameter cache: keeps the packed rows of `W_ih` between calls (slot 1 of the layer's cache).
        init(_ s: RecurrenceShape, x: UnsafePointer<Float>, weights w: RecurrenceWeights, units: Range<Int>,
             rank: Int, ranks: Int, cache: (store: PackedWeightCache, versions: [Int])?) {
            let (I, H, G) = (s.input, s.hidden, s.kind.gateCount)
            let n = units.count
            let width = G * n
            self.width = width
            bias = [Float](repeating: 0, count: width)
            for g in 0..<G {
                let first = g * H + units.lowerBound
                if let b = w.inputBias { for j in 0..<n { bias[g * n + j] += b[first + j] } }
                if let b = w.hiddenBias, s.kind != .gru || g < 2 { for j in 0..<n { bias[g * n + j] += b[first + j] } }
            }
            func pack() -> PackedMatrix {
                let rows = FloatBuffer(count: width * I, zeroed: false)
                for g in 0..<G {
                    (rows.pointer + g * n * I).update(from: w.inputWeight + (g * H + units.lowerBound) * I, count: n * I)
                }
                return PackedMatrix(transposed: true, b: rows.pointer, ldb: I, depth: I, columns: width)
            }
            weights = I > 0 ? (cache.map { $0.store.packed(slot: 1, rank: rank, ranks: ranks, versions: $0.versions, build: pack) } ?? pack()) : nil
            self.x = x
            input = I
        }

        /// Projects the packed rows `rows` of `x` into `out` `[rows.count, width]`.
        func project(rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
            bias.withUnsafeBufferPointer { bias in
                guard let values = bias.baseAddress else { return }
                for row in 0..<rows.count { (out + row * width).update(from: values, count: width) }
            }
            weights?.multiply(a: x + rows.lowerBound * input, lda: input, m: rows.count, beta: 1, c: out, ldc: width,
                              workspace: workspace)
        }
    }

    /// Runs the forward pass.
    ///
    /// - Parameters:
    ///   - x: `[N, I]` inputs in the packed layout of `layout` (`[T·B, I]` for the identity layout).
    ///   - h0: `[B, P]`; `c0`: `[B, H]` for LSTMs; both in the layout's sorted order.
    ///   - output: `[N, outputStride]`; this direction writes `P` columns from `output` onward in each row.
    ///   - hN: `[B, P]` final hidden state; `cN`: `[B, H]` final cell (LSTM); sorted order.
    ///   - tape: filled for backward when given.
    static func forward(_ s: RecurrenceShape, layout: BatchLayout, x: UnsafePointer<Float>,
                        h0: UnsafePointer<Float>, c0: UnsafePointer<Float>?, weights w: RecurrenceWeights,
                        output: UnsafeMutablePointer<Float>, outputStride: Int,
                        hN: UnsafeMutablePointer<Float>, cN: UnsafeMutablePointer<Float>?, tape: RecurrenceTape?,
                        cache: (store: PackedWeightCache, versions: [Int])? = nil) {
        hN.update(from: h0, count: s.batch * s.output)
        if let cN, let c0 { cN.update(from: c0, count: s.batch * s.hidden) }
        if tape == nil && !s.projected && s.hidden >= 64 && Parallel.availableThreads > 1 {
            forwardColumns(s, layout: layout, x: x, weights: w, output: output,
                           outputStride: outputStride, h: hN, c: cN, cache: cache)
            return
        }
        let projected = projectInputs(s, rows: layout.rows, x: x, weights: w)
        let packed = PackedWeights(forward: s, weights: w)
        forEachRowSlice(layout, work: layout.rows * s.gateWidth * s.output) { rows in
            forwardRows(rows, s, layout: layout, xw: projected.pointer, weights: w, packed: packed, output: output,
                        outputStride: outputStride, h: hN, c: cN, tape: tape)
        }
    }

    /// The recurrence over all steps for the (sorted) batch entries `rows`; `h` and `c` hold the state in and out.
    private static func forwardRows(_ rows: Range<Int>, _ s: RecurrenceShape, layout: BatchLayout, xw: UnsafePointer<Float>,
                                    weights w: RecurrenceWeights, packed: PackedWeights, output: UnsafeMutablePointer<Float>, outputStride: Int,
                                    h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>?, tape: RecurrenceTape?) {
        let (T, H, P, GH) = (s.steps, s.hidden, s.output, s.gateWidth)
        let kind = s.kind, first = rows.lowerBound, count = rows.count
        let hiddenNBias: UnsafePointer<Float>? = kind == .gru ? w.hiddenBias.map { $0 + 2 * H } : nil
        // Per-slice workspaces, reused by every step.
        let hiddenProjection = FloatBuffer(count: count * GH, zeroed: false)
        let unprojected = s.projected ? FloatBuffer(count: count * H) : nil
        let projectedHidden = s.projected ? FloatBuffer(count: count * P) : nil
        let workspace = GEMMWorkspace()  // the products' scratch space, allocated once for all steps

        for step in 0..<T {
            let t = s.reverse ? T - 1 - step : step
            // The entries of this slice still running at time t: first ..< end.
            let end = Swift.min(rows.upperBound, layout.activeRows[t]), m = end - first
            guard m > 0 else { continue }
            let base = layout.rowOffsets[t]
            if let tape {
                (tape.previousHidden.pointer + (base + first) * P).update(from: h + first * P, count: m * P)
                if let c { (tape.previousCell!.pointer + (base + first) * H).update(from: c + first * H, count: m * H) }
            }
            packed.hidden.multiply(a: h + first * P, lda: P, m: m, c: hiddenProjection.pointer, ldc: GH, workspace: workspace)
            for b in first..<end {
                let row = base + b
                let out = output + row * outputStride
                let a = xw + row * GH, r = hiddenProjection.pointer + (b - first) * GH
                let gatesOut = tape.map { $0.gates.pointer + row * GH }
                switch kind {
                case .lstm:
                    let cell = c! + b * H
                    let target = unprojected.map { $0.pointer + (b - first) * H } ?? (h + b * P)
                    rk_lstm_forward_row(H, a, r, cell, target, gatesOut)
                    if let tape { (tape.cell!.pointer + row * H).update(from: cell, count: H) }
                    if unprojected == nil { out.update(from: target, count: H) }
                case .gru:
                    let hb = h + b * H
                    let candidate = tape.map { $0.hiddenCandidate!.pointer + row * H }
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
                // h = (o ⊙ tanh c) · W_hrᵀ for the running entries.
                projection.multiply(a: unprojected.pointer, lda: H, m: m, c: projectedHidden.pointer, ldc: P, workspace: workspace)
                for b in first..<end {
                    let source = projectedHidden.pointer + (b - first) * P
                    (h + b * P).update(from: source, count: P)
                    (output + (base + b) * outputStride).update(from: source, count: P)
                    if let tape {
                        (tape.unprojected!.pointer + (base + b) * H).update(from: unprojected.pointer + (b - first) * H, count: H)
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
    ///
    /// The input projection does not depend on h, so a rank projects the inputs of the coming steps while
    /// it waits at the barrier for the others (a few rows at a time, as far ahead as its ring of
    /// projected rows allows): time that would be spent spinning does half of the layer's arithmetic.
    private static func forwardColumns(_ s: RecurrenceShape, layout: BatchLayout, x: UnsafePointer<Float>,
                                       weights w: RecurrenceWeights, output: UnsafeMutablePointer<Float>,
                                       outputStride: Int, h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>?,
                                       cache: (store: PackedWeightCache, versions: [Int])?) {
        let (T, B, H, P, G) = (s.steps, s.batch, s.hidden, s.output, s.kind.gateCount)
        let kind = s.kind
        let scratch = FloatBuffer(copying: h, count: B * P)
        let (pieceFlops, inputWindowFloats) = (Self.pieceFlops, Self.inputWindowFloats)
        let work = T * B * G * H * (s.input + P)  // multiply-adds of the layer
        ThreadTeam.shared.run(maxRanks: Swift.max(1, H / 32), work: work) { rank, ranks, barrier in
            let j0 = H * rank / ranks, j1 = H * (rank + 1) / ranks, n = j1 - j0
            // This rank's share of the input projection (only this rank reads it), in a ring of `ringRows`
            // packed rows: packed row r lives in ring row r mod ringRows.
            let inputs = InputColumns(s, x: x, weights: w, units: j0..<j1, rank: rank, ranks: ranks, cache: cache)
            let width = G * n
            // Rows per piece of projection work: about `pieceFlops`, whole micro-kernel tiles.
            let piece = Swift.max(6, pieceFlops / Swift.max(1, 2 * s.input * width) / 6 * 6)
            let ringRows = Swift.min(layout.rows, Swift.max(B, piece, inputWindowFloats / Swift.max(1, width)))
            let ring = FloatBuffer(count: ringRows * width, zeroed: false)
            // Progress in processing order: steps fully projected, rows of the next one already done, and
            // rows projected / consumed in all.
            var projectedSteps = 0, projectedRows = 0, rowsProjected = 0, rowsConsumed = 0
            func time(_ step: Int) -> Int { s.reverse ? T - 1 - step : step }
            func project(rows: Range<Int>) {
                var first = rows.lowerBound
                while first < rows.upperBound {  // split where the ring wraps
                    let slot = first % ringRows, count = Swift.min(rows.upperBound - first, ringRows - slot)
                    inputs.project(rows: first..<(first + count), into: ring.pointer + slot * width)
                    first += count
                }
            }
            /// Projects the next piece of rows if the ring has room for it (always when `needed`).
            func projectPiece(needed: Bool) -> Bool {
                guard projectedSteps < T else { return false }
                let t = time(projectedSteps), rows = layout.activeRows[t]
                if projectedRows == 0 && rows <= piece {
                    // Whole steps, as many as fit in a piece.
                    var steps = 1, total = rows
                    while projectedSteps + steps < T && total + layout.activeRows[time(projectedSteps + steps)] <= piece {
                        total += layout.activeRows[time(projectedSteps + steps)]
                        steps += 1
                    }
                    guard needed || rowsProjected + total - rowsConsumed <= ringRows else { return false }
                    let last = time(projectedSteps + steps - 1)
                    project(rows: s.reverse ? layout.rowOffsets[last]..<layout.rowOffsets[t + 1]
                                            : layout.rowOffsets[t]..<layout.rowOffsets[last + 1])
                    projectedSteps += steps
                    rowsProjected += total
                } else {
                    // The ring must hold the whole step from the start of this piece's block on: in the reverse
                    // direction the rows still to come of this block lie between it and the steps after it.
                    let count = Swift.min(piece, rows - projectedRows)
                    guard needed || rowsProjected - projectedRows + rows - rowsConsumed <= ringRows else { return false }
                    let first = layout.rowOffsets[t] + projectedRows
                    project(rows: first..<(first + count))
                    projectedRows += count
                    rowsProjected += count
                    if projectedRows == rows { projectedSteps += 1; projectedRows = 0 }
                }
                return true
            }
            // This rank's rows of W_hh: gate g's units j0..<j1, packed as [G·n, P].
            func pack() -> PackedMatrix {
                let rowsOfWeights = FloatBuffer(count: G * n * P, zeroed: false)
                for g in 0..<G {
                    (rowsOfWeights.pointer + g * n * P).update(from: w.hiddenWeight + (g * H + j0) * P, count: n * P)
                }
                return PackedMatrix(transposed: true, b: rowsOfWeights.pointer, ldb: P, depth: P, columns: G * n)
            }
            let packed = cache.map { $0.store.packed(rank: rank, ranks: ranks, versions: $0.versions, build: pack) } ?? pack()
            let workspace = GEMMWorkspace()
            let projection = FloatBuffer(count: B * width, zeroed: false)
            let hiddenNBias: UnsafePointer<Float>? = kind == .gru ? w.hiddenBias.map { $0 + 2 * H + j0 } : nil
            var previous = UnsafeMutablePointer(h), next = scratch.pointer
            for step in 0..<T {
                let t = time(step)
                while projectedSteps <= step { _ = projectPiece(needed: true) }
                let active = layout.activeRows[t], base = layout.rowOffsets[t]
                packed.multiply(a: previous, lda: P, m: active, c: projection.pointer, ldc: width, workspace: workspace)
                for b in 0..<active {
                    let out = output + (base + b) * outputStride + j0
                    let source = previous + b * P + j0, target = next + b * P + j0
                    let a = ring.pointer + ((base + b) % ringRows) * width, r = projection.pointer + b * width
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
                // Finished entries carry their state into the other buffer.
                for b in active..<B { (next + b * P + j0).update(from: previous + b * P + j0, count: n) }
                // This step's rows of the ring are free now: project ahead while the others finish.
                rowsConsumed += active
                barrier.wait { projectPiece(needed: false) }
                swap(&previous, &next)
            }
            // The final state is in `previous`; make sure it ends in h.
            if previous != h {
                for b in 0..<B { (h + b * P + j0).update(from: previous + b * P + j0, count: n) }
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

    /// The backward pass's per-step gradient buffers, packed rows as in the tape.
    private final class BackwardBuffers {
        /// `[B, P]` gradient reaching h, `[B, H]` reaching c (sorted order).
        let dh: FloatBuffer, dc: FloatBuffer?
        /// `[N, G·H]`: gate pre-activation gradients on the input side and (GRU) the hidden side.
        let dGates: FloatBuffer, dHiddenGates: FloatBuffer?
        /// `[N, P]`: gradients of projected outputs (projected LSTMs).
        let dProjected: FloatBuffer?

        init(_ s: RecurrenceShape, rows N: Int, dhN: UnsafePointer<Float>, dcN: UnsafePointer<Float>?) {
            let (B, H, P, GH) = (s.batch, s.hidden, s.output, s.gateWidth)
            dh = FloatBuffer(copying: dhN, count: B * P)
            dc = s.kind.hasCell ? (dcN.map { FloatBuffer(copying: $0, count: B * H) } ?? FloatBuffer(count: B * H)) : nil
            dGates = FloatBuffer(count: N * GH, zeroed: false)
            dHiddenGates = s.kind == .gru ? FloatBuffer(count: N * GH, zeroed: false) : nil
            dProjected = s.projected ? FloatBuffer(count: N * P, zeroed: false) : nil
        }
    }

    /// Runs the backward pass from the gradients of the outputs and of the final state.
    ///
    /// - Parameters:
    ///   - x: `[N, I]`, the packed inputs of the forward pass.
    ///   - dOutput: `[N, outputStride]`, this direction's `P` columns from `dOutput` onward in each row.
    ///   - dhN: `[B, P]`; `dcN`: `[B, H]` (LSTM); sorted order. Gradients come back the same way.
    static func backward(_ s: RecurrenceShape, layout: BatchLayout, x: UnsafePointer<Float>, weights w: RecurrenceWeights,
                         tape: RecurrenceTape, dOutput: UnsafePointer<Float>, outputStride: Int,
                         dhN: UnsafePointer<Float>, dcN: UnsafePointer<Float>?, into grads: Gradients) {
        let (B, I, H, P, GH) = (s.batch, s.input, s.hidden, s.output, s.gateWidth)
        let rows = layout.rows
        let buffers = BackwardBuffers(s, rows: rows, dhN: dhN, dcN: dcN)
        let packed = PackedWeights(backward: s, weights: w)
        forEachRowSlice(layout, work: rows * GH * P) { slice in
            backwardRows(slice, s, layout: layout, packed: packed, tape: tape, dOutput: dOutput,
                         outputStride: outputStride, buffers: buffers)
        }
        if let dh0 = grads.dh0 { dh0.update(from: buffers.dh.pointer, count: B * P) }
        if let dc0 = grads.dc0, let dc = buffers.dc { dc0.update(from: dc.pointer, count: B * H) }
        // Weight gradients: one GEMM each over all valid steps.
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

    /// Back-propagation through time for the (sorted) batch entries `rows`.
    private static func backwardRows(_ rows: Range<Int>, _ s: RecurrenceShape, layout: BatchLayout, packed: PackedWeights,
                                     tape: RecurrenceTape, dOutput: UnsafePointer<Float>, outputStride: Int,
                                     buffers: BackwardBuffers) {
        let (T, H, P, GH) = (s.steps, s.hidden, s.output, s.gateWidth)
        let kind = s.kind, first = rows.lowerBound, count = rows.count
        let dh = buffers.dh.pointer
        let dUnprojected = s.projected ? FloatBuffer(count: count * H) : nil
        let carried = FloatBuffer(count: count * P)
        let workspace = GEMMWorkspace()  // the products' scratch space, allocated once for all steps

        for step in stride(from: T - 1, through: 0, by: -1) {
            let t = s.reverse ? T - 1 - step : step
            let end = Swift.min(rows.upperBound, layout.activeRows[t]), m = end - first
            guard m > 0 else { continue }
            let base = layout.rowOffsets[t]
            // The gradient reaching h_t: from later steps (dh) plus from this step's output.
            for b in first..<end {
                let d = dOutput + (base + b) * outputStride
                for j in 0..<P { dh[b * P + j] += d[j] }
            }
            if let dProjected = buffers.dProjected, let dUnprojected, let projection = packed.projection {
                (dProjected.pointer + (base + first) * P).update(from: dh + first * P, count: m * P)
                projection.multiply(a: dh + first * P, lda: P, m: m, c: dUnprojected.pointer, ldc: H, workspace: workspace)
            }
            for b in first..<end {
                let row = base + b
                let gates = tape.gates.pointer + row * GH
                let dg = buffers.dGates.pointer + row * GH
                switch kind {
                case .lstm:
                    let dm = dUnprojected.map { $0.pointer + (b - first) * H } ?? (dh + b * P)
                    rk_lstm_backward_row(H, gates, tape.cell!.pointer + row * H,
                                         tape.previousCell!.pointer + row * H, dm, buffers.dc!.pointer + b * H, dg)
                case .gru:
                    rk_gru_backward_row(H, gates, tape.previousHidden.pointer + row * H,
                                        tape.hiddenCandidate!.pointer + row * H, dh + b * H,
                                        dg, buffers.dHiddenGates!.pointer + row * GH)
                case .rnnTanh, .rnnReLU:
                    rk_rnn_backward_row(H, gates, dh + b * H, kind == .rnnReLU ? 1 : 0, dg)
                }
            }
            // Carry the gradient to h_{t-1} through W_hh.
            let hiddenSide = (buffers.dHiddenGates ?? buffers.dGates).pointer + (base + first) * GH
            packed.hidden.multiply(a: hiddenSide, lda: GH, m: m, c: carried.pointer, ldc: P, workspace: workspace)
            let keep: Float = kind == .gru ? 1 : 0  // GRU's dh already holds z ⊙ dh, the direct path
            for b in first..<end {
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
