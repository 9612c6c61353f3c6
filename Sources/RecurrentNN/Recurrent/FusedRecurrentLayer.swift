import RecurrentCore
import RecurrentKernels

/// The parameters of one direction of one recurrent layer, as PyTorch names and shapes them.
public struct RecurrentDirectionParameters {
    /// `weight_ih`: `[G·H, I]`.
    public var inputWeight: Tensor
    /// `weight_hh`: `[G·H, P]`.
    public var hiddenWeight: Tensor
    /// `bias_ih`: `[G·H]`, or nil without biases.
    public var inputBias: Tensor?
    /// `bias_hh`: `[G·H]`, or nil without biases.
    public var hiddenBias: Tensor?
    /// `weight_hr` (LSTM projection): `[P, H]`, or nil.
    public var projection: Tensor?

    /// Packed weights kept across inference calls, valid while `versions` (of the parameters) are unchanged.
    var cache: (store: PackedWeightCache, versions: [Int])? = nil

    var tensors: [Tensor] { [inputWeight, hiddenWeight] + [inputBias, hiddenBias, projection].compactMap { $0 } }
}

/// One recurrent layer, all of its directions, as ONE node of the gradient tape.
enum FusedRecurrentLayer {
    /// Runs one layer.
    ///
    /// - Parameters:
    ///   - x: `[T, B, I]`.
    ///   - h0: `[D, B, P]`; `c0`: `[D, B, H]` for LSTMs.
    ///   - lengths: `[B]` valid lengths in `1...T`, or nil.
    ///   - directions: one entry (forward) or two (forward, reverse).
    /// - Returns: output `[T, B, D·P]`, final hidden `[D, B, P]`, final cell `[D, B, H]` (LSTM).
    static func run(kind: RecurrenceKind, hidden H: Int, x: Tensor, h0: Tensor, c0: Tensor?, lengths: [Int]?,
                    directions: [RecurrentDirectionParameters]) -> (output: Tensor, hidden: Tensor, cell: Tensor?) {
        let (T, B, I) = (x.shape[0], x.shape[1], x.shape[2])
        let D = directions.count
        let P = h0.shape[2]
        let shapes = (0..<D).map { RecurrenceShape(kind: kind, steps: T, batch: B, input: I, hidden: H, output: P, reverse: $0 == 1) }
        let stateInputs = [x, h0] + (c0.map { [$0] } ?? [])
        let inputs = stateInputs + directions.flatMap(\.tensors)
        let recording = GradientMode.isRecording && inputs.contains { $0.requiresGrad }
        let tapes = recording ? shapes.map(RecurrenceTape.init) : []

        let outputCount = T * B * D * P, hiddenCount = D * B * P, cellCount = kind.hasCell ? D * B * H : 0
        // Every value of the three results is written by the kernels (padded steps get explicit zeros).
        var outputValues: [Float] = [], hiddenValues: [Float] = [], cellValues: [Float] = []
        withValuePointers(inputs) { p in
            outputValues = uninitializedValues(count: outputCount) { out in
                hiddenValues = uninitializedValues(count: hiddenCount) { hN in
                    cellValues = uninitializedValues(count: cellCount) { cN in
                        forEachDirection(D, shapes[0]) { d in
                            FusedRecurrence.forward(
                                shapes[d], x: p[0], lengths: lengths, h0: p[1] + d * B * P,
                                c0: c0 == nil ? nil : p[2] + d * B * H,
                                weights: weights(directions, p, firstParameter: stateInputs.count, direction: d),
                                output: out + d * P, outputStride: D * P, hN: hN + d * B * P,
                                cN: kind.hasCell ? cN + d * B * H : nil, tape: recording ? tapes[d] : nil,
                                cache: directions[d].cache)
                        }
                    }
                }
            }
        }
        guard recording else {
            return (Tensor(shape: [T, B, D * P], scalars: outputValues), Tensor(shape: [D, B, P], scalars: hiddenValues),
                    kind.hasCell ? Tensor(shape: [D, B, H], scalars: cellValues) : nil)
        }
        // One node for the whole layer: its output is the three results end to end, split again below.
        let packed = Tensor(shape: [outputCount + hiddenCount + cellCount], scalars: outputValues + hiddenValues + cellValues)
        let result = Tensor.record("\(kind.rawValue)_layer", inputs: inputs, output: packed) { g, needs in
            backward(kind: kind, shapes: shapes, inputs: inputs, stateCount: stateInputs.count, directions: directions,
                     lengths: lengths, tapes: tapes, upstream: g, needs: needs)
        }
        let output = result.narrowed(axis: 0, start: 0, length: outputCount).reshaped([T, B, D * P])
        let hidden = result.narrowed(axis: 0, start: outputCount, length: hiddenCount).reshaped([D, B, P])
        let cell = kind.hasCell ? result.narrowed(axis: 0, start: outputCount + hiddenCount, length: cellCount).reshaped([D, B, H]) : nil
        return (output, hidden, cell)
    }

    /// Whether the two directions of a layer of this shape run at the same time, one per thread: then each
    /// thread streams only its own direction's weights at every step, with all the batch rows (larger
    /// products) — better than both threads sharing each direction's rows.
    static func directionsRunConcurrently(_ s: RecurrenceShape) -> Bool {
        Parallel.threadCount >= 2 && s.batch >= 8 && s.steps * s.batch * s.gateWidth * s.output >= 1 << 20
    }

    /// Calls `body(d)` for each direction, both at once on two threads when worthwhile.
    static func forEachDirection(_ count: Int, _ s: RecurrenceShape, _ body: (Int) -> Void) {
        if count == 2 && directionsRunConcurrently(s) {
            Parallel.forChunks(count: 2, grain: 1) { range in for d in range { body(d) } }
        } else {
            for d in 0..<count { body(d) }
        }
    }

    /// Pointers to direction `d`'s parameters inside the flat list of input pointers.
    private static func weights(_ directions: [RecurrentDirectionParameters], _ p: [UnsafePointer<Float>],
                                firstParameter: Int, direction d: Int) -> RecurrenceWeights {
        var index = firstParameter + directions[..<d].reduce(0) { $0 + $1.tensors.count }
        func next() -> UnsafePointer<Float> { defer { index += 1 }; return p[index] }
        let parameters = directions[d]
        let inputWeight = next(), hiddenWeight = next()
        let inputBias = parameters.inputBias == nil ? nil : next()
        let hiddenBias = parameters.hiddenBias == nil ? nil : next()
        let projection = parameters.projection == nil ? nil : next()
        return RecurrenceWeights(inputWeight: inputWeight, hiddenWeight: hiddenWeight, inputBias: inputBias,
                                 hiddenBias: hiddenBias, projection: projection)
    }

    private static func backward(kind: RecurrenceKind, shapes: [RecurrenceShape], inputs: [Tensor], stateCount: Int,
                                 directions: [RecurrentDirectionParameters], lengths: [Int]?, tapes: [RecurrenceTape],
                                 upstream g: Tensor, needs: [Bool]) -> [Tensor?] {
        let s0 = shapes[0]
        let (T, B, H, P, D) = (s0.steps, s0.batch, s0.hidden, s0.output, shapes.count)
        let outputCount = T * B * D * P, hiddenCount = D * B * P
        // Each gradient buffer is written by exactly one direction, except dx, which the second accumulates into.
        let grads: [FloatBuffer?] = zip(inputs, needs).map { $1 ? FloatBuffer(count: $0.count) : nil }
        // Running both directions at once, the reverse one gets its own input gradient, added at the end.
        let concurrent = D == 2 && directionsRunConcurrently(s0)
        let reverseDx = concurrent && grads[0] != nil ? FloatBuffer(count: inputs[0].count, zeroed: false) : nil
        withValuePointers(inputs + [g]) { p in
            let up = p[inputs.count]
            forEachDirection(D, s0) { d in
                var index = stateCount + directions[..<d].reduce(0) { $0 + $1.tensors.count }
                func nextGrad() -> UnsafeMutablePointer<Float>? {
                    defer { index += 1 }
                    return grads[index]?.pointer
                }
                let dInputWeight = nextGrad(), dHiddenWeight = nextGrad()
                let dInputBias = directions[d].inputBias == nil ? nil : nextGrad()
                let dHiddenBias = directions[d].hiddenBias == nil ? nil : nextGrad()
                let dProjection = directions[d].projection == nil ? nil : nextGrad()
                let gradients = FusedRecurrence.Gradients(
                    dx: d == 1 && concurrent ? reverseDx?.pointer : grads[0]?.pointer, accumulateInput: d > 0 && !concurrent,
                    dh0: grads[1].map { $0.pointer + d * B * P },
                    dc0: kind.hasCell ? grads[2].map { $0.pointer + d * B * H } : nil,
                    dInputWeight: dInputWeight, dHiddenWeight: dHiddenWeight, dInputBias: dInputBias,
                    dHiddenBias: dHiddenBias, dProjection: dProjection)
                FusedRecurrence.backward(
                    shapes[d], x: p[0], lengths: lengths,
                    weights: weights(directions, p, firstParameter: stateCount, direction: d), tape: tapes[d],
                    dOutput: up + d * P, outputStride: D * P, dhN: up + outputCount + d * B * P,
                    dcN: kind.hasCell ? up + outputCount + hiddenCount + d * B * H : nil, into: gradients)
            }
        }
        if let reverseDx, let dx = grads[0] {
            for i in 0..<dx.count { dx[i] += reverseDx[i] }
        }
        return zip(inputs, grads).map { input, grad in grad.map { Tensor(shape: input.shape, scalars: $0.array) } }
    }
}
