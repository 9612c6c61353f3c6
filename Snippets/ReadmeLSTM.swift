import Foundation
import Recurrent

// PyTorch's nn.LSTM(32, 64, num_layers=2, bidirectional=True), same names, same numbers.
let lstm = LSTM(inputSize: 32, hiddenSize: 64, layerCount: 2, bidirectional: true)
let weights = URL(fileURLWithPath: "lstm.safetensors")                  // a PyTorch state_dict, if you have one
if FileManager.default.fileExists(atPath: weights.path) { try lstm.loadSafeTensors(from: weights) }

let x = Tensor.zeros([20, 4, 32])                                   // [seq, batch, feature]
let result = try lstm(x, lengths: [20, 17, 9, 3])                   // packed-sequence semantics, any order
print(result.output.shape)   // [20, 4, 128]  zero past each sequence's length
print(result.hidden.shape)   // h_n [4, 4, 64]
print(result.cell!.shape)    // c_n [4, 4, 64] (an LSTM's; nil for RNN and GRU)

// Training: one tape node per layer, gradients for everything.
let optimizer = SGD(parameters: lstm.parameters, learningRate: 0.1)
result.output.sum().backward()
optimizer.step(); optimizer.zeroGrad()

// Inference records nothing.
let y = try withoutGradients { try lstm(x) }
