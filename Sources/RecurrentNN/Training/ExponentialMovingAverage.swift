import Foundation
import RecurrentCore

/// An exponential moving average of parameters (Polyak averaging, as `torch.optim.swa_utils.AveragedModel`
/// with `get_ema_multi_avg_fn(decay)`): it starts as a copy of the values, and each `update()` — called
/// after `optimizer.step()` — does
/// ```
/// average ← decay · average + (1 − decay) · value
/// ```
/// The average of the last few thousand steps usually generalizes better than the last step's weights;
/// evaluate and save it with `withAveragedValues(_:)`.
public final class ExponentialMovingAverage {
    /// The averaged parameters.
    public let parameters: [Parameter]
    /// The weight of the old average in each update, in [0, 1).
    public let decay: Float
    /// The averaged values, one row-major array per parameter, shaped like it.
    public private(set) var averages: [[Float]]
    /// Updates so far.
    public private(set) var updateCount = 0

    /// Starts the average at the parameters' current values.
    ///
    /// - Parameters:
    ///   - parameters: what to average.
    ///   - decay: in [0, 1); 0.999 averages over roughly the last thousand updates.
    public init(parameters: [Parameter], decay: Float) {
        precondition(decay >= 0 && decay < 1, "ExponentialMovingAverage: decay \(decay) must be in [0, 1)")
        self.parameters = parameters
        self.decay = decay
        self.averages = parameters.map(\.value.scalars)
    }

    /// Moves the average towards the parameters' current values.
    public func update() {
        let keep = decay, take = 1 - decay
        for (index, parameter) in parameters.enumerated() {
            parameter.value.scalars.withUnsafeBufferPointer { values in
                averages[index].withUnsafeMutableBufferPointer { average in
                    precondition(values.count == average.count,
                                 "ExponentialMovingAverage: parameter \(index) changed size (\(average.count) → \(values.count))")
                    for i in 0..<values.count { average[i] = keep * average[i] + take * values[i] }
                }
            }
        }
        updateCount += 1
    }

    /// The averages as tensors keyed `average.<i>` (the i-th parameter), for a checkpoint.
    public func exportState() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (index, parameter) in parameters.enumerated() {
            state["average.\(index)"] = Tensor(shape: parameter.value.shape, scalars: averages[index])
        }
        return state
    }

    /// Puts back averages saved by `exportState()`; nothing changes when they do not fit.
    /// - Throws: `CheckpointError.invalidValue` naming the first missing or misshapen average.
    public func importState(_ state: [String: Tensor], updateCount: Int) throws {
        var restored: [[Float]] = []
        for (index, parameter) in parameters.enumerated() {
            guard let tensor = state["average.\(index)"] else {
                throw CheckpointError.invalidValue(name: "average.\(index)", reason: "the checkpoint has no moving average for parameter \(index)")
            }
            guard tensor.shape == parameter.value.shape else {
                throw CheckpointError.invalidValue(name: "average.\(index)", reason: "shape \(tensor.shape), expected \(parameter.value.shape)")
            }
            restored.append(tensor.scalars)
        }
        guard state.count == parameters.count else {
            throw CheckpointError.invalidValue(name: "average", reason: "\(state.count) averages for \(parameters.count) parameters")
        }
        averages = restored
        self.updateCount = updateCount
    }

    /// Runs `body` with the averaged values in the parameters, then puts the trained values back (also when
    /// `body` throws).
    public func withAveragedValues<Result>(_ body: () throws -> Result) rethrows -> Result {
        swapValues()
        defer { swapValues() }
        return try body()
    }

    /// Exchanges the parameters' values with the averages (the parameters' versions change, so caches of
    /// packed weights are rebuilt).
    private func swapValues() {
        for (index, parameter) in parameters.enumerated() {
            parameter.value.updateScalars { values in swap(&values, &averages[index]) }
        }
    }
}
