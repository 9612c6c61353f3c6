/// The result of running one golden case through the library.
public struct ParityReport {
    /// One compared tensor: a forward output (`output.h_n`) or a gradient (`grad.param.weight_ih_l0`).
    public struct Entry {
        /// The key in the case file.
        public var name: String
        /// The largest |ours − PyTorch's|.
        public var maxAbsoluteError: Float
        /// The largest |ours − PyTorch's| / (1 + |PyTorch's|); must stay ≤ the tolerance.
        public var maxScaledError: Float
    }

    /// The case file's name without extension.
    public var caseName: String
    /// The PyTorch module or function the case exercises.
    public var module: String
    /// Every compared tensor.
    public var entries: [Entry]
    /// The tolerance on the scaled error: |a − b| ≤ tolerance · (1 + |b|).
    public var tolerance: Float

    /// Whether every entry is within tolerance.
    public var passed: Bool { entries.allSatisfy { $0.maxScaledError <= tolerance } }
}

/// Why a parity case could not be run.
public struct ParityError: Error, CustomStringConvertible {
    /// What is wrong, naming the file and the key.
    public var description: String
    init(_ description: String) { self.description = description }
}
