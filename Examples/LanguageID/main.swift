// English or French? A character BiLSTM classifier trained with the public API on Tatoeba sentences.
//   swift run -c release language-id [path/to/eng-fra.txt]
import Foundation
import Recurrent

let shared = ProcessInfo.processInfo.environment["RECURRENT_SHARED"] ?? "../shared"
let path = CommandLine.arguments.dropFirst().first ?? shared + "/data/tatoeba/eng-fra.txt"
guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { print("cannot read \(path)"); exit(1) }

// Each distinct sentence once, labelled 0 (English) or 1 (French); held out by sentence.
var labels: [String: Int] = [:]
for line in text.split(separator: "\n") {
    let f = line.split(separator: "\t").map(String.init)
    if f.count >= 2 { for (sentence, label) in [(f[0], 0), (f[1], 1)] { labels[sentence] = labels[sentence].map { $0 == label ? label : -1 } ?? label } }
}
labels = labels.filter { $0.value >= 0 }  // a sentence that is both English and French ("Tom !") says nothing
var rng = Xoshiro256StarStar(seed: 1)
let sentences = SeededShuffle.shuffled(labels.keys.sorted(), using: &rng).prefix(60_000).map { (String($0.prefix(60)), labels[$0]!) }
let (test, dev, train) = (sentences[0..<5_000], sentences[5_000..<7_000], sentences[7_000...])
let characters = CharacterVocabulary(counting: train.map(\.0), minimumCount: 2)
func dataset(_ part: ArraySlice<(String, Int)>) throws -> SequenceDataset<Int> {
    try SequenceDataset(inputs: part.map { characters.encode($0.0) }, targets: part.map(\.1))
}
let (trainData, devData, testData) = (try dataset(train), try dataset(dev), try dataset(test))

// Embedding → BiLSTM (lengths) → both directions' last states → Linear.
let embedding = try Embedding(characters.count, 24, paddingIndex: 0)
let lstm = LSTM(inputSize: 24, hiddenSize: 48, batchFirst: true, bidirectional: true)
let classify = try Linear(96, 2)
func logits(_ batch: SequenceDataset<Int>.Batch) throws -> Tensor {
    let hidden = try lstm(try embedding(batch.inputs.ids), lengths: batch.inputs.lengths).hidden   // [2, batch, 48]
    return try classify(hidden.permuted([1, 0, 2]).reshaped([batch.count, 96]))
}
func accuracy(_ data: SequenceDataset<Int>) throws -> Double {
    let batch = try data.batches(epoch: 0, size: .sentences(data.count), shuffle: false)[0]
    let predicted = try logits(batch).argmax(alongAxis: 1).scalars
    return Double(zip(predicted, batch.targets).filter { Int($0) == $1 }.count) / Double(data.count)
}

final class Model: Module {
    var namedParameters: [(key: String, parameter: Parameter)] {
        prefixed("embedding", embedding) + prefixed("lstm", lstm) + prefixed("classify", classify)
    }
    var children: [(name: String, module: any Module)] { [("embedding", embedding), ("lstm", lstm), ("classify", classify)] }
}
let model = Model()
var settings = TrainerSettings()
(settings.epochs, settings.clipNorm, settings.evaluationsPerEpoch) = (2, 5, 4)
let trainer = Trainer<SequenceDataset<Int>.Batch>(model: model, optimizer: Adam(parameters: model.trainableParameters, learningRate: 3e-3),
                                                  settings: settings) { batch in
    (try crossEntropy(logits: try logits(batch), targets: batch.labels), batch.count)
}
let start = Date()
let history = try trainer.fit(batches: { try trainData.batches(epoch: $0, size: .sentences(32), seed: 1) },
                              evaluate: { try accuracy(devData) })
print(String(format: "train %d, dev %d, test %d sentences; %d parameters; %.0f s of training", train.count, dev.count, test.count,
             model.parameterCount, Date().timeIntervalSince(start)))
print(String(format: "best dev accuracy %.2f%% (epoch %.2f); test accuracy %.2f%%", 100 * history.best!.metric, history.best!.epoch,
             100 * (try accuracy(testData))))
