import Testing
import RecurrentCore
import TestSupport

@Suite struct ShapeOpsTests {
    let m = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))

    @Test func reshapeInfersOneAxis() {
        #expect(m.reshaped([6, -1]).shape == [6, 4])
        #expect(m.reshaped([24]).scalars == m.scalars)
    }

    @Test func permuteAndTranspose() {
        let p = m.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(p[k, i, j] == m[i, j, k]) } } }
        let t = Tensor([[1, 2, 3], [4, 5, 6]]).transposed()
        #expect(t.shape == [3, 2] && t.scalars == [1, 4, 2, 5, 3, 6])
        #expect(m.transposed().shape == [2, 4, 3])
    }

    @Test func narrowSelectSplitChunk() {
        let n = m.narrowed(axis: 1, start: 1, length: 2)
        #expect(n.shape == [2, 2, 4])
        #expect(n[1, 0, 2] == m[1, 1, 2])
        #expect(m.selecting(axis: 2, index: 3).scalars == [3, 7, 11, 15, 19, 23])
        let parts = m.split(sizes: [1, 2], axis: 1)
        #expect(parts.map(\.shape) == [[2, 1, 4], [2, 2, 4]])
        #expect(Tensor.concatenate(parts, axis: 1).scalars == m.scalars)
        let chunks = m.chunked(into: 2, axis: -1)
        #expect(chunks[1][0, 0, 0] == 2)
    }

    @Test func concatenateAndStack() {
        let a = Tensor([[1, 2]]), b = Tensor([[3, 4], [5, 6]])
        #expect(Tensor.concatenate([a, b], axis: 0).scalars == [1, 2, 3, 4, 5, 6])
        #expect(Tensor.concatenate([b, b], axis: 1).scalars == [3, 4, 3, 4, 5, 6, 5, 6])
        let s = Tensor.stack([Tensor([1, 2]), Tensor([3, 4])], axis: 1)
        #expect(s.shape == [2, 2] && s.scalars == [1, 3, 2, 4])
    }

    @Test func squeezeUnsqueezeBroadcast() {
        let x = Tensor([1, 2, 3]).unsqueezed(at: 0)
        #expect(x.shape == [1, 3])
        #expect(x.unsqueezed(at: -1).shape == [1, 3, 1])
        #expect(x.squeezed().shape == [3])
        #expect(x.squeezed(at: 0).shape == [3])
        let b = x.broadcast(to: [2, 3])
        #expect(b.scalars == [1, 2, 3, 1, 2, 3])
    }

    @Test func gradients() {
        var g = TestTensors(seed: 21)
        let x = g.uniform([2, 3, 4]), y = g.uniform([2, 1, 4])
        expectGradientsMatch([x]) { $0[0].reshaped([4, 6]) }
        expectGradientsMatch([x]) { $0[0].permuted([1, 2, 0]) }
        expectGradientsMatch([x]) { $0[0].transposed() }
        expectGradientsMatch([x]) { $0[0].narrowed(axis: 2, start: 1, length: 2) }
        expectGradientsMatch([x]) { $0[0].selecting(axis: 0, index: 1) }
        expectGradientsMatch([x]) { $0[0].split(sizes: [2, 1], axis: 1)[1] * 3 }
        expectGradientsMatch([x]) { $0[0].chunked(into: 2, axis: 2)[0] }
        expectGradientsMatch([x, y]) { Tensor.concatenate([$0[0], $0[1], $0[0]], axis: 1) }
        expectGradientsMatch([y, y]) { Tensor.stack([$0[0], $0[1]], axis: 1) }
        expectGradientsMatch([y]) { $0[0].squeezed(at: 1).unsqueezed(at: 0) }
        expectGradientsMatch([y]) { $0[0].broadcast(to: [3, 2, 5, 4]) }
    }
}
