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
///
/// With lengths, the layer packs the valid steps of its input once (`BatchLayout`: entries sorted by
/// decreasing length, one row per valid step), runs every direction on the packed rows, and unpacks the
/// output with zeros for the padding; the states are sorted and unsorted around the run. Padding therefore
/// costs a copy, not products. Without lengths the tensors are used in place.
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
        let layout = BatchLayout(steps: T, batch: B, lengths: lengths)
        let N = layout.rows
        let shapes = (0..<D).map { RecurrenceShape(kind: kind, steps: T, batch: B, input: I, hidden: H, output: P, reverse: $0 == 1) }
        let stateInputs = [x, h0] + (c0.map { [$0] } ?? [])
        let inputs = stateInputs + directions.flatMap(\.tensors)
        let recording = GradientMode.isRecording && inputs.contains { $0.requiresGrad }
        let tapes = recording ? shapes.map { RecurrenceTape($0, rows: N) } : []

        let outputCount = T * B * D * P, hiddenCount = D * B * P, cellCount = kind.hasCell ? D * B * H : 0
        // Packed copies when the layout is not the identity: inputs, sorted initial states, packed output, sorted final states.
        let packedInput = layout.isIdentity ? nil : FloatBuffer(count: N * I, zeroed: false)
        let sortedStates = layout.isIdentity ? nil : FloatBuffer(count: 2 * (hiddenCount + cellCount), zeroed: false)
        let packedOutput = layout.isIdentity ? nil : FloatBuffer(count: N * D * P, zeroed: false)
        var outputValues: [Float] = [], hiddenValues: [Float] = [], cellValues: [Float] = []
        withValuePointers(inputs) { p in
            outputValues = uninitializedValues(count: outputCount) { out in
                hiddenValues = uninitializedValues(count: hiddenCount) { hN in
                    cellValues = uninitializedValues(count: cellCount) { cN in
                        var x = p[0], h0 = p[1], c0: UnsafePointer<Float>? = c0 == nil ? nil : p[2]
                        var output = out, hiddenOut = hN, cellOut = cN
                        if let packedInput, let sortedStates, let packedOutput {
                            layout.pack(x, width: I, into: packedInput.pointer)
                            x = UnsafePointer(packedInput.pointer)
                            let s = sortedStates.pointer
                            for d in 0..<D { layout.sortRows(h0 + d * B * P, width: P, into: s + d * B * P) }
                            h0 = UnsafePointer(s)
                            if let c = c0 {
                                for d in 0..<D { layout.sortRows(c + d * B * H, width: H, into: s + hiddenCount + d * B * H) }
                                c0 = UnsafePointer(s + hiddenCount)
                            }
                            output = packedOutput.pointer
                            hiddenOut = s + hiddenCount + cellCount
                            cellOut = s + 2 * hiddenCount + cellCount
                        }
                        forEachDirection(D, shapes[0]) { d in
                            FusedRecurrence.forward(
                                shapes[d], layout: layout, x: x, h0: h0 + d * B * P,
                                c0: c0.map { $0 + d * B * H },
                                weights: weights(directions, p, firstParameter: stateInputs.count, direction: d),
                                output: output + d * P, outputStride: D * P, hN: hiddenOut + d * B * P,
                                cN: kind.hasCell ? cellOut + d * B * H : nil, tape: recording ? tapes[d] : nil,
                                cache: directions[d].cache)
                        }
                        if packedOutput != nil {
                            layout.unpack(output, width: D * P, into: out)
                            for d in 0..<D { layout.unsortRows(hiddenOut + d * B * P, width: P, into: hN + d * B * P) }
                            if kind.hasCell {
                                for d in 0..<D { layout.unsortRows(cellOut + d * B * H, width: H, into: cN + d * B * H) }
                            }
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
            backward(kind: kind, shapes: shapes, layout: layout, packedInput: packedInput, inputs: inputs,
                     stateCount: stateInputs.count, directions: directions, tapes: tapes, upstream: g, needs: needs)
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
        Parallel.availableThreads >= 2 && s.batch >= 8 && s.steps * s.batch * s.gateWidth * s.output >= 1 << 20
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

    private static func backward(kind: RecurrenceKind, shapes: [RecurrenceShape], layout: BatchLayout, packedInput: FloatBuffer?,
                                 inputs: [Tensor], stateCount: Int, directions: [RecurrentDirectionParameters],
                                 tapes: [RecurrenceTape], upstream g: Tensor, needs: [Bool]) -> [Tensor?] {
        let s0 = shapes[0]
        let (B, I, H, P, D) = (s0.batch, s0.input, s0.hidden, s0.output, shapes.count)
        let N = layout.rows
        let hiddenCount = D * B * P, cellCount = kind.hasCell ? D * B * H : 0, outputCount = s0.steps * B * D * P
        // Each gradient buffer is written by exactly one direction, except dx, which the second accumulates into.
        let grads: [FloatBuffer?] = zip(inputs, needs).map { $1 ? FloatBuffer(count: $0.count) : nil }
        // Running both directions at once, the reverse one gets its own input gradient, added at the end.
        let concurrent = D == 2 && directionsRunConcurrently(s0)
        // Packed (and sorted) forms of the upstream gradient and of the gradients going back, when not the identity.
        let identity = layout.isIdentity
        let packedUpstream = identity ? nil : FloatBuffer(count: N * D * P + 2 * (hiddenCount + cellCount), zeroed: false)
        let packedDx = identity || grads[0] == nil ? nil : FloatBuffer(count: N * I, zeroed: false)
        let reverseDx = concurrent && grads[0] != nil ? FloatBuffer(count: N * I, zeroed: false) : nil
        withValuePointers(inputs + [g]) { p in
            var dOutput = p[inputs.count]
            var dhN = dOutput + outputCount, dcN = dhN + hiddenCount
            var dh0 = grads[1]?.pointer, dc0 = kind.hasCell ? grads[2]?.pointer : nil
            var dx = grads[0]?.pointer
            var x = p[0]
            if let packedUpstream, let packedInput {
                let u = packedUpstream.pointer
                layout.pack(dOutput, width: D * P, into: u)
                for d in 0..<D { layout.sortRows(dhN + d * B * P, width: P, into: u + N * D * P + d * B * P) }
                for d in 0..<D where kind.hasCell {
                    layout.sortRows(dcN + d * B * H, width: H, into: u + N * D * P + hiddenCount + d * B * H)
                }
                dOutput = UnsafePointer(u)
                dhN = UnsafePointer(u + N * D * P)
                dcN = dhN + hiddenCount
                let sortedGrads = u + N * D * P + hiddenCount + cellCount
                if dh0 != nil { dh0 = sortedGrads }
                if dc0 != nil { dc0 = sortedGrads + hiddenCount }
                dx = packedDx?.pointer
                x = UnsafePointer(packedInput.pointer)
            }
            let (dxAll, dh0All, dc0All) = (dx, dh0, dc0)
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
                    dx: d == 1 && concurrent ? reverseDx?.pointer : dxAll, accumulateInput: d > 0 && !concurrent,
                    dh0: dh0All.map { $0 + d * B * P },
                    dc0: dc0All.map { $0 + d * B * H },
                    dInputWeight: dInputWeight, dHiddenWeight: dHiddenWeight, dInputBias: dInputBias,
                    dHiddenBias: dHiddenBias, dProjection: dProjection)
                FusedRecurrence.backward(
                    shapes[d], layout: layout, x: x,
                    weights: weights(directions, p, firstParameter: stateCount, direction: d), tape: tapes[d],
                    dOutput: dOutput + d * P, outputStride: D * P, dhN: dhN + d * B * P,
                    dcN: kind.hasCell ? dcN + d * B * H : nil, into: gradients)
            }
            if let reverseDx, let dx {
                for i in 0..<(N * I) { dx[i] += reverseDx[i] }
            }
            if !identity {
                if let packedDx, let target = grads[0] { layout.unpack(packedDx.pointer, width: I, into: target.pointer) }
                if let dh0, let target = grads[1] {
                    for d in 0..<D { layout.unsortRows(dh0 + d * B * P, width: P, into: target.pointer + d * B * P) }
                }
                if kind.hasCell, let dc0, let target = grads[2] {
                    for d in 0..<D { layout.unsortRows(dc0 + d * B * H, width: H, into: target.pointer + d * B * H) }
                }
            }
        }
        return zip(inputs, grads).map { input, grad in grad.map { Tensor(shape: input.shape, scalars: $0.array) } }
    }
}
