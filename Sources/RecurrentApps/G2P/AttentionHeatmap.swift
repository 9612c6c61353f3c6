import Foundation

/// Renders attention weights as an SVG heatmap: one row per input symbol (letters, top to bottom), one
/// column per output symbol (phonemes, left to right); darker cells have larger `α`.
public enum AttentionHeatmap {
    /// Escapes text for XML.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&apos;")
    }

    /// The SVG document.
    ///
    /// - Parameters:
    ///   - weights: `weights[output][input]`, each in `[0, 1]`.
    ///   - inputs: row labels (`weights[j].count` of them).
    ///   - outputs: column labels (`weights.count` of them).
    ///   - title: drawn above the grid.
    public static func svg(weights: [[Float]], inputs: [String], outputs: [String], title: String) -> String {
        precondition(weights.count == outputs.count && weights.allSatisfy { $0.count == inputs.count },
                     "AttentionHeatmap: weights must be [outputs][inputs]")
        let cell = 28, left = 40, top = 70, labelGap = 6
        let footer = "rows: input symbols, columns: output symbols; darker = larger attention weight α"
        // Wide enough for the grid, the title (bold 14 px) and the footer (11 px).
        let width = Swift.max(left + outputs.count * cell + 20, left + title.count * 10 + 20, left + footer.count * 6 + 20)
        let height = top + inputs.count * cell + 50
        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="white"/>
        <text x="\(left)" y="20" font-size="14" font-weight="bold">\(escaped(title))</text>

        """
        for (j, label) in outputs.enumerated() {
            let x = left + j * cell + cell / 2, y = top - labelGap
            svg += "<text x=\"\(x)\" y=\"\(y)\" font-size=\"11\" text-anchor=\"start\" transform=\"rotate(-60 \(x) \(y))\">\(escaped(label))</text>\n"
        }
        for (i, label) in inputs.enumerated() {
            svg += "<text x=\"\(left - labelGap)\" y=\"\(top + i * cell + cell / 2 + 4)\" font-size=\"12\" text-anchor=\"end\">\(escaped(label))</text>\n"
        }
        for (j, row) in weights.enumerated() {
            for (i, value) in row.enumerated() {
                let a = Swift.min(Swift.max(Double(value), 0), 1)
                // White (α = 0) to dark blue (α = 1).
                let r = Int(255 - 247 * a), g = Int(255 - 207 * a), b = Int(255 - 148 * a)
                svg += String(format: "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" stroke=\"#dddddd\" stroke-width=\"0.5\"><title>%@ → %@: %.3f</title></rect>\n",
                              left + j * cell, top + i * cell, cell, cell, r, g, b, escaped(inputs[i]), escaped(outputs[j]), a)
            }
        }
        svg += "<text x=\"\(left)\" y=\"\(height - 15)\" font-size=\"11\" fill=\"#555555\">\(escaped(footer))</text>\n"
        svg += "</svg>\n"
        return svg
    }
}
