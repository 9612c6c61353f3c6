import Testing
@testable import RecurrentData

@Test func moduleLoads() { #expect(Bool(true)) }
