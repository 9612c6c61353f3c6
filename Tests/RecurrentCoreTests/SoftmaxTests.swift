import Foundation
import Testing
import RecurrentCore
import TestSupport

@Suite struct SoftmaxTests {
    @Test func softmaxRowsSumToOneAndMatchTheDefinition() {
        let x = Tensor([[1, 2, 3], [1000, 1000, 1000]])
        let s = x.softmax()
        let e = [Foundation.exp(Float(1)), Foundation.exp(Float(2)), Foundation.exp(Float(3))]
        let total = e.reduce(0, +)
        for j in 0..<3 { #expect(Swift.abs(s[0, j] - e[j] / total) < 1e-6) }
        for j in 0..<3 { #expect(Swift.abs(s[1, j] - 1.0 / 3) < 1e-6) }  // no overflow
        let l = x.logSoftmax()
        for j in 0..<3 { #expect(Swift.abs(l[0, j] - Foundation.log(e[j] / total)) < 1e-5) }
    }

    @Test func alongTheFirstAxis() {
        let x = Tensor([[1, 2], [3, 5]])
        let s = x.softmax(alongAxis: 0)
        #expect(Swift.abs(s[0, 0] + s[1, 0] - 1) < 1e-6)
        #expect(Swift.abs(s[1, 1] - 1 / (1 + Foundation.exp(Float(-3)))) < 1e-6)
    }

    @Test func maskedEntriesGetZeroWeight() {
        let x = Tensor([[1, 2, 3]]).maskedFill(where: Tensor([[0, 1, 0]]), with: -.infinity)
        let s = x.softmax()
        #expect(s[0, 1] == 0)
        #expect(Swift.abs(s[0, 0] + s[0, 2] - 1) < 1e-6)
    }

    @Test func gradients() {
        var g = TestTensors(seed: 41)
        let x = g.uniform([2, 3, 4], -2, 2)
        expectGradientsMatch([x]) { $0[0].softmax() }
        expectGradientsMatch([x]) { $0[0].softmax(alongAxis: 1) }
        expectGradientsMatch([x]) { $0[0].logSoftmax() }
        expectGradientsMatch([x]) { $0[0].logSoftmax(alongAxis: 0) }
    }
}
