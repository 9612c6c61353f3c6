import Testing
import RecurrentCore
import RecurrentNN
import TestSupport

/// Everything a recurrent network returns, flattened into one vector (so one objective covers all).
func flatResult(_ r: RecurrentOutput) -> Tensor {
    Tensor.concatenate([r.output.reshaped([-1]), r.hidden.reshaped([-1])] + (r.cell.map { [$0.reshaped([-1])] } ?? []), axis: 0)
}

/// Finite-difference check of a network with respect to its input, initial state and every parameter.
func expectNetworkGradientsMatch(_ net: RecurrentNetwork, steps: Int, batch: Int, lengths: [Int]? = nil,
                                 withState: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
    var g = TestTensors(seed: 77)
    let D = net.directionCount * net.layerCount
    let x = net.batchFirst ? g.uniform([batch, steps, net.inputSize]) : g.uniform([steps, batch, net.inputSize])
    var inputs = [x]
    if withState {
        inputs.append(g.uniform([D, batch, net.outputSize]))
        if net.kind.hasCell { inputs.append(g.uniform([D, batch, net.hiddenSize])) }
    }
    let stateCount = inputs.count
    let parameters = net.parameters
    inputs += parameters.map(\.value)
    let mismatches = GradientCheck.mismatches(inputs, tolerance: 5e-3) { t in
        for (p, v) in zip(parameters, t[stateCount...]) { p.value = v }
        let state = withState ? RecurrentState(hidden: t[1], cell: net.kind.hasCell ? t[2] : nil) : nil
        return flatResult(try! net(t[0], initialState: state, lengths: lengths))
    }
    #expect(mismatches.isEmpty, "\(net.kind) mismatches: \(mismatches.prefix(4))", sourceLocation: sourceLocation)
}

@Suite struct RecurrentGradientTests {
    @Test(arguments: RecurrenceKind.allCases)
    func singleLayer(kind: RecurrenceKind) {
        let net = RecurrentNetwork(kind: kind, inputSize: 3, hiddenSize: 4, seed: 1)
        expectNetworkGradientsMatch(net, steps: 4, batch: 2)
    }

    @Test(arguments: RecurrenceKind.allCases)
    func twoLayersBidirectionalWithLengths(kind: RecurrenceKind) {
        let net = RecurrentNetwork(kind: kind, inputSize: 3, hiddenSize: 3, layerCount: 2, bidirectional: true, seed: 2)
        expectNetworkGradientsMatch(net, steps: 4, batch: 3, lengths: [4, 1, 3])
    }

    @Test(arguments: RecurrenceKind.allCases)
    func batchFirstWithoutBiasWithoutState(kind: RecurrenceKind) {
        let net = RecurrentNetwork(kind: kind, inputSize: 2, hiddenSize: 3, bias: false, batchFirst: true, seed: 3)
        expectNetworkGradientsMatch(net, steps: 3, batch: 2, lengths: [2, 3], withState: false)
    }

    @Test func lstmWithProjectionBidirectionalLengths() {
        let net = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true, projectionSize: 2, seed: 4)
        expectNetworkGradientsMatch(net, steps: 3, batch: 3, lengths: [1, 3, 2])
    }

    @Test(arguments: RecurrenceKind.allCases)
    func cells(kind: RecurrenceKind) {
        let cell: FusedCell = switch kind {
        case .lstm: LSTMCell(inputSize: 3, hiddenSize: 4, seed: 5)
        case .gru: GRUCell(inputSize: 3, hiddenSize: 4, seed: 5)
        case .rnnTanh: RNNCell(inputSize: 3, hiddenSize: 4, seed: 5)
        case .rnnReLU: RNNCell(inputSize: 3, hiddenSize: 4, nonlinearity: .relu, seed: 5)
        }
        var g = TestTensors(seed: 6)
        let parameters = cell.parameters
        let inputs = [g.uniform([2, 3]), g.uniform([2, 4]), g.uniform([2, 4])] + parameters.map(\.value)
        let mismatches = GradientCheck.mismatches(inputs, tolerance: 5e-3) { t in
            for (p, v) in zip(parameters, t[3...]) { p.value = v }
            let next = try! cell(t[0], RecurrentState(hidden: t[1], cell: kind.hasCell ? t[2] : nil))
            return Tensor.concatenate([next.hidden] + (next.cell.map { [$0] } ?? []), axis: 1)
        }
        #expect(mismatches.isEmpty, "\(kind) cell mismatches: \(mismatches.prefix(4))")
    }
}
