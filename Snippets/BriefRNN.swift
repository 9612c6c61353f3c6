// 1. An RNN: each output depends on the previous state and the current input; the weights are shared over time.
import Recurrent

let rnn = RNN(inputSize: 3, hiddenSize: 4, seed: 1)
let x = Tensor.ones([5, 2, 3])                        // [seq 5, batch 2, input 3]
let result = try rnn(x)
print("output", result.output.shape)                  // one hidden state per step
print("h_n   ", result.hidden.shape)                  // the last state of each layer
// Shared weights: the same four-state map at every step, so a constant input settles to a fixed point.
print("h_t at t = 3, 4:", (3...4).map { t in (0..<4).map { j in (result.output[t, 0, j] * 100).rounded() / 100 } })
