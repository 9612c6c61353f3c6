import Foundation
import RecurrentCore

extension SafeTensorsFile {
    /// A stored tensor converted to a `Tensor` (any numeric dtype, converted to Float32).
    public func tensor(_ name: String) throws(SafeTensorsError) -> Tensor {
        Tensor(shape: try shape(name), scalars: try floats(name))
    }

    /// A stored integer or boolean tensor as an `IntTensor`.
    public func intTensor(_ name: String) throws(SafeTensorsError) -> IntTensor {
        IntTensor(shape: try shape(name), scalars: try integers(name).map { Int(truncatingIfNeeded: $0) })
    }

    /// Every tensor whose dtype converts to Float, by name.
    public func floatTensors() throws(SafeTensorsError) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for info in tensors where info.dtype.convertsToFloat { result[info.name] = try tensor(info.name) }
        return result
    }
}

extension SafeTensorsWriter {
    /// Adds a tensor's values under `name`, stored as F32 (default) or F16.
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
