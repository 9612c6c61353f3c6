import RecurrentCore

/// Runs any `RecurrentCell` over sequences: several layers, both directions, and variable lengths with
/// PyTorch's packed-sequence semantics, built from differentiable tensor operations step by step.
///
/// The built-in `RNN`, `LSTM` and `GRU` do the same with fused kernels; this generic layer is what a
/// custom cell gets for free. Parameter keys are `cells.<layer>.<direction>.<cell key>`.
public final class RecurrentLayer<Cell: RecurrentCell>: Module {
    /// `cells[layer][direction]`; direction 1 runs backwards in time.
    public let cells: [[Cell]]
    /// Dropout between layers in training.
    public let dropout: Float
    /// Whether inputs and outputs are `[batch, seq, …]` (PyTorch's `batch_first`); states never are.
    public let batchFirst: Bool
    /// Whether dropout is active.
    public var isTraining = true
    /// The generator for dropout masks.
    public var generator = Xoshiro256StarStar(seed: 0xD20)

    /// Makes a layer stack from cells: `cells[l]` has one cell (forward) or two (forward, reverse); layer
    /// `l + 1`'s input size must be `directions × outputSize` of layer `l`.
    public init(cells: [[Cell]], dropout: Float = 0, batchFirst: Bool = false) {
        precondition(!cells.isEmpty && cells.allSatisfy { $0.count == cells[0].count && (1...2).contains($0.count) },
                     "RecurrentLayer: every layer needs the same number (1 or 2) of directions")
        for l in 1..<Swift.max(cells.count, 1) {
            precondition(cells[l][0].inputSize == cells[l - 1].count * cells[l - 1][0].outputSize,
                         "RecurrentLayer: layer \(l) input size does not match layer \(l - 1) output")
        }
        self.cells = cells
        self.dropout = dropout
        self.batchFirst = batchFirst
    }

    /// `cells.<layer>.<direction>.<key>`.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        cells.enumerated().flatMap { l, layer in
            layer.enumerated().flatMap { d, cell in prefixed("cells.\(l).\(d)", cell) }
        }
    }

    /// Runs the stack.
    ///
    /// - Parameters:
    ///   - input: `[seq, batch, inputSize]` (`[batch, seq, inputSize]` when `batchFirst`).
    ///   - initialStates: one state per layer and direction (`layer × directions + direction`), or nil for zeros.
    ///   - lengths: `[batch]` lengths in `1...seq`, or nil.
    /// - Returns: output `[seq, batch, directions × outputSize]` (`[batch, seq, …]` when `batchFirst`; zero
    ///   past each length) and the final states, stacked as `[layers × directions, batch, …]`.
    public func callAsFunction(_ input: Tensor, initialStates: [RecurrentState]? = nil, lengths: [Int]? = nil) throws -> RecurrentOutput {
        guard input.rank == 3, input.shape[2] == cells[0][0].inputSize, input.shape[0] > 0, input.shape[1] > 0 else {
            let layout = batchFirst ? "[batch, seq, \(cells[0][0].inputSize)]" : "[seq, batch, \(cells[0][0].inputSize)]"
            throw RecurrentInputError.inputShape(expected: layout, found: input.shape)
        }
        guard batchFirst else { return try run(input, initialStates: initialStates, lengths: lengths) }
        var result = try run(input.permuted([1, 0, 2]), initialStates: initialStates, lengths: lengths)
        result.output = result.output.permuted([1, 0, 2])
        return result
    }

    private func run(_ input: Tensor, initialStates: [RecurrentState]?, lengths: [Int]?) throws -> RecurrentOutput {
        let (steps, batch) = (input.shape[0], input.shape[1])
        if let lengths {
            guard lengths.count == batch else { throw RecurrentInputError.lengthsCount(expected: batch, found: lengths.count) }
            for (i, length) in lengths.enumerated() where length < 1 || length > steps {
                throw RecurrentInputError.lengthOutOfRange(index: i, length: length, sequenceLength: steps)
            }
        }
        // masks[t]: [batch, 1], 1 where step t is inside the sequence.
        let masks: [Tensor]? = lengths.map { lengths in
            (0..<steps).map { t in Tensor(shape: [batch, 1], scalars: lengths.map { t < $0 ? 1 : 0 }) }
        }
        var layerInput = input
        var finals: [RecurrentState] = []
        for (l, layer) in cells.enumerated() {
            var directionOutputs: [Tensor] = []
            for (d, cell) in layer.enumerated() {
                var state = initialStates?[l * layer.count + d] ?? cell.zeroState(batchSize: batch)
                var outputs = [Tensor?](repeating: nil, count: steps)
                // The cell's input projection, when it declares one, as one product over all steps.
                let projected = cell.projectInputs(layerInput.reshaped([steps * batch, layerInput.shape[2]]))
                let stepInputs = projected.map { $0.reshaped([steps, batch, -1]).unstacked() } ?? layerInput.unstacked()
                for step in 0..<steps {
                    let t = d == 1 ? steps - 1 - step : step
                    let next = projected == nil ? cell.step(stepInputs[t], state) : cell.step(projected: stepInputs[t], state)
                    if let mask = masks?[t] {
                        let keep = 1 - mask
                        state = RecurrentState(hidden: next.hidden * mask + state.hidden * keep,
                                               cell: next.cell.map { $0 * mask + state.cell! * keep })
                        outputs[t] = next.hidden * mask
                    } else {
                        state = next
                        outputs[t] = next.hidden
                    }
                }
                directionOutputs.append(Tensor.stack(outputs.map { $0! }, axis: 0))
                finals.append(state)
            }
            layerInput = directionOutputs.count == 1 ? directionOutputs[0] : Tensor.concatenate(directionOutputs, axis: 2)
            if l < cells.count - 1 && dropout > 0 && isTraining {
                layerInput = layerInput.dropout(probability: dropout, training: true, using: &generator)
            }
        }
        let hidden = Tensor.stack(finals.map(\.hidden), axis: 0)
        let cellStates = finals.compactMap(\.cell)
        return RecurrentOutput(output: layerInput, hidden: hidden,
                               cell: cellStates.count == finals.count ? Tensor.stack(cellStates, axis: 0) : nil)
    }
}
