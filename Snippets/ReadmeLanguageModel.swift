import Foundation
import Recurrent

let (model, _) = try CharacterLanguageModel.load(from: ModelLocator.find("lm-shakespeare"))
let generator = try TextGenerator(model: model)                 // batch 1, state carried between calls
let sampling = SamplingOptions(temperature: 0.8, topK: 0, topP: 1, seed: 7)
let fork = generator.state                                     // copy the state: fork, or come back later
let text = try generator.generate(prompt: "ROMEO:", length: 120, sampling: sampling) { piece in
    print(piece, terminator: ""); return true                  // streamed: each character as it is made
}
generator.state = fork                                         // back to before the prompt: same seed, same text
let again = try generator.generate(prompt: "ROMEO:", length: 120, sampling: sampling)
precondition(again == text)
let session = try RecurrentSession(LSTM(inputSize: 8, hiddenSize: 16, layerCount: 2))   // any RNN/LSTM/GRU
let output = try session.step([Float](repeating: 0.5, count: 8))                       // one step: [16]
let line = try model.alphabet.encode("To be, or not to be: that is the question.")
print("\n\(output.count) outputs; nats/char on a line:", try model.evaluate(line))
