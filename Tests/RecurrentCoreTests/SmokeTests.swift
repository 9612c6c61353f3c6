import Testing
@testable import RecurrentCore

@Test func moduleLoads() { #expect(Bool(true)) }
