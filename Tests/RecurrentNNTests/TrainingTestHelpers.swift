import Foundation
import Testing
import RecurrentCore
import RecurrentNN

/// A fresh empty folder under the system's temporary folder.
func makeTrainingTemporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("recurrent-training-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Removes a folder made by `makeTrainingTemporaryFolder`.
func removeTrainingTemporaryFolder(_ url: URL) {
    try? FileManager.default.removeItem(at: url)
}

/// Whether two arrays of floats have identical bit patterns.
func bitwiseEqual(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// Records an issue unless every `actual[i]` is within `relative · |expected[i]| + absolute` of `expected[i]`.
func expectClose(_ actual: [Float], _ expected: [Float], relative: Float = 2e-6, absolute: Float = 1e-7,
                 _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(comment): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(Swift.abs(a - e) <= absolute + relative * Swift.abs(e)) {
        Issue.record("\(comment)[\(i)]: \(a), expected \(e)", sourceLocation: sourceLocation)
    }
}

/// A module holding given parameters under given keys.
final class ParameterBag: Module {
    let entries: [(key: String, parameter: Parameter)]
    init(_ entries: [(key: String, parameter: Parameter)]) { self.entries = entries }
    var namedParameters: [(key: String, parameter: Parameter)] { entries }
}

/// Records an issue naming the first differing position unless `actual` and `expected` are bit-identical.
func expectBitwiseEqual(_ actual: [Float], _ expected: [Float], _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(name): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    if let i = actual.indices.first(where: { actual[$0].bitPattern != expected[$0].bitPattern }) {
        Issue.record("\(name) differs first at [\(i)]: \(actual[i]) vs \(expected[i])", sourceLocation: sourceLocation)
    }
}
