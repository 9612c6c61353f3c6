/// The result of running one golden case through the library.
public struct ParityReport {
    /// One compared tensor: a forward output (`output.h_n`) or a gradient (`grad.param.weight_ih_l0`).
    public struct Entry {
        /// The key in the case file.
        public var name: String
        /// The largest |ours − PyTorch's| over the values where ours is finite.
        public var maxAbsoluteError: Float
        /// The largest |ours − PyTorch's| / (1 + |PyTorch's|); must stay ≤ the tolerance. Infinite when
        /// any of our values is NaN or ±Inf (PyTorch's are always finite).
        public var maxScaledError: Float
        /// How many of our values are NaN or ±Inf (each one fails the entry).
        public var nonFiniteCount: Int

        /// Compares our values with PyTorch's (equally many; PyTorch's finite).
        public init(name: String, ours: [Float], expected: [Float]) {
            precondition(ours.count == expected.count, "ParityReport.Entry: \(ours.count) values against \(expected.count)")
            var maxAbsolute: Float = 0, maxScaled: Float = 0, nonFinite = 0
            for (a, b) in zip(ours, expected) {
                guard a.isFinite else { nonFinite += 1; continue }
                let d = Swift.abs(a - b)
                maxAbsolute = Swift.max(maxAbsolute, d)
                maxScaled = Swift.max(maxScaled, d / (1 + Swift.abs(b)))
            }
            self.name = name
            self.maxAbsoluteError = maxAbsolute
            self.maxScaledError = nonFinite > 0 ? .infinity : maxScaled
            self.nonFiniteCount = nonFinite
        }

        /// Whether the entry is within `tolerance` (and all our values are finite).
        public func passes(_ tolerance: Float) -> Bool { nonFiniteCount == 0 && maxScaledError <= tolerance }
    }

    /// The case file's name without extension.
    public var caseName: String
    /// The PyTorch module or function the case exercises.
    public var module: String
    /// Every compared tensor: every output and gradient in the file, which are exactly those the library computes.
    public var entries: [Entry]
    /// The tolerance on the scaled error: |a − b| ≤ tolerance · (1 + |b|).
    public var tolerance: Float

    /// A report of compared entries.
    public init(caseName: String, module: String, entries: [Entry], tolerance: Float) {
        (self.caseName, self.module, self.entries, self.tolerance) = (caseName, module, entries, tolerance)
    }

    /// Whether every entry is within tolerance.
    public var passed: Bool { entries.allSatisfy { $0.passes(tolerance) } }

    /// The entry with the largest scaled error (nil only for a report without entries).
    public var worst: Entry? { entries.max { $0.maxScaledError < $1.maxScaledError } }
}

/// Why a parity case could not be run.
public struct ParityError: Error, CustomStringConvertible {
    /// What is wrong, naming the key (the command prefixes the file).
    public var description: String
    init(_ description: String) { self.description = description }
}
