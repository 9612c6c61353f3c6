import Foundation
import Testing
import TestSupport
import RecurrentCore
@testable import RecurrentData

@Suite("Int8 storage with row scales")
struct Int8RowsTests {
    @Test("each row is scaled by its own largest magnitude; the error is at most half a step")
    func quantizeRows() {
        // Row 0 large, row 1 tiny, row 2 zero: one scale per row keeps row 1's detail.
        let values: [Float] = [127, -63.5, 0.25, 10,
                               0.001, -0.002, 0.0005, 0.00127,
                               0, 0, 0, 0]
        let (q, scales) = Int8Rows.quantize(values, rows: 3)
        #expect(scales == [1, Float(0.002) / 127, 1])
        #expect(Array(q[0..<4]) == [127, -64, 0, 10])  // −63.5 rounds away from zero
        #expect(Array(q[4..<8]) == [64, -127, 32, 81])
        #expect(Array(q[8..<12]) == [0, 0, 0, 0])
        let back = Int8Rows.dequantize(q.map(Float.init), scales: scales)
        for row in 0..<3 {
            for j in 0..<4 {
                let i = row * 4 + j
                #expect(abs(back[i] - values[i]) <= scales[row] / 2 * 1.0001, "row \(row) column \(j): \(back[i]) for \(values[i])")
            }
        }
        #expect(Int8Rows.quantize([], rows: 0).values.isEmpty)
    }

    @Test("a writer stores matrices as I8 plus row scales and vectors as F16; reading scales them back")
    func roundTrip() throws {
        var rng = Xoshiro256StarStar(seed: 5)
        let matrix = (0..<(6 * 10)).map { _ in Float(rng.next() % 2001) / 1000 - 1 }
        let cube = (0..<(2 * 3 * 4)).map { Float($0) - 11.5 }
        let bias: [Float] = [0.5, -0.25, 3]
        var writer = SafeTensorsWriter()
        try writer.add("rnn.weight_ih_l0", shape: [6, 10], floats: matrix, as: .int8Rows)
        try writer.add("cube", shape: [2, 3, 4], floats: cube, as: .int8Rows)
        try writer.add("rnn.bias_ih_l0", shape: [3], floats: bias, as: .int8Rows)
        let file = try SafeTensorsFile(bytes: try writer.serialized())
        #expect(try file.info("rnn.weight_ih_l0").dtype == .i8)
        #expect(try file.shape("rnn.weight_ih_l0" + Int8Rows.scaleSuffix) == [6])
        #expect(try file.info("rnn.bias_ih_l0").dtype == .f16)
        let tensors = try file.floatTensors()
        #expect(Set(tensors.keys) == ["rnn.weight_ih_l0", "cube", "rnn.bias_ih_l0"], "row scales are not parameters")
        let scales = try file.floats("rnn.weight_ih_l0" + Int8Rows.scaleSuffix)
        let restored = try #require(tensors["rnn.weight_ih_l0"])
        #expect(restored.shape == [6, 10])
        for i in matrix.indices { #expect(abs(restored.scalars[i] - matrix[i]) <= scales[i / 10] / 2 * 1.0001) }
        #expect(try file.tensor("rnn.weight_ih_l0").scalars == restored.scalars)
        let cubeScales = try file.floats("cube" + Int8Rows.scaleSuffix)
        #expect(cubeScales.count == 2)
        for i in cube.indices { #expect(abs(try #require(tensors["cube"]).scalars[i] - cube[i]) <= cubeScales[i / 12] / 2 * 1.0001) }
        #expect(tensors["rnn.bias_ih_l0"]?.scalars == bias)
        // The raw integers stay readable as such.
        #expect(try file.floats("rnn.weight_ih_l0").allSatisfy { $0 == $0.rounded() && abs($0) <= 127 })
    }

    @Test("non-finite values, a taken scale name and mismatched scales are refused with the tensor's name")
    func refusals() throws {
        var writer = SafeTensorsWriter()
        #expect(throws: SafeTensorsError.self) { try writer.add("w", shape: [1, 2], floats: [1, .nan], as: .int8Rows) }
        try writer.add("v" + Int8Rows.scaleSuffix, shape: [2], floats: [1, 1])
        #expect(throws: SafeTensorsError.self) { try writer.add("v", shape: [2, 2], floats: [1, 2, 3, 4], as: .int8Rows) }
        #expect(throws: SafeTensorsError.self) { try writer.add("u", shape: [2, 2], floats: [1, 2, 3], as: .int8Rows) }
        // An I8 matrix whose scale tensor has the wrong length.
        let header = "{" + entry("w" + Int8Rows.scaleSuffix, "F32", [3], 0, 12) + "," + entry("w", "I8", [2, 2], 12, 16) + "}"
        var data: [UInt8] = []
        for _ in 0..<3 { data += [0x00, 0x00, 0x80, 0x3F] }  // 1.0 in F32, little-endian
        data += [1, 2, 3, 4]
        let file = try SafeTensorsFile(bytes: safetensorsBytes(header: header, data: data))
        let error = try #require(thrownError { () throws(SafeTensorsError) in try file.floatTensors() })
        #expect(caseName(error) == "invalidShape")
        #expect("\(error)".contains("w" + Int8Rows.scaleSuffix))
    }
}
