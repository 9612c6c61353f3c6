import Foundation
import Testing
import RecurrentCore
import RecurrentNN

private struct Interrupted: Error {}

@Suite("Exponential moving average of weights")
struct ExponentialMovingAverageTests {
    /// Two parameters of different shapes.
    private func parameters() -> [Parameter] {
        [Parameter(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])), Parameter(Tensor(shape: [2], scalars: [-1, 0.5]))]
    }

    /// Sets every value of `parameter` to `values`.
    private func assign(_ parameter: Parameter, _ values: [Float]) {
        parameter.value.updateScalars { $0 = values }
    }

    @Test("starts at the values and follows average ← d·average + (1 − d)·value")
    func updates() {
        let parameters = parameters()
        let average = ExponentialMovingAverage(parameters: parameters, decay: 0.75)
        #expect(average.averages == [[1, 2, 3, 4, 5, 6], [-1, 0.5]])
        var expected = average.averages
        let steps: [[[Float]]] = [[[3, 2, 1, 0, -1, -2], [1, 1]], [[0, 0, 0, 0, 0, 0], [8, -8]], [[10, 20, 30, 40, 50, 60], [0.25, 0.125]]]
        for values in steps {
            for (parameter, v) in zip(parameters, values) { assign(parameter, v) }
            average.update()
            for p in expected.indices {
                for i in expected[p].indices { expected[p][i] = Float(0.75) * expected[p][i] + Float(0.25) * values[p][i] }
            }
            #expect(average.averages == expected)
        }
        #expect(average.updateCount == 3)
        // Decay 0 is the last value.
        let last = ExponentialMovingAverage(parameters: parameters, decay: 0)
        assign(parameters[1], [7, 9])
        last.update()
        #expect(last.averages[1] == [7, 9])
    }

    @Test("withAveragedValues shows the averages, then puts the trained values back, also after an error")
    func swapsAndRestores() throws {
        let parameters = parameters()
        let average = ExponentialMovingAverage(parameters: parameters, decay: 0.5)
        assign(parameters[0], [3, 4, 5, 6, 7, 8])
        average.update()  // averages[0] = [2, 3, 4, 5, 6, 7]
        let trained = parameters.map(\.value.scalars)
        let versionBefore = parameters[0].version
        let seen = average.withAveragedValues { parameters.map(\.value.scalars) }
        #expect(seen == [[2, 3, 4, 5, 6, 7], [-1, 0.5]])
        #expect(parameters.map(\.value.scalars) == trained)
        #expect(average.averages == seen)
        #expect(parameters[0].version != versionBefore, "caches of packed weights must see the change")
        #expect(throws: Interrupted.self) {
            try average.withAveragedValues { throw Interrupted() }
        }
        #expect(parameters.map(\.value.scalars) == trained)
        #expect(average.averages == seen)
    }

    @Test("a model evaluated through the average computes with the averaged weights")
    func modelUsesAverage() throws {
        let weight = Parameter(Tensor(shape: [2, 3], scalars: [0.3, -0.2, 0.1, 0.5, 0.4, -0.6]))
        let bias = Parameter(Tensor(shape: [2], scalars: [0.05, -0.1]))
        func layer(_ x: Tensor) -> Tensor { x.linear(weight: weight.value, bias: bias.value) }
        let average = ExponentialMovingAverage(parameters: [weight, bias], decay: 0.5)
        let input = Tensor(shape: [1, 3], scalars: [1, -2, 0.5])
        let before = layer(input).scalars
        for parameter in [weight, bias] { parameter.value.updateScalars { for i in $0.indices { $0[i] += 2 } } }
        average.update()  // every average moved by +1
        let after = layer(input).scalars
        let averaged = average.withAveragedValues { layer(input).scalars }
        // y = W·x + b with W, b shifted by 1: y + (Σx + 1) = y + 0.5; with +2: y + 1.
        expectClose(averaged, before.map { $0 + 0.5 }, relative: 1e-6, absolute: 1e-6)
        expectClose(after, before.map { $0 + 1 }, relative: 1e-6, absolute: 1e-6)
        #expect(layer(input).scalars == after)
    }
}
