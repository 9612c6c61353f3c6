import Foundation
import Testing
import RecurrentCore
import RecurrentNN

/// The learning rates a schedule gives for `count` steps (read before each `step()`).
private func rates(_ schedule: LearningRateScheduler, _ count: Int) -> [Float] {
    var result: [Float] = []
    for _ in 0..<count {
        result.append(schedule.learningRate)
        schedule.step()
    }
    return result
}

/// Expected rates from `torch.optim.lr_scheduler` (Python floats), as Float.
private func floats(_ values: [Double]) -> [Float] { values.map { Float($0) } }

@Suite("Learning-rate schedules")
struct ScheduleTests {
    @Test("step decay: ×γ every stepSize steps (StepLR)")
    func stepDecay() {
        let schedule = StepDecay(initialLearningRate: 0.1, stepSize: 3, gamma: 0.5)
        #expect(rates(schedule, 8) == floats([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]))
        #expect(schedule.learningRate(atStep: 300) == Float(0.1 * pow(0.5, 100.0)))
    }

    @Test("step decay at milestones (MultiStepLR)")
    func milestones() {
        let schedule = StepDecay(initialLearningRate: 0.1, milestones: [2, 5], gamma: 0.1)
        expectClose(rates(schedule, 7), floats([0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001]), relative: 1e-7)
    }

    @Test("cosine annealing follows the closed form, past T_max too (CosineAnnealingLR)")
    func cosine() {
        let schedule = CosineAnnealing(initialLearningRate: 0.1, period: 4, minimumLearningRate: 0.01)
        expectClose(rates(schedule, 9), floats([0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605363, 0.01,
                                                0.023180194846605363, 0.05500000000000002, 0.08681980515339469, 0.10000000000000006]),
                    relative: 1e-6)
        let holding = CosineAnnealing(initialLearningRate: 0.1, period: 4, minimumLearningRate: 0.01, holdsMinimum: true)
        #expect(rates(holding, 8).suffix(4) == [0.01, 0.01, 0.01, 0.01])
    }

    @Test("sequential warm-up, then cosine from its own step 0 (LinearLR + SequentialLR)")
    func sequentialWarmup() {
        let schedule = LinearWarmup(warmupSteps: 3, startFactor: 0.25,
                                    wrapping: CosineAnnealing(initialLearningRate: 0.1, period: 4))
        expectClose(rates(schedule, 9), floats([0.025, 0.05, 0.07500000000000001, 0.1, 0.08535533905932738, 0.05,
                                                0.014644660940672627, 0.0, 0.014644660940672622]), relative: 1e-6, absolute: 1e-9)
    }

    @Test("chained warm-up multiplies the wrapped schedule (LinearLR + StepLR in ChainedScheduler)")
    func chainedWarmup() {
        let schedule = LinearWarmup(warmupSteps: 3, startFactor: 0.25, mode: .chained,
                                    wrapping: StepDecay(initialLearningRate: 0.1, stepSize: 2, gamma: 0.5))
        expectClose(rates(schedule, 7), floats([0.025, 0.05, 0.037500000000000006, 0.05, 0.025, 0.025, 0.0125]), relative: 1e-6)
    }

    @Test("warm-up from zero over a constant rate")
    func warmupFromZero() {
        let schedule = LinearWarmup(warmupSteps: 4, wrapping: ConstantLearningRate(1))
        #expect(rates(schedule, 6) == [0, 0.25, 0.5, 0.75, 1, 1])
    }

    @Test("apply(to:) sets the optimizer's learning rate")
    func apply() {
        let optimizer = SGD(parameters: [], learningRate: 1)
        let schedule = StepDecay(initialLearningRate: 0.5, stepSize: 1, gamma: 0.5)
        schedule.step()
        schedule.apply(to: optimizer)
        #expect(optimizer.learningRate == 0.25)
    }

    @Test("state round trip: an identically built schedule continues with the same rates",
          arguments: ["step", "milestones", "cosine", "warmup", "plateau-warmup"])
    func stateRoundTrip(kind: String) throws {
        func make() -> LearningRateScheduler {
            switch kind {
            case "step": return StepDecay(initialLearningRate: 0.3, stepSize: 2, gamma: 0.7)
            case "milestones": return StepDecay(initialLearningRate: 0.3, milestones: [1, 4, 6])
            case "cosine": return CosineAnnealing(initialLearningRate: 0.3, period: 5, minimumLearningRate: 0.001)
            case "warmup": return LinearWarmup(warmupSteps: 3, startFactor: 0.1, wrapping: CosineAnnealing(initialLearningRate: 1, period: 7))
            default: return LinearWarmup(warmupSteps: 2, mode: .chained, wrapping: ReduceOnPlateau(initialLearningRate: 1, factor: 0.5, patience: 0))
            }
        }
        let metrics: [Double] = [5, 4, 4.5, 4.6, 3, 3.5, 3.6, 3.7]
        let straight = make()
        var expected: [Float] = []
        for metric in metrics {
            expected.append(straight.learningRate)
            straight.step()
            straight.observe(metric: metric)
        }
        let first = make()
        var actual: [Float] = []
        for metric in metrics.prefix(4) {
            actual.append(first.learningRate)
            first.step()
            first.observe(metric: metric)
        }
        // Through JSON, as in a checkpoint.
        let data = try JSONEncoder().encode(first.exportState())
        let second = make()
        try second.importState(try JSONDecoder().decode(SchedulerState.self, from: data))
        #expect(second.exportState() == first.exportState())
        for metric in metrics.dropFirst(4) {
            actual.append(second.learningRate)
            second.step()
            second.observe(metric: metric)
        }
        #expect(actual == expected)
    }

    @Test("importing the state of another schedule or other settings fails and changes nothing")
    func importErrors() {
        let cosine = CosineAnnealing(initialLearningRate: 0.1, period: 4)
        let step = StepDecay(initialLearningRate: 0.1, stepSize: 3)
        step.step()
        #expect(throws: SchedulerStateError.kindMismatch(expected: "CosineAnnealing", found: "StepDecay")) {
            try cosine.importState(step.exportState())
        }
        let other = StepDecay(initialLearningRate: 0.1, stepSize: 4)
        #expect(throws: SchedulerStateError.settingMismatch(kind: "StepDecay", name: "step_size", current: 4, saved: 3)) {
            try other.importState(step.exportState())
        }
        #expect(other.stepCount == 0)
        var broken = step.exportState()
        broken.values["step"] = -1
        #expect(throws: SchedulerStateError.self) { try StepDecay(initialLearningRate: 0.1, stepSize: 3).importState(broken) }
        let warmup = LinearWarmup(warmupSteps: 2, wrapping: ConstantLearningRate(1))
        var noInner = warmup.exportState()
        noInner.inner = []
        #expect(throws: SchedulerStateError.innerStateCount(kind: "LinearWarmup", found: 0)) { try warmup.importState(noInner) }
        #expect("\(SchedulerStateError.settingMismatch(kind: "StepDecay", name: "gamma", current: 0.5, saved: 0.1))"
                == "StepDecay state has gamma = 0.1, but the schedule has 0.5")
    }
}
