// 3. A GRU: the LSTM's forget and input gates merged into one update gate, plus a reset gate; no cell state.
import Recurrent

let gru = GRU(inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 1)
let lstm = LSTM(inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 1)
print("GRU weights per direction:", gru.parameterCount / 2, "— LSTM:", lstm.parameterCount / 2)  // 3 gates against 4
let result = try gru(Tensor.ones([5, 2, 3]))
print("output", result.output.shape, "(both directions side by side); c_n:", result.cell == nil ? "none" : "some")
