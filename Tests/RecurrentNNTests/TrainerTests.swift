import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import RecurrentCore
import RecurrentData
@testable import RecurrentNN

/// A toy task: y = 2·x₀ − x₁ + 0.5 from noisy samples, batches of 8, with a Linear model.
struct ToyRegression {
    let inputs: [[Float]], targets: [Float]
    init(count: Int = 64, seed: UInt64 = 4) {
        var rng = Xoshiro256StarStar(seed: seed)
        inputs = (0..<count).map { _ in [rng.nextFloat() * 2 - 1, rng.nextFloat() * 2 - 1] }
        targets = inputs.map { 2 * $0[0] - $0[1] + 0.5 + 0.01 * (rng.nextFloat() - 0.5) }
    }

    func batches(epoch: Int, seed: UInt64 = 1) -> [[Int]] {
        var rng = Xoshiro256StarStar(seed: seed &+ UInt64(epoch))
        let order = SeededShuffle.shuffled(Array(inputs.indices), using: &rng)
        return stride(from: 0, to: order.count, by: 8).map { Array(order[$0..<Swift.min($0 + 8, order.count)]) }
    }

    func loss(_ model: Linear, _ batch: [Int]) throws -> Tensor {
        let x = Tensor(shape: [batch.count, 2], scalars: batch.flatMap { inputs[$0] })
        let y = Tensor(shape: [batch.count, 1], scalars: batch.map { targets[$0] })
        return (try model(x) - y).squared().mean()
    }

    func meanSquaredError(_ model: Linear) throws -> Double { Double(try loss(model, Array(inputs.indices)).item) }
}

@Suite("Trainer")
struct TrainerTests {
    func makeTrainer(_ task: ToyRegression, settings: TrainerSettings, seed: UInt64 = 0) throws -> (Linear, Trainer<[Int]>) {
        let model = try Linear(2, 1, seed: seed)
        let trainer = Trainer<[Int]>(model: model, optimizer: SGD(parameters: model.trainableParameters, learningRate: 0.1),
                                     settings: settings) { batch in (try task.loss(model, batch), batch.count) }
        return (model, trainer)
    }

    @Test("learns a toy regression; the epoch loss is the count-weighted mean; runs are deterministic")
    func learns() throws {
        let task = ToyRegression()
        var settings = TrainerSettings()
        (settings.epochs, settings.metricMode) = (20, .min)
        let (model, trainer) = try makeTrainer(task, settings: settings)
        let before = try task.meanSquaredError(model)
        let history = try trainer.fit(batches: { task.batches(epoch: $0) }, evaluate: { try task.meanSquaredError(model) })
        let after = try task.meanSquaredError(model)
        #expect(after < 1e-3 && after < before / 100, "MSE \(before) → \(after)")
        #expect(history.epochs.count == 20 && history.evaluations.count == 20 && history.steps == 160)
        #expect(history.epochs.allSatisfy { $0.items == 64 })
        #expect(history.epochs.last!.loss < history.epochs.first!.loss)
        let (other, again) = try makeTrainer(task, settings: settings)
        let repeated = try again.fit(batches: { task.batches(epoch: $0) }, evaluate: { try task.meanSquaredError(other) })
        #expect(repeated.epochs.map(\.loss) == history.epochs.map(\.loss))
        #expect(other.weight.value.scalars == model.weight.value.scalars)
    }

    @Test("keep-best restores the best evaluated weights; early stopping counts evaluations without improvement")
    func keepBestAndEarlyStopping() throws {
        let task = ToyRegression()
        var settings = TrainerSettings()
        (settings.epochs, settings.patience, settings.metricMode) = (10, 2, .max)
        let (model, trainer) = try makeTrainer(task, settings: settings)
        let scripted = [0.5, 0.9, 0.7, 0.6, 0.95]
        var calls = 0, snapshot: [Float] = []
        let hooks = TrainingHooks()
        hooks.didImprove = { _, evaluation in
            if evaluation.metric == 0.9 { snapshot = model.weight.value.scalars }
        }
        trainer.callbacks = [hooks]
        let history = try trainer.fit(batches: { task.batches(epoch: $0) }, evaluate: {
            calls += 1
            return scripted[calls - 1]
        })
        #expect(history.stoppedEarly && history.evaluations.count == 4 && history.epochs.count == 4)
        #expect(history.best?.metric == 0.9 && history.best?.epoch == 2)
        #expect(history.evaluations.map(\.isBest) == [true, true, false, false])
        #expect(model.weight.value.scalars == snapshot)
    }

    @Test("several evaluations per epoch, the moving average scored beside the weights, a plateau schedule")
    func evaluationsAverageAndSchedule() throws {
        let task = ToyRegression()
        var settings = TrainerSettings()
        (settings.epochs, settings.evaluationsPerEpoch, settings.metricMode) = (2, 2, .max)
        let (model, trainer) = try makeTrainer(task, settings: settings)
        trainer.average = ExponentialMovingAverage(parameters: model.parameters, decay: 0.5)
        trainer.scheduler = ReduceOnPlateau(initialLearningRate: 0.1, mode: .max, factor: 0.5, patience: 0, threshold: 0)
        var rounds: [[TrainingHistory.Evaluation]] = []
        let hooks = TrainingHooks()
        hooks.didEvaluate = { _, round, _ in rounds.append(round) }
        trainer.callbacks = [hooks]
        let history = try trainer.fit(batches: { task.batches(epoch: $0) }, evaluate: { 1 })  // never improves after the first
        #expect(rounds.map { $0.map(\.epoch) } == [[0.5, 0.5], [1, 1], [1.5, 1.5], [2, 2]])
        #expect(rounds.allSatisfy { $0.map(\.averaged) == [false, true] })
        #expect(history.evaluations.filter(\.isBest).count == 1)
        // Halved after each of the three rounds without improvement, applied from the next step on.
        #expect(trainer.optimizer.learningRate == 0.1 / 4 && trainer.scheduler!.learningRate == 0.1 / 8)
    }

    @Test("a non-finite loss stops the run; an epoch without batches and bad settings are errors")
    func errors() throws {
        let task = ToyRegression()
        let (model, _) = try makeTrainer(task, settings: .init())
        var step = 0
        let diverging = Trainer<[Int]>(model: model, optimizer: SGD(parameters: model.parameters, learningRate: 0.1)) { batch in
            step += 1
            let loss = try task.loss(model, batch)
            return (step == 3 ? loss * Float.nan : loss, batch.count)
        }
        do {
            _ = try diverging.fit(batches: { task.batches(epoch: $0) })
            Issue.record("a NaN loss was trained on")
        } catch let error as TrainingDivergedError {
            #expect(error.step == 3 && error.quantity == "loss" && error.value.isNaN)
        }
        #expect(throws: ValidationFailure("training data", "epoch 1 has no batches")) { _ = try diverging.fit(batches: { _ in [] }) }
        var settings = TrainerSettings()
        settings.epochs = 0
        let (_, invalid) = try makeTrainer(task, settings: settings)
        #expect(throws: ValidationFailure.self) { _ = try invalid.fit(batches: { task.batches(epoch: $0) }) }
    }
}

@Suite("Learning curve")
struct LearningCurveTests {
    @Test("the SVG has one loss point per epoch and one metric point per evaluation, and is well-formed XML")
    func svg() throws {
        var history = TrainingHistory()
        history.epochs = (1...3).map { TrainingHistory.Epoch(epoch: $0, loss: 2.0 / Double($0), seconds: 1, items: 10) }
        history.evaluations = [0.5, 1, 1.5, 2, 2.5, 3].enumerated().map {
            TrainingHistory.Evaluation(epoch: $0.element, metric: 0.5 + 0.05 * Double($0.offset), averaged: false, isBest: true,
                                       learningRate: 1e-3, seconds: 0)
        }
        history.bestMetric = 0.75
        let text = LearningCurve.svg(history, metric: "dev accuracy", title: "a <test> & more")
        _ = try XMLDocument(xmlString: text)  // well-formed
        let counts = text.split(separator: "\n").filter { $0.hasPrefix("<polyline") }.map { line in
            line.split(separator: "\"")[3].split(separator: " ").count  // class="…" points="…"
        }
        #expect(counts == [3, 6])
        #expect(text.contains("best 75.00%") && text.contains("a &lt;test&gt; &amp; more"))
    }
}

@Suite("Trainer.predict and ClassificationMetrics")
struct PredictAndMetricsTests {
    @Test("predict runs in eval mode without gradients and restores the mode")
    func predict() throws {
        let dropout = try Dropout(0.5)
        let model = Sequential(try Linear(2, 2), dropout)
        let trainer = Trainer<Tensor>(model: model, optimizer: SGD(parameters: model.parameters, learningRate: 0.1)) { x in
            (try model(x).sum(), 1)
        }
        model.train()
        let outputs = try trainer.predict([Tensor.ones([3, 2]), Tensor.ones([1, 2])]) { x in
            #expect(!dropout.isTraining)
            return try model(x)
        }
        #expect(outputs.map(\.shape) == [[3, 2], [1, 2]] && !outputs[0].requiresGrad)
        #expect(dropout.isTraining)
    }

    @Test("per-class precision, recall, F1 and confusions")
    func metrics() {
        var metrics = ClassificationMetrics(itemName: "sentences", className: "language")
        metrics.add(gold: ["en", "fr", "fr", "en"], predicted: ["en", "en", "fr", "en"])
        #expect(metrics.accuracy == 0.75)
        let en = metrics.tagScores.first { $0.tag == "en" }!
        #expect(en.precision == 2.0 / 3 && en.recall == 1 && abs(en.f1 - 0.8) < 1e-12)
        #expect(metrics.confusions() == [.init(gold: "fr", predicted: "en", count: 1)])
        #expect(metrics.report().hasPrefix("accuracy 75.00% (3 of 4 sentences)\n\nlanguage"))
    }
}
