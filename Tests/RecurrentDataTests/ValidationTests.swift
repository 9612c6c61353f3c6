import Foundation
import Testing
import RecurrentData

@Suite("Validation")
struct ValidationTests {
    @Test("counts: the range is inclusive and named in the error")
    func counts() throws {
        try Check.count(1, "--beam", in: 1...64)
        try Check.count(64, "--beam", in: 1...64)
        #expect(throws: ValidationFailure("--beam", "0 is out of range; it must be in 1...64")) { try Check.count(0, "--beam", in: 1...64) }
        #expect(throws: ValidationFailure("--beam", "\(Int.max) is out of range; it must be in 1...64")) {
            try Check.count(Int.max, "--beam", in: 1...64)
        }
        #expect(ValidationFailure("--beam", "x").description == "--beam: x")
    }

    @Test("numbers: non-finite values are refused with the value")
    func numbers() throws {
        try Check.number(Float(0.5), "p", in: 0...1)
        for bad in [Float.nan, .infinity, -.infinity, 2] {
            #expect(throws: ValidationFailure.self) { try Check.number(bad, "p", in: 0...1) }
        }
        try Check.fraction(Float(0), "dropout")
        #expect(throws: ValidationFailure("dropout", "1.0 is out of range; it must be in [0.0, 1.0)")) { try Check.fraction(Float(1), "dropout") }
        try Check.learningRate(Float(2e-3), "lr")
        for bad in [Float(0), -1, .nan, .infinity, 1e30] {
            #expect(throws: ValidationFailure.self) { try Check.learningRate(bad, "lr") }
        }
    }

    @Test("parameter counts and weights")
    func parametersAndWeights() throws {
        try Check.parameterCount(Double(Limits.maximumParameters), "m")
        #expect(throws: ValidationFailure.self) { try Check.parameterCount(Double(Limits.maximumParameters) + 1, "m") }
        #expect(throws: ValidationFailure.self) { try Check.parameterCount(.infinity, "m") }
        try Check.finite([1, 2, 3], "w")
        #expect(throws: ValidationFailure("w", "value 1 is nan; weights must be finite")) { try Check.finite([1, .nan, .infinity], "w") }
        try Check.widths(["a": 1, "b": Limits.maximumWidth])
        #expect(throws: ValidationFailure("x.b", "0 is out of range; it must be in 1...\(Limits.maximumWidth)")) {
            try Check.widths(["a": 1, "b": 0], prefix: "x.")
        }
    }
}
