import Foundation
import Testing
import RecurrentCore
import TestSupport

@Suite struct AutodiffTests {
    @Test func gradientsAccumulateUntilZeroed() {
        let x = Tensor([1, 2, 3]).requiringGradient()
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        #expect(x.grad!.scalars == [5, 5, 5])
        x.zeroGrad()
        #expect(x.grad == nil)
        x.squared().sum().backward()
        #expect(x.grad!.scalars == [2, 4, 6])
    }

    @Test func aValueUsedTwiceGetsBothContributions() {
        let x = Tensor([3]).requiringGradient()
        let y = x * x + x.exp() * x
        y.sum().backward()
        let v: Float = 3
        #expect(Swift.abs(x.grad!.item - (2 * v + Foundation.exp(v) * (1 + v))) < 1e-3)
    }

    @Test func backwardWithASeedGradient() {
        let x = Tensor([1, 2]).requiringGradient()
        (x * x).backward(seed: Tensor([10, 100]))
        #expect(x.grad!.scalars == [20, 400])
    }

    @Test func noGradientScopeRecordsNothing() {
        let x = Tensor([1, 2]).requiringGradient()
        let y = withoutGradients { (x * 2).tanh() }
        #expect(!y.requiresGrad)
        #expect((x * 2).requiresGrad)
        #expect(!(Tensor([1]) * 2).requiresGrad)
    }

    @Test func copiesShareTheLeafButNotTheValues() {
        var w = Tensor([1, 2]).requiringGradient()
        let alias = w
        w.updateScalars { $0[0] = 10 }
        #expect(alias.scalars == [1, 2])  // value semantics
        (alias * 3).sum().backward()
        #expect(w.grad!.scalars == [3, 3])  // the same leaf
        #expect(w.detached().grad == nil)
    }

    @Test func aFusedOperationIsOneNodeWithAHandWrittenBackward() {
        // f(a, b) = a² · b as a single recorded node.
        let a = Tensor([2, 3]).requiringGradient(), b = Tensor([5, 7]).requiringGradient()
        let out = withoutGradients { a * a * b }
        let y = Tensor.record("fused", inputs: [a, b], output: out) { g, needs in
            [needs[0] ? g * (a.detached() * b.detached() * 2) : nil, needs[1] ? g * a.detached().squared() : nil]
        }
        #expect(y.gradNode?.name == "fused")
        y.sum().backward()
        #expect(a.grad!.scalars == [20, 42])
        #expect(b.grad!.scalars == [4, 9])
    }

    @Test func onlyInputsThatNeedGradientsAreAsked() {
        let a = Tensor([1]).requiringGradient(), constant = Tensor([2])
        var asked: [Bool] = []
        let y = Tensor.record("probe", inputs: [a, constant], output: Tensor([0])) { g, needs in
            asked = needs
            return [g, nil]
        }
        y.backward()
        #expect(asked == [true, false])
    }

    @Test func longChainsDoNotOverflowTheStack() {
        let x = Tensor([1]).requiringGradient()
        var y = x
        for _ in 0..<20000 { y = y + 0 }
        y.backward()
        #expect(x.grad!.item == 1)
    }
}
