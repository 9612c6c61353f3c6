import Testing
@testable import RecurrentKernels

@Test func moduleLoads() { #expect(Bool(true)) }
