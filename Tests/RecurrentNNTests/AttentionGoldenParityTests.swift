import Foundation
import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// Golden cases from PyTorch for the attention layers and the cross-entropy loss (see GoldenParityTests for
/// the recurrent ones). Extra case folders, e.g. written by `make_golden.py OUT 1234 hidden`, are checked too
/// when `RECURRENT_EXTRA_GOLDEN` names them (separated by `:`).
@Suite struct AttentionGoldenParityTests {
    static let modules: Set<String> = ["scaled_dot_product_attention", "MultiheadAttention", "cross_entropy"]

    /// Extra case files of these modules, as full paths.
    static var extraCases: [String] {
        let folders = (ProcessInfo.processInfo.environment["RECURRENT_EXTRA_GOLDEN"] ?? "").split(separator: ":").map(String.init)
        return folders.flatMap { folder -> [String] in
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return files.filter { $0.hasSuffix(".safetensors") }.sorted().map { folder + "/" + $0 }.filter { path in
                (try? GoldenCase(contentsOf: URL(fileURLWithPath: path))).map { modules.contains($0.module) } ?? true
            }
        }
    }

    @Test func everyAttentionModuleHasGoldenCases() throws {
        guard let folder = SharedData.require("golden") else { return }
        let modules = try goldenCases(modules: Self.modules).map { try GoldenCase(contentsOf: folder.appendingPathComponent($0)).module }
        #expect(Set(modules) == Self.modules)
        #expect(modules.count >= 7)
    }

    @Test(arguments: goldenCases(modules: modules))
    func matchesPyTorch(file: String) throws {
        try expectParity(SharedData.root.appendingPathComponent("golden").appendingPathComponent(file))
    }

    @Test(arguments: extraCases)
    func extraCaseMatchesPyTorch(path: String) throws {
        try expectParity(URL(fileURLWithPath: path))
    }
}

/// Runs a golden case and expects every output and gradient in the file to have been compared (exactly
/// the keys the library computes), at least one gradient among them, each within the tolerance; prints the
/// worst error measured.
func expectParity(_ url: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let report = try Parity.run(url)
    let golden = try GoldenCase(contentsOf: url)
    #expect(report.entries.map(\.name) == golden.expectationKeys && !report.entries.isEmpty, sourceLocation: sourceLocation)
    #expect(report.entries.contains { $0.name.hasPrefix("grad.") }, sourceLocation: sourceLocation)
    for entry in report.entries {
        #expect(entry.passes(report.tolerance), "\(golden.name): \(entry.name) off by \(entry.maxAbsoluteError)",
                sourceLocation: sourceLocation)
    }
    if let worst = report.worst {
        print("\(golden.name): worst \(worst.name) scaled \(worst.maxScaledError), abs \(worst.maxAbsoluteError)")
    }
}
