import Testing
import RecurrentCore
import TestSupport

@Suite struct RandomTests {
    @Test func xoshiroMatchesAnIndependentImplementation() {
        // First outputs for seed 42 from a separate Python implementation of SplitMix64 + xoshiro256**.
        var rng = Xoshiro256StarStar(seed: 42)
        #expect([rng.next(), rng.next(), rng.next(), rng.next()] ==
                [0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e, 0xae17_5332_39e4_99a1, 0xecb8_ad47_03b3_60a1])
    }

    @Test func sameSeedSameTensors() {
        var a = Xoshiro256StarStar(seed: 7), b = Xoshiro256StarStar(seed: 7)
        #expect(Tensor.normal([10], using: &a).scalars == Tensor.normal([10], using: &b).scalars)
        #expect(Tensor.uniform([10], using: &a).scalars == Tensor.uniform([10], using: &b).scalars)
    }

    @Test func distributionsHaveTheRightMoments() {
        var rng = Xoshiro256StarStar(seed: 8)
        let u = Tensor.uniform([20000], low: -2, high: 4, using: &rng)
        #expect(Swift.abs(u.mean().item - 1) < 0.05)
        #expect(u.scalars.allSatisfy { $0 >= -2 && $0 < 4 })
        let n = Tensor.normal([20000], mean: 3, standardDeviation: 2, using: &rng)
        let mean = n.mean().item
        let variance = (n - mean).squared().mean().item
        #expect(Swift.abs(mean - 3) < 0.05)
        #expect(Swift.abs(variance - 4) < 0.15)
    }

    @Test func creation() {
        #expect(Tensor.zeros([2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor.ones([3]).scalars == [1, 1, 1])
        #expect(Tensor.full([1, 2], 7).scalars == [7, 7])
        #expect(Tensor.arange(0, 5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(1, 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
    }
}

@Suite struct DropoutTests {
    @Test func keepsTheExpectedFractionAndScales() {
        var rng = Xoshiro256StarStar(seed: 9)
        let y = Tensor.ones([10000]).dropout(probability: 0.3, training: true, using: &rng)
        let kept = y.scalars.filter { $0 != 0 }
        #expect(Swift.abs(Float(kept.count) / 10000 - 0.7) < 0.02)
        #expect(kept.allSatisfy { Swift.abs($0 - 1 / 0.7) < 1e-6 })
    }

    @Test func identityOutsideTraining() {
        var rng = Xoshiro256StarStar(seed: 9)
        let x = Tensor([1, 2, 3])
        #expect(x.dropout(probability: 0.5, training: false, using: &rng).scalars == x.scalars)
    }

    @Test func gradientUsesTheSameMask() {
        var rng = Xoshiro256StarStar(seed: 10)
        let x = Tensor.ones([100]).requiringGradient()
        let y = x.dropout(probability: 0.5, training: true, using: &rng)
        y.sum().backward()
        #expect(x.grad!.scalars == y.scalars)
    }
}
