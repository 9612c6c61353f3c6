import Foundation
import Testing
import RecurrentCore
import TestSupport

@Suite struct UnaryTests {
    @Test func valuesMatchScalarFunctions() {
        let x = Tensor([-3, -0.5, 0.25, 2])
        let positive = Tensor([0.5, 1, 2, 9])
        #expect(x.exp().scalars == x.scalars.map { Foundation.exp($0) })
        #expect(positive.log().scalars == positive.scalars.map { Foundation.log($0) })
        #expect(positive.sqrt().scalars == [0.70710677, 1, 1.4142135, 3])
        #expect(positive.pow(3).scalars == [0.125, 1, 8, 729])
        #expect(x.tanh().scalars == x.scalars.map { Foundation.tanh($0) })
        #expect(x.relu().scalars == [0, 0, 0.25, 2])
        #expect(x.abs().scalars == [3, 0.5, 0.25, 2])
        #expect(x.squared().scalars == [9, 0.25, 0.0625, 4])
        let s = x.sigmoid().scalars
        for (v, xv) in zip(s, x.scalars) { #expect(Swift.abs(v - 1 / (1 + Foundation.exp(-xv))) < 1e-7) }
    }

    @Test func sigmoidIsStableForLargeInputs() {
        let s = Tensor([-1000, -100, 100, 1000]).sigmoid().scalars
        #expect(s == [0, Activation.sigmoid(-100), 1, 1])
        #expect(s.allSatisfy { $0.isFinite })
    }

    @Test func gradients() {
        var g = TestTensors(seed: 11)
        let x = g.awayFromZero([3, 4])
        let positive = g.uniform([3, 4], 0.5, 2)
        expectGradientsMatch([x]) { $0[0].exp() }
        expectGradientsMatch([positive]) { $0[0].log() }
        expectGradientsMatch([positive]) { $0[0].sqrt() }
        expectGradientsMatch([positive]) { $0[0].pow(2.5) }
        expectGradientsMatch([x]) { $0[0].tanh() }
        expectGradientsMatch([x]) { $0[0].sigmoid() }
        expectGradientsMatch([x]) { $0[0].relu() }
        expectGradientsMatch([x]) { $0[0].abs() }
        expectGradientsMatch([x]) { $0[0].squared() }
    }

    @Test func largeTensorsTakeTheParallelPathWithTheSameValues() {
        var g = TestTensors(seed: 12)
        let x = g.uniform([300, 400])   // above the parallel grain
        let y = x.tanh()
        #expect(y.scalars == x.scalars.map { Foundation.tanh($0) })
        let z = x + g.uniform([400])
        #expect(z.shape == [300, 400])
    }
}
