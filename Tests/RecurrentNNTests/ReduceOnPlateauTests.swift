import Foundation
import Testing
import RecurrentNN

@Suite("Reduce on plateau")
struct ReduceOnPlateauTests {
    @Test("min mode, relative threshold, patience, cooldown and minimum, as ReduceLROnPlateau")
    func minMode() {
        let schedule = ReduceOnPlateau(initialLearningRate: 1, mode: .min, factor: 0.5, patience: 1, threshold: 0.1,
                                       cooldown: 1, minimumLearningRate: 0.2)
        let metrics: [Double] = [10, 9.5, 9.4, 9.3, 5, 5, 5, 5, 5, 5, 5, 1]
        // (lr, num_bad_epochs, cooldown_counter, best) after each metric, from torch.
        let expected: [(Double, Int, Int, Double)] = [(1.0, 0, 0, 10.0), (1.0, 1, 0, 10.0), (0.5, 0, 1, 10.0), (0.5, 0, 0, 10.0),
                                                      (0.5, 0, 0, 5.0), (0.5, 1, 0, 5.0), (0.25, 0, 1, 5.0), (0.25, 0, 0, 5.0),
                                                      (0.25, 1, 0, 5.0), (0.2, 0, 1, 5.0), (0.2, 0, 0, 5.0), (0.2, 0, 0, 1.0)]
        for (metric, want) in zip(metrics, expected) {
            schedule.observe(metric: metric)
            #expect(schedule.currentLearningRate == want.0 && schedule.badObservations == want.1)
            #expect(schedule.cooldownRemaining == want.2 && schedule.best == want.3)
        }
        #expect(schedule.learningRate == 0.2)
        #expect(schedule.observationCount == metrics.count)
    }

    @Test("max mode, absolute threshold, zero patience; NaN counts as no improvement")
    func maxMode() {
        let schedule = ReduceOnPlateau(initialLearningRate: 1, mode: .max, factor: 0.1, patience: 0, threshold: 0.5, thresholdMode: .absolute)
        let metrics: [Double] = [1, 1.4, 2, .nan, 2.6, 2.6]
        let expected: [(Double, Double)] = [(1.0, 1.0), (0.1, 1.0), (0.1, 2.0), (0.010000000000000002, 2.0),
                                            (0.010000000000000002, 2.6), (0.0010000000000000002, 2.6)]
        for (metric, want) in zip(metrics, expected) {
            schedule.observe(metric: metric)
            #expect(schedule.currentLearningRate == want.0 && schedule.best == want.1)
        }
    }

    @Test("step() alone never changes the rate; reductions below epsilon are skipped")
    func stepAndEpsilon() {
        let schedule = ReduceOnPlateau(initialLearningRate: 1e-9, factor: 0.5, patience: 0)
        for _ in 0..<5 { schedule.step() }
        #expect(schedule.learningRate == 1e-9)
        schedule.observe(metric: 1)
        schedule.observe(metric: 2)  // bad → would halve 1e-9, a change below eps = 1e-8
        #expect(schedule.currentLearningRate == Double(Float(1e-9)))
    }

    @Test("state with an infinite best round-trips through checkpoint JSON")
    func stateBeforeFirstMetric() throws {
        let schedule = ReduceOnPlateau(initialLearningRate: 0.1, mode: .max)
        let state = schedule.exportState()
        #expect(state.values["best"] == -.infinity)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let back = try decoder.decode(SchedulerState.self, from: try encoder.encode(state))
        let other = ReduceOnPlateau(initialLearningRate: 0.1, mode: .max)
        try other.importState(back)
        #expect(other.best == -.infinity)
        #expect(throws: SchedulerStateError.self) { try ReduceOnPlateau(initialLearningRate: 0.1, mode: .min).importState(back) }
    }
}
