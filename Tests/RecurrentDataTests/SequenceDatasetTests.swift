import Testing
import RecurrentCore
import RecurrentData

@Suite("SequenceDataset")
struct SequenceDatasetTests {
    let inputs = [[2, 3], [4], [5, 6, 7], [8, 9, 10, 11], [12]]

    @Test("classification: every example once per epoch, seeded, labels row by row")
    func classification() throws {
        let data = try SequenceDataset(inputs: inputs, targets: [0, 1, 0, 1, 1])
        let batches = try data.batches(epoch: 0, size: .sentences(2), seed: 3)
        #expect(batches.flatMap(\.inputs.indices).sorted() == [0, 1, 2, 3, 4])
        for batch in batches {
            #expect(batch.labels.scalars == batch.inputs.indices.map { [0, 1, 0, 1, 1][$0] })
            #expect(batch.inputs.ids.shape == [batch.count, batch.inputs.lengths.max()!])
        }
        #expect(try data.batches(epoch: 0, size: .sentences(2), seed: 3).map(\.inputs.indices) == batches.map(\.inputs.indices))
        #expect(try data.batches(epoch: 1, size: .sentences(2), seed: 3).map(\.inputs.indices) != batches.map(\.inputs.indices))
        let ordered = try data.batches(epoch: 0, size: .sentences(5), shuffle: false)
        #expect(ordered.map(\.inputs.indices) == [[0, 1, 2, 3, 4]])
    }

    @Test("labelling pads targets with the ignore index; seq2seq targets get a batch of their own")
    func labellingAndSeq2Seq() throws {
        let tags = inputs.map { $0.map { $0 % 3 } }
        let data = try SequenceDataset(inputs: inputs, targets: tags)
        let batch = try data.batches(epoch: 0, size: .sentences(5), shuffle: false)[0]
        let padded = try batch.paddedTargets()
        #expect(padded.shape == [5, 4] && Array(padded.scalars[4..<8]) == [1, -100, -100, -100])
        let outputs = try SequenceDataset(inputs: inputs, targets: [[1], [2, 3], [4, 5, 6], [7], [8, 9]])
        let target = try outputs.batches(epoch: 0, size: .sentences(5), shuffle: false)[0].targetBatch()
        #expect(target.lengths == [1, 2, 3, 1, 2] && target.ids.shape == [5, 3])
        #expect(throws: BatchingError.self) {
            try SequenceDataset(inputs: inputs, targets: [[1], [2, 3], [4], [5], [6]]).batches(epoch: 0, size: .sentences(5))[0].paddedTargets()
        }
    }

    @Test("mismatched counts and empty inputs are errors")
    func errors() {
        #expect(throws: BatchingError.self) { try SequenceDataset(inputs: inputs, targets: [1]) }
        #expect(throws: BatchingError.invalidSize("input sequence 1 is empty")) { try SequenceDataset(inputs: [[1], []], targets: [0, 1]) }
    }
}
