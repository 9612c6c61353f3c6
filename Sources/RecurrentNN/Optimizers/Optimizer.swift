import RecurrentCore

/// What every optimizer offers: the parameters it updates, a settable learning rate (schedules set it), a
/// step, gradient zeroing, and its state for checkpoints.
///
/// A training step is
/// ```swift
/// optimizer.zeroGrad()
/// let loss = model.loss(batch)
/// loss.backward()
/// GradientClipping.clipNorm(of: optimizer.parameters, maxNorm: 5)
/// optimizer.step()
/// ```
///
/// `exportState()` / `importState(_:)` carry everything the updates depend on (moment buffers, step counts,
/// the learning rate), so an optimizer rebuilt with the same hyper-parameters over the same parameters and
/// given the imported state continues bit for bit as if never stopped.
public protocol Optimizer: AnyObject {
    /// The parameters updated by `step()`, in a fixed order (state is stored by position in this list).
    var parameters: [Parameter] { get }
    /// The step size used by the next `step()`.
    var learningRate: Float { get set }
    /// Updates every parameter that has a gradient, in place; parameters without one are skipped (and,
    /// as in PyTorch, their state does not advance).
    func step()
    /// Forgets every parameter's gradient.
    func zeroGrad()
    /// A copy of the optimizer's state: hyper-parameters, per-parameter buffers and step counts.
    func exportState() -> OptimizerState
    /// Replaces the optimizer's state with `state` (from `exportState()`, possibly via a file).
    ///
    /// The learning rate is taken from `state`; every other hyper-parameter must equal this optimizer's.
    /// - Throws: `OptimizerStateError` when `state` is for another optimizer, other hyper-parameters or
    ///   other parameter shapes; nothing is changed then.
    func importState(_ state: OptimizerState) throws
}

extension Optimizer {
    /// Forgets every parameter's gradient.
    public func zeroGrad() {
        for parameter in parameters { parameter.zeroGrad() }
    }
}
