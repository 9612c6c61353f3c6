import Foundation
import Testing
import RecurrentCore
import RecurrentNN

/// The tiny problem of the reference numbers: `L = Σ a ⊙ p ⊙ p + b ⊙ p` for a 2×2 parameter, so
/// `∂L/∂p = 2a ⊙ p + b`. Expected values after each of 3 steps come from torch 2.x (`torch.optim`, CPU,
/// float32) on the same problem.
private let a = Tensor([[1.0, 2.0], [0.5, 3.0]])
private let b = Tensor([[0.1, -0.3], [0.2, 1.0]])
private func makeParameter() -> Parameter { Parameter(Tensor([[0.5, -1.5], [2.0, 0.0]])) }

private func trajectory(steps: Int = 3, _ make: ([Parameter]) -> Optimizer) -> [[Float]] {
    let p = makeParameter()
    let optimizer = make([p])
    var result: [[Float]] = []
    for _ in 0..<steps {
        optimizer.zeroGrad()
        (p.value * p.value * a + p.value * b).sum().backward()
        optimizer.step()
        result.append(p.value.scalars)
    }
    return result
}

private func check(_ actual: [[Float]], _ expected: [[Float]], _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for (step, (row, want)) in zip(actual, expected).enumerated() {
        expectClose(row, want, "\(name) step \(step + 1)", sourceLocation: sourceLocation)
    }
}

@Suite("Optimizers against torch.optim")
struct OptimizerTests {
    @Test("SGD, plain: p ← p − lr·g")
    func sgd() {
        // By hand: g = 2ap + b = [1.1, -6.3, 2.2, 1.0] → p − 0.1 g = [0.39, -0.87, 1.78, -0.1].
        check(trajectory { SGD(parameters: $0, learningRate: 0.1) }, [
            [0.38999998569488525, -0.8699999451637268, 1.7799999713897705, -0.10000000149011612],
            [0.3019999861717224, -0.49199995398521423, 1.5820000171661377, -0.14000000059604645],
            [0.23159998655319214, -0.2651999592781067, 1.4038000106811523, -0.15600000321865082],
        ], "SGD")
    }

    @Test("SGD with momentum, dampening and weight decay")
    func sgdMomentum() {
        check(trajectory { SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, dampening: 0.25, weightDecay: 0.01) }, [
            [0.3894999921321869, -0.8684999942779541, 1.777999997138977, -0.10000000149011612],
            [0.2238328754901886, -0.016448628157377243, 1.4285165071487427, -0.21992500126361847],
            [0.03348967060446739, 0.7778444886207581, 0.9907712340354919, -0.30372631549835205],
        ], "SGD momentum")
    }

    @Test("SGD with Nesterov momentum and weight decay")
    func sgdNesterov() {
        check(trajectory { SGD(parameters: $0, learningRate: 0.05, momentum: 0.8, weightDecay: 0.1, nesterov: true) }, [
            [0.39649999141693115, -0.919499933719635, 1.784000039100647, -0.08999999612569809],
            [0.2757614850997925, -0.3468044400215149, 1.5125839710235596, -0.16258999705314636],
            [0.15535776317119598, 0.1035248264670372, 1.2142013311386108, -0.20336009562015533],
        ], "SGD Nesterov")
    }

    @Test("Adam, defaults: the first step moves every weight by lr (bias correction)")
    func adam() {
        // By hand, step 1: m̂ = g, v̂ = g², so p ← p − lr · g / (|g| + ε) = p − 0.1 · sign(g).
        check(trajectory { Adam(parameters: $0, learningRate: 0.1) }, [
            [0.4000000059604645, -1.399999976158142, 1.899999976158142, -0.09999998658895493],
            [0.30101507902145386, -1.3002245426177979, 1.8001482486724854, -0.18985751271247864],
            [0.20411378145217896, -1.200846552848816, 1.7005537748336792, -0.2505515515804291],
        ], "Adam")
    }

    @Test("Adam with an L2 penalty, other betas and epsilon")
    func adamL2() {
        check(trajectory { Adam(parameters: $0, learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1) }, [
            [0.4500000476837158, -1.4500000476837158, 1.9500000476837158, -0.04999995231628418],
            [0.4003107249736786, -1.4000922441482544, 1.9000649452209473, -0.09826799482107162],
            [0.3511805534362793, -1.3503410816192627, 1.8502391576766968, -0.1425841599702835],
        ], "Adam L2")
    }

    @Test("Adam with AMSGrad")
    func adamAMSGrad() {
        check(trajectory { Adam(parameters: $0, learningRate: 0.1, weightDecay: 0.01, amsgrad: true) }, [
            [0.4000000059604645, -1.399999976158142, 1.899999976158142, -0.09999998658895493],
            [0.30101582407951355, -1.3002245426177979, 1.800148367881775, -0.1898193657398224],
            [0.2041170299053192, -1.2008466720581055, 1.700554370880127, -0.25037065148353577],
        ], "Adam AMSGrad")
    }

    @Test("AdamW: decoupled weight decay shrinks the weights before the Adam step")
    func adamW() {
        // By hand, step 1: p · (1 − 0.1 · 0.1) − 0.1 · sign(g) = [0.395, -1.385, 1.88, -0.1].
        check(trajectory { AdamW(parameters: $0, learningRate: 0.1, weightDecay: 0.1) }, [
            [0.39500001072883606, -1.3849999904632568, 1.8799999952316284, -0.09999998658895493],
            [0.2921493649482727, -1.2714191675186157, 1.7613853216171265, -0.18885751068592072],
            [0.1925833821296692, -1.159450888633728, 1.644278645515442, -0.24805866181850433],
        ], "AdamW")
    }

    @Test("AdamW with AMSGrad and β₁ ≥ 0.5 (the other branch of lerp)")
    func adamWAMSGrad() {
        check(trajectory { AdamW(parameters: $0, learningRate: 0.02, beta1: 0.5, beta2: 0.9, weightDecay: 0.5, amsgrad: true) }, [
            [0.4749999940395355, -1.465000033378601, 1.9600000381469727, -0.019999999552965164],
            [0.450386106967926, -1.4304144382476807, 1.920452356338501, -0.039400406181812286],
            [0.4262363314628601, -1.3962757587432861, 1.8813822269439697, -0.05792301148176193],
        ], "AdamW AMSGrad")
    }

    @Test("parameters without a gradient are skipped and their step count does not advance")
    func skipsParametersWithoutGradients() {
        let used = makeParameter(), unused = Parameter(Tensor([1, 2]))
        let adam = Adam(parameters: [used, unused], learningRate: 0.1)
        (used.value * used.value * a + used.value * b).sum().backward()
        adam.step()
        #expect(adam.stepCounts == [1, 0])
        #expect(unused.value.scalars == [1, 2])
        #expect(adam.firstMoments[1].isEmpty)
        let state = adam.exportState()
        #expect(state.counters == ["state.0.step": 1])
        #expect(Set(state.tensors.keys) == ["state.0.exp_avg", "state.0.exp_avg_sq"])
    }

    @Test("the learning rate can be changed between steps", arguments: [false, true])
    func settableLearningRate(decoupled: Bool) {
        let p = makeParameter()
        let optimizer: Optimizer = decoupled ? AdamW(parameters: [p], learningRate: 0.1, weightDecay: 0) : SGD(parameters: [p], learningRate: 0.1)
        optimizer.learningRate = 0
        (p.value * p.value * a + p.value * b).sum().backward()
        optimizer.step()
        #expect(p.value.scalars == [0.5, -1.5, 2.0, 0.0])
    }

    @Test("state export and import: a rebuilt optimizer continues bit for bit", arguments: ["SGD", "Adam", "AdamW", "AMSGrad"])
    func stateRoundTrip(kind: String) throws {
        func make(_ parameters: [Parameter]) -> Optimizer {
            switch kind {
            case "SGD": return SGD(parameters: parameters, learningRate: 0.1, momentum: 0.9, nesterov: true)
            case "Adam": return Adam(parameters: parameters, learningRate: 0.05, weightDecay: 0.01)
            case "AdamW": return AdamW(parameters: parameters, learningRate: 0.05)
            default: return Adam(parameters: parameters, learningRate: 0.05, amsgrad: true)
            }
        }
        func train(_ p: Parameter, _ optimizer: Optimizer, steps: Int) {
            for _ in 0..<steps {
                optimizer.zeroGrad()
                (p.value * p.value * a + p.value * b).sum().backward()
                optimizer.step()
            }
        }
        let straight = makeParameter()
        let straightOptimizer = make([straight])
        train(straight, straightOptimizer, steps: 6)

        let first = makeParameter()
        let firstOptimizer = make([first])
        train(first, firstOptimizer, steps: 3)
        firstOptimizer.learningRate *= 1  // unchanged, but set through the protocol
        let folder = try makeTrainingTemporaryFolder()
        defer { removeTrainingTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("optimizer.safetensors")
        try firstOptimizer.exportState().write(to: url)

        let second = Parameter(first.value.detached())
        let secondOptimizer = make([second])
        try secondOptimizer.importState(try OptimizerState(contentsOf: url))
        train(second, secondOptimizer, steps: 3)
        expectBitwiseEqual(second.value.scalars, straight.value.scalars, "values")
    }

    @Test("importing state of another kind, other settings or other shapes fails with a clear message and changes nothing")
    func importErrors() throws {
        let p = makeParameter()
        let adam = Adam(parameters: [p], learningRate: 0.1)
        (p.value * p.value * a + p.value * b).sum().backward()
        adam.step()
        let state = adam.exportState()

        let sgd = SGD(parameters: [makeParameter()], learningRate: 0.1)
        #expect(throws: OptimizerStateError.kindMismatch(expected: "SGD", found: "Adam")) { try sgd.importState(state) }
        let otherBetas = Adam(parameters: [makeParameter()], learningRate: 0.1, beta2: 0.99)
        do {
            try otherBetas.importState(state)
            Issue.record("expected a mismatch")
        } catch {
            #expect("\(error)" == "optimizer state has beta2 = \(Double(Float(0.999))), but the optimizer has \(Double(Float(0.99)))")
        }
        let otherShape = Adam(parameters: [Parameter(Tensor([1, 2, 3]))], learningRate: 0.7)
        #expect(throws: OptimizerStateError.shapeMismatch(entry: "state.0.exp_avg", expected: [3], found: [2, 2])) {
            try otherShape.importState(state)
        }
        #expect(otherShape.learningRate == 0.7 && otherShape.stepCounts == [0])
        let fewer = Adam(parameters: [], learningRate: 0.1)
        #expect(throws: OptimizerStateError.parameterIndexOutOfRange(entry: "state.0.exp_avg", parameterCount: 0)) {
            try fewer.importState(state)
        }
        var incomplete = state
        incomplete.tensors["state.0.exp_avg_sq"] = nil
        #expect(throws: OptimizerStateError.incompleteState(parameter: 0, missing: "exp_avg_sq")) {
            try Adam(parameters: [makeParameter()], learningRate: 0.1).importState(incomplete)
        }
        var stray = state
        stray.tensors["state.0.momentum_buffer"] = Tensor([[0, 0], [0, 0]])
        #expect(throws: OptimizerStateError.unexpectedEntry("state.0.momentum_buffer")) {
            try Adam(parameters: [makeParameter()], learningRate: 0.1).importState(stray)
        }
    }

    @Test("a safetensors file that is not optimizer state is rejected")
    func notAnOptimizerFile() throws {
        let folder = try makeTrainingTemporaryFolder()
        defer { removeTrainingTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        try ParameterBag([("w", makeParameter())]).saveSafeTensors(to: url)
        #expect(throws: OptimizerStateError.self) { try OptimizerState(contentsOf: url) }
    }

    @Test("optimizer state files use PyTorch's names and keep the hyper-parameters exactly")
    func stateFileLayout() throws {
        let p = makeParameter()
        let sgd = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, dampening: 0.1)
        (p.value * p.value * a + p.value * b).sum().backward()
        sgd.step()
        let folder = try makeTrainingTemporaryFolder()
        defer { removeTrainingTemporaryFolder(folder) }
        let url = folder.appendingPathComponent("sgd.safetensors")
        try sgd.exportState().write(to: url)
        let back = try OptimizerState(contentsOf: url)
        #expect(back.kind == "SGD")
        #expect(back.hyperparameters == ["lr": Double(Float(0.1)), "momentum": Double(Float(0.9)), "dampening": Double(Float(0.1)),
                                         "weight_decay": 0, "nesterov": 0])
        #expect(back.learningRate == 0.1)
        #expect(Array(back.tensors.keys) == ["state.0.momentum_buffer"])
        expectBitwiseEqual(back.tensors["state.0.momentum_buffer"]!.scalars, sgd.velocities[0], "momentum buffer")
    }
}
