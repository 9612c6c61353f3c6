import Foundation
import Testing
import RecurrentCore
import RecurrentData
@testable import RecurrentNN

@Suite("Non-finite training steps and weights")
struct NonFiniteGuardTests {
    func parameters(gradient: [Float]) -> [Parameter] {
        let parameter = Parameter(Tensor(shape: [gradient.count], scalars: Array(repeating: 1, count: gradient.count)))
        (parameter.value * Tensor(shape: [gradient.count], scalars: gradient)).sum().backward()
        return [parameter]
    }

    @Test("stop: a finite step passes, a NaN or infinite loss or gradient throws naming the step")
    func stop() throws {
        let guardian = NonFiniteGuard()
        #expect(try guardian.admit(loss: 1.5, parameters: parameters(gradient: [1, 2])))
        #expect(throws: TrainingDivergedError(step: 2, quantity: "loss", value: .infinity, skippedBefore: 0)) {
            try guardian.admit(loss: .infinity, parameters: parameters(gradient: [1, 2]))
        }
        do {
            _ = try guardian.admit(loss: 1, parameters: parameters(gradient: [1, .nan]))
            Issue.record("a NaN gradient was admitted")
        } catch let error as TrainingDivergedError {
            #expect(error.quantity == "gradient norm" && error.value.isNaN && error.step == 3)
            #expect(error.description.hasPrefix("training diverged: the gradient norm is nan at step 3"))
        }
        // A clipped norm passed in is used as it is.
        #expect(throws: TrainingDivergedError.self) { try guardian.admit(loss: 1, gradientNorm: .nan, parameters: [] as [Parameter]) }
    }

    @Test("skip: a bad step is skipped with its gradients cleared, counted, and too many in a row stop the run")
    func skip() throws {
        let guardian = NonFiniteGuard(policy: .skip)
        let bad = parameters(gradient: [.infinity])
        #expect(try guardian.admit(loss: .nan, parameters: bad) == false)
        #expect(bad[0].grad == nil || bad[0].grad!.scalars.allSatisfy { $0 == 0 })
        #expect(try guardian.admit(loss: 1, parameters: parameters(gradient: [1])))
        #expect(guardian.skippedSteps == 1 && guardian.steps == 2)
        var thrown: TrainingDivergedError?
        for _ in 0..<NonFiniteGuard.maximumConsecutiveSkips {
            do { _ = try guardian.admit(loss: .nan, parameters: [] as [Parameter]) } catch let error as TrainingDivergedError { thrown = error; break }
        }
        #expect(thrown?.skippedBefore == NonFiniteGuard.maximumConsecutiveSkips)
        #expect(guardian.skippedSteps == NonFiniteGuard.maximumConsecutiveSkips)
    }

    @Test("a module with a non-finite weight is never saved, and a file with one never loads")
    func saveAndLoad() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-nonfinite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lstm = LSTM(inputSize: 3, hiddenSize: 2)
        let url = folder.appendingPathComponent("lstm.safetensors")
        try lstm.saveSafeTensors(to: url)
        var dict = lstm.stateDict()
        var values = dict["bias_hh_l0"]!.scalars
        values[5] = -.infinity
        dict["bias_hh_l0"] = Tensor(shape: dict["bias_hh_l0"]!.shape, scalars: values)
        try lstm.load(stateDict: dict)
        let other = folder.appendingPathComponent("other.safetensors")
        #expect(throws: StateDictError.nonFinite(key: "bias_hh_l0", index: 5, value: -.infinity)) { try lstm.saveSafeTensors(to: other) }
        #expect(!FileManager.default.fileExists(atPath: other.path))
        // Written by another tool: refused on load, and the module keeps its weights.
        try SafeTensorsWriter.write(dict, to: other)
        let fresh = LSTM(inputSize: 3, hiddenSize: 2)
        let before = fresh.stateDict()
        #expect(throws: StateDictError.nonFinite(key: "bias_hh_l0", index: 5, value: -.infinity)) { try fresh.loadSafeTensors(from: other) }
        #expect(fresh.stateDict().mapValues(\.scalars) == before.mapValues(\.scalars))
        // F16 storage of a weight beyond ±65504 is refused, not stored as infinity.
        dict["bias_hh_l0"] = Tensor(shape: [8], scalars: Array(repeating: 1e5, count: 8))
        try lstm.load(stateDict: dict)
        #expect(throws: SafeTensorsError.self) { try lstm.saveSafeTensors(to: other, format: .f16) }
    }
}
