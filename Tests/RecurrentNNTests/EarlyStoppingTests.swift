import Foundation
import Testing
import RecurrentNN

@Suite("Early stopping")
struct EarlyStoppingTests {
    @Test("max mode: stops after patience evaluations without improvement")
    func maxMode() {
        let stopper = EarlyStopping(mode: .max, patience: 2)
        #expect(stopper.record(0.80))
        #expect(stopper.record(0.85))
        #expect(!stopper.record(0.85))  // equal is not better
        #expect(!stopper.shouldStop)
        #expect(stopper.record(0.86))
        #expect(!stopper.record(0.70))
        #expect(!stopper.record(.nan))
        #expect(stopper.shouldStop)
        #expect(stopper.best == 0.86 && stopper.bestIndex == 3 && stopper.count == 6 && stopper.badCount == 2)
    }

    @Test("min mode with a minimum delta")
    func minMode() {
        let stopper = EarlyStopping(mode: .min, patience: 1, minimumDelta: 0.1)
        #expect(stopper.record(1.0))
        #expect(!stopper.record(0.95))  // within the delta
        #expect(stopper.shouldStop)
        #expect(stopper.best == 1.0)
    }

    @Test("state round trip through JSON; mismatched settings are rejected")
    func state() throws {
        let stopper = EarlyStopping(mode: .min, patience: 3)
        stopper.record(2)
        stopper.record(3)
        let data = try JSONEncoder().encode(stopper.state)
        let restored = EarlyStopping(mode: .min, patience: 3)
        try restored.restore(try JSONDecoder().decode(EarlyStopping.State.self, from: data))
        #expect(restored.state == stopper.state)
        restored.record(4)
        restored.record(5)
        #expect(restored.shouldStop)
        #expect(throws: SchedulerStateError.self) { try EarlyStopping(mode: .max, patience: 3).restore(stopper.state) }
        #expect(throws: SchedulerStateError.self) { try EarlyStopping(mode: .min, patience: 4).restore(stopper.state) }
    }
}
