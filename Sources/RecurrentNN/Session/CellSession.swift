import RecurrentCore

/// `RecurrentSession` for a stack of custom cells (`RecurrentLayer`): one token at a time, the state kept
/// between calls, forked by copying `state`. Each step is a few tensor operations per layer (what a custom
/// cell is made of), so it allocates; the built-in networks get the allocation-free `RecurrentSession`.
///
/// ```swift
/// let layer = RecurrentLayer(cells: [[MyCell(inputSize: 4, hiddenSize: 8)]])
/// let session = try CellSession(layer)
/// let output = try session.step(Tensor([0.1, 0.2, 0.3, 0.4]))   // [8]
/// ```
public final class CellSession<Cell: RecurrentCell> {
    /// The layer stack.
    public let layer: RecurrentLayer<Cell>
    /// One state per layer (batch 1); a value: copy it to fork, assign it to go back.
    public var state: [RecurrentState]

    /// Makes a session at the zero state.
    /// - Throws: `RecurrentSession.SessionError.bidirectional` for a layer with a reverse direction.
    public init(_ layer: RecurrentLayer<Cell>) throws(RecurrentSession.SessionError) {
        guard layer.cells.allSatisfy({ $0.count == 1 }) else { throw .bidirectional }
        self.layer = layer
        state = layer.cells.map { $0[0].zeroState(batchSize: 1) }
    }

    /// Features of each input.
    public var inputSize: Int { layer.cells[0][0].inputSize }
    /// Features of each output.
    public var outputSize: Int { layer.cells[layer.cells.count - 1][0].outputSize }

    /// Goes back to the zero state.
    public func reset() { state = layer.cells.map { $0[0].zeroState(batchSize: 1) } }

    /// Advances one step (in inference: no gradients, no dropout).
    /// - Parameter input: `[inputSize]`.
    /// - Returns: the last layer's output `[outputSize]`.
    /// - Throws: `RecurrentSession.SessionError.inputSize`.
    public func step(_ input: Tensor) throws(RecurrentSession.SessionError) -> Tensor {
        guard input.count == inputSize else { throw .inputSize(expected: inputSize, found: input.count) }
        return withoutGradients {
            var x = input.reshaped([1, inputSize])
            for (l, cells) in layer.cells.enumerated() {
                state[l] = cells[0].step(x, state[l])
                x = state[l].hidden
            }
            return x.reshaped([outputSize])
        }
    }
}
