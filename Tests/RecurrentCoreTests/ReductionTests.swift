import Testing
import RecurrentCore
import TestSupport

@Suite struct ReductionTests {
    let x = Tensor([[1, 5, 3], [4, 2, 6]])

    @Test func values() {
        #expect(x.sum().item == 21)
        #expect(x.mean().item == 3.5)
        #expect(x.sum(alongAxis: 0).scalars == [5, 7, 9])
        #expect(x.sum(alongAxis: 1, keepingDimension: true).shape == [2, 1])
        #expect(x.mean(alongAxis: -1).scalars == [3, 4])
        #expect(x.max(alongAxis: 1).scalars == [5, 6])
        #expect(x.max(alongAxis: 0, keepingDimension: true).shape == [1, 3])
        #expect(x.argmax(alongAxis: 1).scalars == [1, 2])
        #expect(x.argmax(alongAxis: 0).scalars == [1, 0, 1])
        #expect(Tensor([2, 7, 7]).argmax(alongAxis: 0).scalars == [1])  // first on ties
    }

    @Test func gradients() {
        var g = TestTensors(seed: 31)
        let a = g.uniform([3, 4, 2])
        expectGradientsMatch([a]) { $0[0].sum() }
        expectGradientsMatch([a]) { $0[0].mean() }
        expectGradientsMatch([a]) { $0[0].sum(alongAxis: 1) }
        expectGradientsMatch([a]) { $0[0].sum(alongAxis: 2, keepingDimension: true) }
        expectGradientsMatch([a]) { $0[0].mean(alongAxis: 0) }
        expectGradientsMatch([a]) { $0[0].max(alongAxis: 1) }
    }
}
