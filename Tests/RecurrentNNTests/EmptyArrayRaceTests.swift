import Dispatch
import Testing
@testable import RecurrentCore
@testable import RecurrentNN

/// `Array(unsafeUninitializedCapacity: 0)` stores the count into the standard library's shared empty-array
/// singleton; threads doing that at once race (ThreadSanitizer reported it from the fused recurrent layers
/// of two tests running in parallel). The builders of empty arrays must not do it: this test makes empty
/// ones on many threads at once, so the ThreadSanitizer pass (scripts/sanitize.sh thread) fails if one does.
@Suite struct EmptyArrayRaceTests {
    @Test func emptyValuesAreBuiltOnManyThreadsAtOnce() {
        let results = (0..<16).map { _ in [Int](repeating: -1, count: 2) }
        nonisolated(unsafe) var counts = results
        counts.withUnsafeMutableBufferPointer { counts in
            nonisolated(unsafe) let counts = counts
            DispatchQueue.concurrentPerform(iterations: 16) { i in
                for _ in 0..<200 {
                    let values = uninitializedValues(count: 0) { _ in }
                    let tensor = Tensor.build([0, 3]) { buffer in precondition(buffer.count == 0) }
                    counts[i] = [values.count, tensor.scalars.count]
                }
            }
        }
        #expect(counts.allSatisfy { $0 == [0, 0] })
        // Non-empty ones are unchanged: exactly the values written.
        #expect(uninitializedValues(count: 3) { p in for i in 0..<3 { p[i] = Float(i) } } == [0, 1, 2])
        #expect(Tensor.build([2]) { b in b[0] = 5; b[1] = 6 }.scalars == [5, 6])
    }
}
