/// Symmetric int8 storage of a matrix with one scale per row (the first dimension; further dimensions are
/// flattened into the row):
/// ```
/// scale[r] = max_j |w[r, j]| / 127        q[r, j] = round(w[r, j] / scale[r]) ∈ [−127, 127]
/// w[r, j] ≈ q[r, j] · scale[r]            (error at most scale[r] / 2)
/// ```
/// A safetensors file holds `q` as I8 under the tensor's name and the scales as F32 `[rows]` under the name
/// followed by `scaleSuffix` (`"lstm.weight_ih_l0"` and `"lstm.weight_ih_l0.int8_row_scale"`);
/// `SafeTensorsFile.tensor(_:)` and `floatTensors()` scale such pairs back, so a model loads from it
/// as from F32. The per-row scale keeps a row of small gate weights from being rounded to zero by a
/// large row elsewhere in the matrix.
public enum Int8Rows {
    /// Appended to a tensor's name to name its row scales.
    public static let scaleSuffix = ".int8_row_scale"

    /// Quantizes `values` (row-major, `rows` rows of equal length; all finite).
    /// - Returns: the int8 values and one scale per row (1 for an all-zero row).
    public static func quantize(_ values: [Float], rows: Int) -> (values: [Int8], scales: [Float]) {
        precondition(rows >= 0 && (rows == 0 ? values.isEmpty : values.count % rows == 0),
                     "Int8Rows.quantize: \(values.count) values do not split into \(rows) rows")
        guard rows > 0 else { return ([], []) }
        let columns = values.count / rows
        var quantized = [Int8](repeating: 0, count: values.count)
        var scales = [Float](repeating: 1, count: rows)
        for row in 0..<rows {
            let range = row * columns..<(row + 1) * columns
            let largest = values[range].reduce(Float(0)) { Swift.max($0, Swift.abs($1)) }
            guard largest > 0 else { continue }
            let scale = largest / 127
            scales[row] = scale
            for i in range { quantized[i] = Int8(Swift.max(-127, Swift.min(127, (values[i] / scale).rounded()))) }
        }
        return (quantized, scales)
    }

    /// Scales int8 values (already widened to Float) back: `values[r, j] · scales[r]`.
    public static func dequantize(_ values: [Float], scales: [Float]) -> [Float] {
        let rows = scales.count
        precondition(rows == 0 ? values.isEmpty : values.count % rows == 0,
                     "Int8Rows.dequantize: \(values.count) values do not split into \(rows) rows")
        guard rows > 0 else { return [] }
        let columns = values.count / rows
        var result = values
        for row in 0..<rows {
            for i in row * columns..<(row + 1) * columns { result[i] *= scales[row] }
        }
        return result
    }
}
