import CRecurrentKernels
import RecurrentCore

// The built-in cells declare their input projection, so `RecurrentLayer` computes `x·W_ihᵀ + b_ih` for all
// steps in one product and each step adds only the hidden side: `h·W_hhᵀ + b_hh` and the gates (for an LSTM,
// one fused node with the C gate kernel forward and backward).
extension FusedCell {
    /// `inputs · W_ihᵀ + b_ih`: `[rows, inputSize] → [rows, gates × H]`.
    public func projectInputs(_ inputs: Tensor) -> Tensor? {
        inputs.linear(weight: weightIH.value, bias: biasIH?.value)
    }

    /// One step from the projected input `a` (`[batch, gates × H]`).
    public func step(projected a: Tensor, _ state: RecurrentState) -> RecurrentState {
        let H = hiddenSize
        let r = state.hidden.linear(weight: weightHH.value, bias: biasHH?.value)
        switch kind {
        case .lstm:
            let next = LSTMGates.apply(a, r, state.cell!, hidden: H)
            return RecurrentState(hidden: next.narrowed(axis: 1, start: 0, length: H), cell: next.narrowed(axis: 1, start: H, length: H))
        case .gru:
            let (ar, az, an) = (a.narrowed(axis: 1, start: 0, length: H), a.narrowed(axis: 1, start: H, length: H),
                                a.narrowed(axis: 1, start: 2 * H, length: H))
            let (rr, rz, rn) = (r.narrowed(axis: 1, start: 0, length: H), r.narrowed(axis: 1, start: H, length: H),
                                r.narrowed(axis: 1, start: 2 * H, length: H))
            let reset = (ar + rr).sigmoid(), update = (az + rz).sigmoid()
            let candidate = (an + reset * rn).tanh()
            return RecurrentState(hidden: candidate + update * (state.hidden - candidate))
        case .rnnTanh:
            return RecurrentState(hidden: (a + r).tanh())
        case .rnnReLU:
            return RecurrentState(hidden: (a + r).relu())
        }
    }
}

/// The LSTM gates as one differentiable node: from input-side and hidden-side pre-activations `a`, `r`
/// (`[batch, 4H]`, PyTorch's i f g o) and the cell `c` (`[batch, H]`) to `[h' | c']` (`[batch, 2H]`).
enum LSTMGates {
    static func apply(_ a: Tensor, _ r: Tensor, _ c: Tensor, hidden H: Int) -> Tensor {
        let batch = a.shape[0]
        var gates = [Float](repeating: 0, count: batch * 4 * H)
        let output: [Float] = withValuePointers([a, r, c]) { p in
            uninitializedValues(count: batch * 2 * H) { out in
                gates.withUnsafeMutableBufferPointer { g in
                    for b in 0..<batch {
                        let row = out + b * 2 * H
                        (row + H).update(from: p[2] + b * H, count: H)  // c, updated in place to c'
                        rk_lstm_forward_row(H, p[0] + b * 4 * H, p[1] + b * 4 * H, row + H, row, g.baseAddress! + b * 4 * H)
                    }
                }
            }
        }
        let result = Tensor(shape: [batch, 2 * H], scalars: output)
        let savedGates = gates
        return Tensor.record("lstm_gates", inputs: [a, r, c], output: result) { upstream, _ in
            var dg = [Float](repeating: 0, count: batch * 4 * H)
            let dc: [Float] = withValuePointers([upstream, result, c]) { p in
                uninitializedValues(count: batch * H) { dcOut in
                    savedGates.withUnsafeBufferPointer { g in
                        dg.withUnsafeMutableBufferPointer { d in
                            for b in 0..<batch {
                                let up = p[0] + b * 2 * H
                                (dcOut + b * H).update(from: up + H, count: H)  // dL/dc' in, dL/dc out
                                rk_lstm_backward_row(H, g.baseAddress! + b * 4 * H, p[1] + b * 2 * H + H, p[2] + b * H, up,
                                                     dcOut + b * H, d.baseAddress! + b * 4 * H)
                            }
                        }
                    }
                }
            }
            let gradient = Tensor(shape: [batch, 4 * H], scalars: dg)
            return [gradient, gradient, Tensor(shape: [batch, H], scalars: dc)]
        }
    }
}
