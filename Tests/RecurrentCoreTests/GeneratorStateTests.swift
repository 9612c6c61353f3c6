import Testing
import RecurrentCore

@Suite("Generator state and in-place gradient updates")
struct GeneratorStateTests {
    @Test("a generator restored from its state continues the same sequence")
    func stateRoundTrip() throws {
        var original = Xoshiro256StarStar(seed: 42)
        for _ in 0..<17 { _ = original.next() }
        _ = original.nextNormal()
        let saved = original.state
        #expect(saved.count == 4)
        var restored = try #require(Xoshiro256StarStar(state: saved))
        for _ in 0..<100 { #expect(restored.next() == original.next()) }
        #expect(restored.nextFloat() == original.nextFloat())
        #expect(restored.state == original.state)
    }

    @Test("a fresh generator's state is the SplitMix64 expansion of its seed")
    func seededState() {
        // SplitMix64 of seed 0: the first outputs of the reference implementation.
        #expect(Xoshiro256StarStar(seed: 0).state == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4,
                                                       0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC])
    }

    @Test("invalid states are rejected, not trapped")
    func invalidStates() {
        #expect(Xoshiro256StarStar(state: [1, 2, 3]) == nil)
        #expect(Xoshiro256StarStar(state: [1, 2, 3, 4, 5]) == nil)
        #expect(Xoshiro256StarStar(state: [0, 0, 0, 0]) == nil)
        #expect(Xoshiro256StarStar(state: [0, 0, 0, 1]) != nil)
    }

    @Test("updateGradient rewrites a leaf's gradient in place and ignores tensors without one")
    func updateGradient() {
        let w = Tensor([1, 2, 3]).requiringGradient()
        (w * Tensor([4, 5, 6])).sum().backward()
        w.updateGradient { values in for i in values.indices { values[i] *= 0.5 } }
        #expect(w.grad?.scalars == [2, 2.5, 3])
        let copy = w  // copies share the tape node, so they see the update
        copy.updateGradient { $0[0] = -1 }
        #expect(w.grad?.scalars == [-1, 2.5, 3])
        let plain = Tensor([1, 2])
        plain.updateGradient { $0[0] = 9 }
        #expect(plain.grad == nil)
        w.zeroGrad()
        w.updateGradient { $0[0] = 9 }
        #expect(w.grad == nil)
    }
}
