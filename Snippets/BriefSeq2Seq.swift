// 4. Seq2seq: the encoder's context vector is its last hidden state (or all its outputs, or a transform of them);
//    the decoder takes it as its initial state, as an input at every step, or both.
import Recurrent

var configuration = Seq2SeqConfiguration(sourceVocabularySize: 8, targetVocabularySize: 7, startID: 2, endID: 3)
(configuration.sourceEmbeddingSize, configuration.targetEmbeddingSize) = (8, 8)
(configuration.encoderHiddenSize, configuration.decoderHiddenSize) = (8, 16)   // bidirectional encoder: 2 × 8 = 16
configuration.context = .lastHidden
configuration.feed = .both
let model = try Seq2Seq(configuration: configuration, seed: 1)
// Learn to copy a short sequence (ids 4…6 on the target side are 4…6 on the source side).
let optimizer = Adam(parameters: model.parameters, learningRate: 0.02)
let sources = [[4, 5, 6], [6, 5], [5, 4, 4], [4, 6]], targets = sources
for _ in 0..<150 {
    let loss = try model.loss(sources: sources, targets: targets)
    loss.backward()
    optimizer.step()
    optimizer.zeroGrad()
}
print("greedy:", try model.greedyDecode(sources, maximumLength: 5).map(\.tokens))
print("beam 3:", try model.beamSearch([5, 4, 4], width: 3, maximumLength: 5).first!.tokens)
