import Testing
import RecurrentCore
import TestSupport

/// A straightforward triple loop in Double, the reference for matrix products.
func referenceProduct(_ a: Tensor, _ b: Tensor) -> [Float] {
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n {
        var acc = 0.0
        for p in 0..<k { acc += Double(a[i, p]) * Double(b[p, j]) }
        c[i * n + j] = Float(acc)
    } }
    return c
}

@Suite struct MatMulTests {
    @Test func twoDimensional() {
        var g = TestTensors(seed: 51)
        let a = g.uniform([5, 7]), b = g.uniform([7, 3])
        let c = a.matmul(b)
        #expect(c.shape == [5, 3])
        #expect(c.isApproximatelyEqual(to: Tensor(shape: [5, 3], scalars: referenceProduct(a, b)), relativeTolerance: 1e-5))
    }

    @Test func batchedAndShared() {
        var g = TestTensors(seed: 52)
        let a = g.uniform([2, 3, 4, 5]), b = g.uniform([2, 3, 5, 2]), w = g.uniform([5, 6])
        let c = a.matmul(b)
        #expect(c.shape == [2, 3, 4, 2])
        let a12 = a.selecting(axis: 0, index: 1).selecting(axis: 0, index: 2)
        let b12 = b.selecting(axis: 0, index: 1).selecting(axis: 0, index: 2)
        let c12 = c.selecting(axis: 0, index: 1).selecting(axis: 0, index: 2)
        #expect(c12.isApproximatelyEqual(to: Tensor(shape: [4, 2], scalars: referenceProduct(a12, b12))))
        #expect(a.matmul(w).shape == [2, 3, 4, 6])
        #expect(w.transposed().matmul(b).shape == [2, 3, 6, 2])
    }

    @Test func emptyInnerDimensionGivesZeros() {
        let c = Tensor.zeros([3, 0]).matmul(Tensor.zeros([0, 2]))
        #expect(c.scalars == [0, 0, 0, 0, 0, 0])
    }

    @Test func linearIsXTimesWTransposedPlusB() {
        var g = TestTensors(seed: 53)
        let x = g.uniform([2, 4, 3]), w = g.uniform([5, 3]), b = g.uniform([5])
        let y = x.linear(weight: w, bias: b)
        #expect(y.shape == [2, 4, 5])
        var expected: Float = b[2]
        for p in 0..<3 { expected += x[1, 2, p] * w[2, p] }
        #expect(Swift.abs(y[1, 2, 2] - expected) < 1e-5)
    }

    @Test func gradients() {
        var g = TestTensors(seed: 54)
        let a = g.uniform([3, 4]), b = g.uniform([4, 2])
        let ba = g.uniform([2, 3, 4]), bb = g.uniform([2, 4, 2])
        expectGradientsMatch([a, b]) { $0[0].matmul($0[1]) }
        expectGradientsMatch([ba, bb]) { $0[0].matmul($0[1]) }
        expectGradientsMatch([ba, b]) { $0[0].matmul($0[1]) }
        expectGradientsMatch([a, bb]) { $0[0].matmul($0[1]) }
        let x = g.uniform([2, 3, 4]), w = g.uniform([5, 4]), bias = g.uniform([5])
        expectGradientsMatch([x, w, bias]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
        expectGradientsMatch([x, w]) { $0[0].linear(weight: $0[1]) }
    }
}
