import Testing
import RecurrentCore
import RecurrentNN

@Suite("Weight averaging of state dicts")
struct WeightAveragingTests {
    private let a: [String: Tensor] = ["w": Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), "b": Tensor([0.5, -1])]
    private let b: [String: Tensor] = ["w": Tensor(shape: [2, 2], scalars: [3, 2, 1, -4]), "b": Tensor([1.5, 1])]

    @Test("the plain mean and a weighted mean, key by key, keeping shapes")
    func means() throws {
        let mean = try WeightAveraging.average([a, b])
        #expect(Set(mean.keys) == ["w", "b"])
        #expect(mean["w"]!.shape == [2, 2])
        #expect(mean["w"]!.scalars == [2, 2, 2, 0])
        #expect(mean["b"]!.scalars == [1, 0])
        let weighted = try WeightAveraging.average([a, b], weights: [3, 1])  // ¾·a + ¼·b
        #expect(weighted["w"]!.scalars == [1.5, 2, 2.5, 2])
        #expect(weighted["b"]!.scalars == [0.75, -0.5])
        // One state dict averages to itself; a zero weight ignores its dict.
        #expect(try WeightAveraging.average([a])["w"]!.scalars == a["w"]!.scalars)
        #expect(try WeightAveraging.average([a, b], weights: [0, 2])["b"]!.scalars == b["b"]!.scalars)
    }

    @Test("different keys, shapes or bad weights are errors naming the key")
    func failures() {
        #expect(throws: WeightAveraging.Failure.empty) { try WeightAveraging.average([]) }
        var extra = b
        extra["c"] = Tensor([1])
        #expect(throws: WeightAveraging.Failure.keysDiffer(index: 1, key: "c")) { try WeightAveraging.average([a, extra]) }
        var missing = b
        missing["b"] = nil
        #expect(throws: WeightAveraging.Failure.keysDiffer(index: 1, key: "b")) { try WeightAveraging.average([a, missing]) }
        var reshaped = b
        reshaped["w"] = Tensor(shape: [4], scalars: [1, 2, 3, 4])
        #expect(throws: WeightAveraging.Failure.shapeMismatch(index: 1, key: "w", expected: [2, 2], found: [4])) {
            try WeightAveraging.average([a, reshaped])
        }
        for weights in [[1.0], [0, 0], [-1, 2], [.nan, 1]] {
            #expect(throws: WeightAveraging.Failure.invalidWeights) { try WeightAveraging.average([a, b], weights: weights) }
        }
        #expect(WeightAveraging.Failure.shapeMismatch(index: 1, key: "w", expected: [2, 2], found: [4]).description
                == "shape mismatch for 'w': the first state dict has [2, 2], state dict 2 has [4]")
    }
}
