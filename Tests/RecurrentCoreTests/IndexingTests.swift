import Testing
import RecurrentCore
import TestSupport

@Suite struct IndexingTests {
    @Test func embeddingGathersRows() {
        let table = Tensor([[0, 0.5], [1, 1.5], [2, 2.5]])
        let y = Tensor.embedding(table, ids: IntTensor([[2, 0], [1, 2]]))
        #expect(y.shape == [2, 2, 2])
        #expect(y.scalars == [2, 2.5, 0, 0.5, 1, 1.5, 2, 2.5])
    }

    @Test func embeddingGradientSumsRepeatedIds() {
        let table = Tensor.zeros([3, 2]).requiringGradient()
        Tensor.embedding(table, ids: IntTensor([2, 2, 0])).sum().backward()
        #expect(table.grad!.scalars == [1, 1, 0, 0, 2, 2])
    }

    @Test func indexSelectAlongAnyAxis() {
        let x = Tensor([[1, 2, 3], [4, 5, 6]])
        #expect(x.indexSelected(axis: 1, indices: [2, 0, 2]).scalars == [3, 1, 3, 6, 4, 6])
    }

    @Test func maskedFillBroadcastsTheMask() {
        let x = Tensor([[1, 2, 3], [4, 5, 6]])
        #expect(x.maskedFill(where: Tensor([1, 0, 1]), with: -1).scalars == [-1, 2, -1, -1, 5, -1])
    }

    @Test func gradients() {
        var g = TestTensors(seed: 61)
        let table = g.uniform([4, 3]), x = g.uniform([3, 4])
        expectGradientsMatch([table]) { Tensor.embedding($0[0], ids: IntTensor([[1, 3], [3, 0]])) }
        expectGradientsMatch([x]) { $0[0].indexSelected(axis: 1, indices: [3, 3, 1]) }
        expectGradientsMatch([x]) { $0[0].maskedFill(where: Tensor(shape: [3, 1], scalars: [0, 1, 0]), with: 7) }
    }
}
