import Testing
import RecurrentCore
import TestSupport

@Suite struct ArithmeticTests {
    @Test func broadcastingValues() {
        let a = Tensor([[1, 2, 3], [4, 5, 6]])
        let column = Tensor(shape: [2, 1], scalars: [10, 20])
        let row = Tensor([100, 200, 300])
        #expect((a + column).scalars == [11, 12, 13, 24, 25, 26])
        #expect((a - row).scalars == [-99, -198, -297, -96, -195, -294])
        #expect((column * row).shape == [2, 3])
        #expect((column * row).scalars == [1000, 2000, 3000, 2000, 4000, 6000])
        #expect((a / Tensor(scalar: 2)).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect((2 - a).scalars == [1, 0, -1, -2, -3, -4])
        #expect((-a).scalars == [-1, -2, -3, -4, -5, -6])
        #expect((12 / a).scalars == [12, 6, 4, 3, 2.4, 2])
    }

    @Test func broadcastOfThreeDimensions() {
        // [2, 1, 3] + [4, 1] → [2, 4, 3]; checked against explicit indexing.
        var g = TestTensors(seed: 3)
        let a = g.uniform([2, 1, 3]), b = g.uniform([4, 1])
        let c = a + b
        #expect(c.shape == [2, 4, 3])
        for i in 0..<2 { for j in 0..<4 { for k in 0..<3 {
            #expect(c[i, j, k] == a[i, 0, k] + b[j, 0])
        } } }
    }

    @Test func gradientsOfBroadcastingOps() {
        var g = TestTensors(seed: 4)
        let a = g.uniform([3, 1, 4]), b = g.uniform([5, 1]), c = g.awayFromZero([4], 0.5, 2)
        expectGradientsMatch([a, b]) { $0[0] + $0[1] }
        expectGradientsMatch([a, b]) { $0[0] - $0[1] }
        expectGradientsMatch([a, b]) { $0[0] * $0[1] }
        expectGradientsMatch([a, c]) { $0[0] / $0[1] }
        expectGradientsMatch([a]) { -$0[0] }
    }

    @Test func gradientsOfScalarForms() {
        var g = TestTensors(seed: 5)
        let a = g.awayFromZero([2, 3], 0.5, 2)
        expectGradientsMatch([a]) { $0[0] + 3 }
        expectGradientsMatch([a]) { 3 - $0[0] }
        expectGradientsMatch([a]) { $0[0] * -2.5 }
        expectGradientsMatch([a]) { $0[0] / 4 }
        expectGradientsMatch([a]) { 1.5 / $0[0] }
    }
}
