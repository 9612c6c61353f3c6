import Foundation
import RecurrentCore

extension SafeTensorsFile {
    /// A stored tensor converted to a `Tensor` (any numeric dtype, converted to Float32; an I8 matrix with
    /// row scales beside it, as `SafeTensorsWriter` stores `.int8Rows`, is scaled back).
    public func tensor(_ name: String) throws(SafeTensorsError) -> Tensor {
        Tensor(shape: try shape(name), scalars: try dequantizedFloats(name))
    }

    /// A stored integer or boolean tensor as an `IntTensor`.
    public func intTensor(_ name: String) throws(SafeTensorsError) -> IntTensor {
        IntTensor(shape: try shape(name), scalars: try integers(name).map { Int(truncatingIfNeeded: $0) })
    }

    /// Every tensor whose dtype converts to Float, by name; int8 matrices are scaled back by their row
    /// scales, which are not listed themselves.
    ///
    /// - Parameter requireRowScales: when true (the default), an I8 tensor without its row scales
    ///   (`name` + `Int8Rows.scaleSuffix`) is an error: its values would load unscaled.
    /// - Throws: `SafeTensorsError.invalidShape` naming an I8 tensor whose scales are missing or mis-shaped.
    public func floatTensors(requireRowScales: Bool = true) throws(SafeTensorsError) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for info in tensors where info.dtype.convertsToFloat && !isInt8RowScale(info.name) {
            if requireRowScales && info.dtype == .i8 && !contains(info.name + Int8Rows.scaleSuffix) {
                throw .invalidShape(tensor: info.name, reason: "an I8 tensor needs its row scales '\(info.name)\(Int8Rows.scaleSuffix)', which are missing")
            }
            result[info.name] = try tensor(info.name)
        }
        return result
    }

    /// `floats(name)`, multiplied by the row scales when `name` is an I8 matrix stored with them.
    /// - Throws: `SafeTensorsError.invalidShape` if the scales do not hold one value per row.
    public func dequantizedFloats(_ name: String) throws(SafeTensorsError) -> [Float] {
        let info = try info(name)
        let scaleName = name + Int8Rows.scaleSuffix
        guard info.dtype == .i8, contains(scaleName) else { return try floats(name) }
        let rows = info.shape.first ?? 1
        guard info.shape.count >= 2, try shape(scaleName) == [rows] else {
            throw .invalidShape(tensor: scaleName, reason: "int8 row scales of \(name) \(info.shape) must have shape [\(rows)], found \(try shape(scaleName))")
        }
        return Int8Rows.dequantize(try floats(name), scales: try floats(scaleName))
    }

    /// Whether `name` is the row scales of an I8 matrix in this file.
    private func isInt8RowScale(_ name: String) -> Bool {
        guard name.hasSuffix(Int8Rows.scaleSuffix) else { return false }
        let base = String(name.dropLast(Int8Rows.scaleSuffix.count))
        return (try? info(base).dtype) == .i8
    }
}

extension SafeTensorsWriter {
    /// Adds a tensor's values under `name`, stored as F32 (default), F16 or int8 with row scales.
    public mutating func add(_ name: String, _ tensor: Tensor, as format: FloatFormat = .f32) throws(SafeTensorsError) {
        try add(name, shape: tensor.shape, floats: tensor.scalars, as: format)
    }

    /// Writes `tensors` (by name) with `metadata` to `url`, atomically.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], format: FloatFormat = .f32,
                             to url: URL) throws(SafeTensorsError) {
        var writer = SafeTensorsWriter(metadata: metadata)
        for (name, tensor) in tensors { try writer.add(name, tensor, as: format) }
        try writer.write(to: url)
    }
}
