import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// Copies the fused network's weights into a generic `RecurrentLayer` of fused cells.
func genericTwin(of net: RecurrentNetwork) -> RecurrentLayer<FusedCell> {
    let cells: [[FusedCell]] = (0..<net.layerCount).map { l in
        (0..<net.directionCount).map { d in
            let inputSize = l == 0 ? net.inputSize : net.hiddenSize * net.directionCount
            let cell: FusedCell = switch net.kind {
            case .lstm: LSTMCell(inputSize: inputSize, hiddenSize: net.hiddenSize, bias: net.hasBias)
            case .gru: GRUCell(inputSize: inputSize, hiddenSize: net.hiddenSize, bias: net.hasBias)
            case .rnnTanh: RNNCell(inputSize: inputSize, hiddenSize: net.hiddenSize, bias: net.hasBias)
            case .rnnReLU: RNNCell(inputSize: inputSize, hiddenSize: net.hiddenSize, nonlinearity: .relu, bias: net.hasBias)
            }
            let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
            let dict = net.stateDict()
            var own: [String: Tensor] = ["weight_ih": dict["weight_ih" + suffix]!, "weight_hh": dict["weight_hh" + suffix]!]
            if net.hasBias { own["bias_ih"] = dict["bias_ih" + suffix]!; own["bias_hh"] = dict["bias_hh" + suffix]! }
            try! cell.load(stateDict: own)
            return cell
        }
    }
    return RecurrentLayer(cells: cells)
}


@Suite struct RecurrentSemanticsTests {
    @Test(arguments: RecurrenceKind.allCases)
    func fusedLayersEqualTheGenericLayerOverCells(kind: RecurrenceKind) throws {
        let net = RecurrentNetwork(kind: kind, inputSize: 5, hiddenSize: 6, layerCount: 2, bidirectional: true, seed: 11)
        let twin = genericTwin(of: net)
        var g = TestTensors(seed: 12)
        let x = g.uniform([7, 4, 5])
        let lengths = [7, 2, 5, 1]
        let fused = try net(x, lengths: lengths)
        let generic = try twin(x, lengths: lengths)
        #expect(fused.output.isApproximatelyEqual(to: generic.output, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        #expect(fused.hidden.isApproximatelyEqual(to: generic.hidden, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        if kind.hasCell {
            #expect(fused.cell!.isApproximatelyEqual(to: generic.cell!, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        }
    }

    @Test func paddedPositionsAreZeroAndFinalStatesAreEachSequencesOwn() throws {
        let net = GRU(inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 13)
        var g = TestTensors(seed: 14)
        let x = g.uniform([5, 2, 2])
        let result = try net(x, lengths: [5, 3])
        for t in 3..<5 { for j in 0..<6 { #expect(result.output[t, 1, j] == 0) } }
        // The short sequence run alone gives the same final states.
        let alone = try net(x.narrowed(axis: 0, start: 0, length: 3).narrowed(axis: 1, start: 1, length: 1))
        #expect(alone.hidden.isApproximatelyEqual(to: result.hidden.narrowed(axis: 1, start: 1, length: 1)))
        #expect(alone.output.isApproximatelyEqual(to: result.output.narrowed(axis: 0, start: 0, length: 3).narrowed(axis: 1, start: 1, length: 1)))
    }

    @Test func batchFirstIsATransposeOfTheSameComputation() throws {
        let seqFirst = LSTM(inputSize: 3, hiddenSize: 4, seed: 15)
        let batchFirst = LSTM(inputSize: 3, hiddenSize: 4, batchFirst: true, seed: 15)
        var g = TestTensors(seed: 16)
        let x = g.uniform([5, 2, 3])
        let a = try seqFirst(x), b = try batchFirst(x.permuted([1, 0, 2]))
        #expect(b.output.permuted([1, 0, 2]).isApproximatelyEqual(to: a.output))
        #expect(b.hidden.isApproximatelyEqual(to: a.hidden))
    }

    @Test func inferenceModeMatchesTrainingModeAndRecordsNothing() throws {
        let net = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, seed: 17)
        var g = TestTensors(seed: 18)
        let x = g.uniform([4, 2, 3])
        let trained = try net(x)
        let inferred = try withoutGradients { try net(x) }
        #expect(trained.output.requiresGrad && !inferred.output.requiresGrad)
        #expect(trained.output.scalars == inferred.output.scalars)
    }

    @Test func dropoutBetweenLayersOnlyInTraining() throws {
        let net = GRU(inputSize: 3, hiddenSize: 8, layerCount: 2, dropout: 0.5, seed: 19)
        var g = TestTensors(seed: 20)
        let x = g.uniform([3, 2, 3])
        let a = try net(x), b = try net(x)
        #expect(a.output.scalars != b.output.scalars)  // different masks
        net.isTraining = false
        let c = try net(x), d = try net(x)
        #expect(c.output.scalars == d.output.scalars)
    }

    @Test func parameterKeysAndShapesFollowPyTorch() {
        let net = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true, projectionSize: 2)
        let shapes = Dictionary(uniqueKeysWithValues: net.namedParameters.map { ($0.key, $0.parameter.shape) })
        #expect(shapes["weight_ih_l0"] == [16, 3])
        #expect(shapes["weight_hh_l0_reverse"] == [16, 2])
        #expect(shapes["weight_hr_l0"] == [2, 4])
        #expect(shapes["weight_ih_l1"] == [16, 4])
        #expect(shapes["bias_hh_l1_reverse"] == [16])
        #expect(shapes.count == 20)
        let bound = 1 / Float(4).squareRoot()
        #expect(net.parameters.allSatisfy { $0.value.scalars.allSatisfy { Swift.abs($0) <= bound } })
    }

    @Test func badInputsGiveClearErrors() {
        let net = LSTM(inputSize: 3, hiddenSize: 4)
        let x = Tensor.zeros([5, 2, 3])
        #expect(throws: RecurrentInputError.inputShape(expected: "[seq, batch, 3]", found: [5, 2, 4])) { try net(Tensor.zeros([5, 2, 4])) }
        #expect(throws: RecurrentInputError.inputShape(expected: "[seq, batch, 3]", found: [5, 3])) { try net(Tensor.zeros([5, 3])) }
        #expect(throws: RecurrentInputError.lengthsCount(expected: 2, found: 3)) { try net(x, lengths: [1, 2, 3]) }
        #expect(throws: RecurrentInputError.lengthOutOfRange(index: 1, length: 0, sequenceLength: 5)) { try net(x, lengths: [5, 0]) }
        #expect(throws: RecurrentInputError.lengthOutOfRange(index: 0, length: 6, sequenceLength: 5)) { try net(x, lengths: [6, 1]) }
        #expect(throws: RecurrentInputError.stateShape(name: "h_0", expected: [1, 2, 4], found: [1, 2, 3])) {
            try net(x, initialState: RecurrentState(hidden: .zeros([1, 2, 3]), cell: .zeros([1, 2, 4])))
        }
        #expect(throws: RecurrentInputError.cellState("an LSTM needs c_0 with h_0")) {
            try net(x, initialState: RecurrentState(hidden: .zeros([1, 2, 4])))
        }
        let message = RecurrentInputError.lengthOutOfRange(index: 0, length: 6, sequenceLength: 5).description
        #expect(message == "lengths[0] = 6 is outside 1...5")
    }

    @Test func strictStateDictLoading() throws {
        let net = GRU(inputSize: 2, hiddenSize: 3)
        var dict = net.stateDict()
        try net.load(stateDict: dict)
        dict["extra"] = Tensor.zeros([1])
        #expect(throws: StateDictError.unexpectedKey("extra")) { try net.load(stateDict: dict) }
        try net.load(stateDict: dict, strict: false)
        dict["extra"] = nil
        dict["bias_hh_l0"] = nil
        #expect(throws: StateDictError.missingKey("bias_hh_l0")) { try net.load(stateDict: dict) }
        dict["bias_hh_l0"] = Tensor.zeros([3])
        #expect(throws: StateDictError.shapeMismatch(key: "bias_hh_l0", expected: [9], found: [3])) { try net.load(stateDict: dict) }
    }
}

@Suite struct ThreadedRecurrenceTests {
    /// Large enough for the batch to be split across threads (the fused kernel's row slices).
    @Test(arguments: RecurrenceKind.allCases)
    func rowSlicesGiveTheSameValuesAndGradientsAsTheGenericLayer(kind: RecurrenceKind) throws {
        // Large enough that the two directions also run at the same time, one per thread.
        let net = RecurrentNetwork(kind: kind, inputSize: 8, hiddenSize: 64, bidirectional: true, seed: 21)
        let twin = genericTwin(of: net)
        var g = TestTensors(seed: 22)
        let x = g.uniform([6, 16, 8])
        let lengths = (0..<16).map { 1 + ($0 * 5) % 6 }
        let seed = g.uniform([6, 16, 128])
        let fused = try net(x, lengths: lengths)
        let generic = try twin(x, lengths: lengths)
        #expect(fused.output.isApproximatelyEqual(to: generic.output, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        #expect(fused.hidden.isApproximatelyEqual(to: generic.hidden, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        (fused.output * seed).sum().backward()
        (generic.output * seed).sum().backward()
        for d in 0..<2 {
            let suffix = "_l0" + (d == 1 ? "_reverse" : "")
            let netGrads = Dictionary(uniqueKeysWithValues: net.namedParameters.map { ($0.key, $0.parameter.grad!) })
            let twinGrads = Dictionary(uniqueKeysWithValues: twin.namedParameters.map { ($0.key, $0.parameter.grad!) })
            for key in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] {
                let a = netGrads[key + suffix]!, b = twinGrads["cells.0.\(d).\(key)"]!
                #expect(a.isApproximatelyEqual(to: b, relativeTolerance: 1e-4, absoluteTolerance: 1e-5), "\(kind) \(key)\(suffix)")
            }
        }
    }
}

@Suite struct ColumnSplitInferenceTests {
    /// Inference with a small batch and H ≥ 64 splits each step across threads by hidden units; training
    /// (which keeps a tape) does not. Both must give the same numbers.
    @Test(arguments: RecurrenceKind.allCases)
    func smallBatchInferenceMatchesTheRowPath(kind: RecurrenceKind) throws {
        let net = RecurrentNetwork(kind: kind, inputSize: 7, hiddenSize: 96, layerCount: 2, bidirectional: true, seed: 31)
        var g = TestTensors(seed: 32)
        // 128 rows: the input projection is then computed two steps at a time (several chunks, both directions).
        for (batch, lengths) in [(1, nil), (3, [5, 2, 4]), (128, (0..<128).map { 1 + $0 % 5 })] as [(Int, [Int]?)] {
            let x = g.uniform([5, batch, 7]).requiringGradient()
            let recorded = try net(x, lengths: lengths)
            let inferred = try withoutGradients { try net(x.detached(), lengths: lengths) }
            #expect(inferred.output.isApproximatelyEqual(to: recorded.output, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
            #expect(inferred.hidden.isApproximatelyEqual(to: recorded.hidden, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
            if kind.hasCell {
                #expect(inferred.cell!.isApproximatelyEqual(to: recorded.cell!, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
            }
        }
    }
}

@Suite struct PackedWeightCacheTests {
    /// Inference keeps packed weights between calls; changing the weights must invalidate them.
    @Test func changedWeightsAreRepacked() throws {
        let net = LSTM(inputSize: 5, hiddenSize: 80, seed: 41)
        let other = LSTM(inputSize: 5, hiddenSize: 80, seed: 42)
        var g = TestTensors(seed: 43)
        let x = g.uniform([4, 2, 5])
        let first = try withoutGradients { try net(x) }
        let again = try withoutGradients { try net(x) }
        #expect(again.output.scalars == first.output.scalars)
        try net.load(stateDict: other.stateDict())
        let swapped = try withoutGradients { try net(x) }
        let reference = try withoutGradients { try other(x) }
        #expect(swapped.output.scalars == reference.output.scalars)
        // An optimizer step changes the weights in place: the next inference must see it.
        let optimizer = SGD(parameters: net.parameters, learningRate: 0.5)
        try net(x).output.sum().backward()
        optimizer.step()
        let stepped = try withoutGradients { try net(x) }
        let recorded = try net(x)
        #expect(stepped.output.isApproximatelyEqual(to: recorded.output, relativeTolerance: 1e-5, absoluteTolerance: 1e-6))
        #expect(stepped.output.scalars != swapped.output.scalars)
    }
}
