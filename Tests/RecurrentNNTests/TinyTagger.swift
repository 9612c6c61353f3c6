import RecurrentCore
import RecurrentData
import RecurrentNN

/// A tiny tagger for training tests: embedding → 2-layer LSTM (with dropout, batch-first) → linear readout.
final class TinyTagger: Module {
    let embedding: Parameter
    let lstm: LSTM
    let readoutWeight: Parameter
    let readoutBias: Parameter

    init(vocabulary: Int, tags: Int, seed: UInt64) {
        var rng = Xoshiro256StarStar(seed: seed)
        embedding = Parameter(Tensor.normal([vocabulary, 6], standardDeviation: 0.5, using: &rng))
        lstm = LSTM(inputSize: 6, hiddenSize: 8, layerCount: 2, batchFirst: true, dropout: 0.3, seed: seed &+ 1)
        readoutWeight = Parameter(Tensor.uniform([tags, 8], low: -0.3, high: 0.3, using: &rng))
        readoutBias = Parameter(Tensor.zeros([tags]))
    }

    var namedParameters: [(key: String, parameter: Parameter)] {
        [("embedding.weight", embedding)] + prefixed("lstm", lstm) + [("readout.weight", readoutWeight), ("readout.bias", readoutBias)]
    }

    /// The mean negative log-likelihood of the tags over the real (unpadded) positions.
    func loss(_ batch: PaddedBatch, tags: [[Int]], tagCount: Int) throws -> Tensor {
        let x = Tensor.embedding(embedding.value, ids: batch.ids)                       // [b, s, 6]
        let h = try lstm(x, lengths: batch.lengths).output                               // [b, s, 8]
        let logits = h.linear(weight: readoutWeight.value, bias: readoutBias.value)       // [b, s, tags]
        let logProbabilities = logits.logSoftmax(alongAxis: -1)
        var oneHot = [Float](repeating: 0, count: logProbabilities.count)
        let steps = batch.maximumLength
        for (b, sequence) in tags.enumerated() {
            for (t, tag) in sequence.enumerated() { oneHot[(b * steps + t) * tagCount + tag] = 1 }
        }
        let picked = logProbabilities * Tensor(shape: logProbabilities.shape, scalars: oneHot)
        return -picked.sum() / Float(batch.tokenCount)
    }
}
