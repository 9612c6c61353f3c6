// 2. An LSTM: a cell state c and sigmoid forget, input and output gates around a tanh candidate; returns output, (h_n, c_n).
import Recurrent

let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, seed: 1)
print("parameters:", lstm.namedParameters.map(\.key).prefix(4))   // PyTorch's names; gates i, f, g, o stacked: [4·4, 3]
let result = try lstm(Tensor.ones([5, 2, 3]), lengths: [5, 3])    // the second sequence is 3 steps long
print("output", result.output.shape, "h_n", result.hidden.shape, "c_n", result.cell!.shape)
print("past its length the output is zero:", result.output[4, 1, 0] == 0)
