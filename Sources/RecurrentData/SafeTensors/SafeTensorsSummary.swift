extension SafeTensorsFile {
    /// A human-readable listing of the file, as `recurrent inspect` prints it: an aligned table with one row
    /// per tensor in file order (name, dtype, shape, bytes), a total line, then the metadata sorted by key.
    ///
    /// ```
    /// name          dtype  shape      bytes
    /// input.target  I64    [4]           32
    /// input.x       F32    [5, 3, 4]    240
    /// 2 tensors, 272 bytes of data
    /// metadata:
    ///   case: {"module": "LSTM"}
    /// ```
    /// Control characters in names and values are escaped, so each row stays on one line. The result ends
    /// without a newline.
    public func summary() -> String {
        let header = ["name", "dtype", "shape", "bytes"]
        let rows = tensors.map { info in
            [escapedControlCharacters(info.name), info.dtype.rawValue, shapeText(info.shape), String(info.byteCount)]
        }
        var lines = alignedTable(header: header, rows: rows, rightAligned: [3])
        let dataBytes = tensors.reduce(0) { $0 + $1.byteCount }
        lines.append("\(tensors.count) tensor\(tensors.count == 1 ? "" : "s"), \(dataBytes) bytes of data")
        if metadata.isEmpty {
            lines.append("metadata: none")
        } else {
            lines.append("metadata:")
            for key in metadata.keys.sorted() {
                lines.append("  \(escapedControlCharacters(key)): \(escapedControlCharacters(metadata[key] ?? ""))")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// Rows padded so columns line up (two spaces between columns), the header first; columns listed in
/// `rightAligned` are padded on the left. Widths count characters. The last column carries no trailing spaces.
func alignedTable(header: [String], rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
    let all = [header] + rows
    var widths = [Int](repeating: 0, count: header.count)
    for row in all {
        for (column, cell) in row.enumerated() where column < widths.count {
            widths[column] = max(widths[column], cell.count)
        }
    }
    return all.map { row in
        var line = ""
        for (column, cell) in row.enumerated() where column < widths.count {
            let padding = String(repeating: " ", count: widths[column] - cell.count)
            let isLast = column == row.count - 1
            if column > 0 { line += "  " }
            if rightAligned.contains(column) {
                line += padding + cell
            } else {
                line += isLast ? cell : cell + padding
            }
        }
        return line
    }
}
