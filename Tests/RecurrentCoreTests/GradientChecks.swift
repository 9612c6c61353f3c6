import Testing
import RecurrentCore
import TestSupport

/// Asserts that a finite-difference check of `f` finds no mismatch.
func expectGradientsMatch(_ inputs: [Tensor], differentiating: [Int]? = nil, tolerance: Double = 2e-3,
                          sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor) {
    let mismatches = GradientCheck.mismatches(inputs, differentiating: differentiating, tolerance: tolerance, f)
    #expect(mismatches.isEmpty, "gradient mismatches: \(mismatches.prefix(5))", sourceLocation: sourceLocation)
}
