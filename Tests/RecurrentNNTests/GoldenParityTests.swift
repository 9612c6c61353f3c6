import Foundation
import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// Every golden case of a module the library implements, by file name.
func goldenCases(modules: Set<String>) -> [String] {
    guard let folder = SharedData.require("golden") else { return [] }
    let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return files.filter { $0.hasSuffix(".safetensors") }.sorted().filter { file in
        guard let golden = try? GoldenCase(contentsOf: folder.appendingPathComponent(file)) else { return true }
        return modules.contains(golden.module)
    }
}

@Suite struct GoldenParityTests {
    static let recurrentModules: Set<String> = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

    @Test func everyRecurrentModuleHasGoldenCases() {
        guard SharedData.require("golden") != nil else { return }
        #expect(goldenCases(modules: Self.recurrentModules).count >= 12)
    }

    @Test(arguments: goldenCases(modules: recurrentModules))
    func matchesPyTorch(file: String) throws {
        let url = SharedData.root.appendingPathComponent("golden").appendingPathComponent(file)
        try expectParity(url)
        #expect(try Parity.run(url).entries.contains { $0.name.hasPrefix("grad.param.") })
    }

    @Test func aStateDictSavedAsSafeTensorsLoadsBackExactly() throws {
        let net = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true, projectionSize: 2, seed: 5)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try net.saveSafeTensors(to: url)
        let copy = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true, projectionSize: 2, seed: 6)
        try copy.loadSafeTensors(from: url)
        for (a, b) in zip(net.namedParameters, copy.namedParameters) {
            #expect(a.key == b.key && a.parameter.value.scalars == b.parameter.value.scalars)
        }
        let wrong = GRU(inputSize: 3, hiddenSize: 4)
        #expect(throws: StateDictError.self) { try wrong.loadSafeTensors(from: url) }
    }
}
