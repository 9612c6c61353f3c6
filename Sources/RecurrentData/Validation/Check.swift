import Foundation

/// A value from outside that is out of range or malformed: `what` names it (`--beam`, `config.json:
/// seq2seq.encoderLayers`), `problem` says what is wrong and what is allowed.
public struct ValidationFailure: Error, CustomStringConvertible, Equatable, Sendable {
    /// The option, key or field.
    public var what: String
    /// What is wrong, with the allowed range.
    public var problem: String

    /// Makes a failure.
    public init(_ what: String, _ problem: String) {
        self.what = what
        self.problem = problem
    }

    /// `WHAT: PROBLEM`, one line.
    public var description: String { "\(what): \(problem)" }
}

/// The one set of checks for values read from outside (see `Limits`). Each throws `ValidationFailure`
/// naming the value and the allowed range, so every command and loader words its errors the same way.
///
/// ```swift
/// try Check.count(beam, "--beam", in: 1...Limits.maximumBeamWidth)
/// // --beam: 100000 is out of range; it must be in 1...64
/// ```
public enum Check {
    /// An integer in `range`.
    public static func count(_ value: Int, _ what: String, in range: ClosedRange<Int>) throws(ValidationFailure) {
        guard range.contains(value) else {
            throw ValidationFailure(what, "\(value) is out of range; it must be in \(range.lowerBound)...\(range.upperBound)")
        }
    }

    /// A finite number in `range`.
    public static func number<F: BinaryFloatingPoint>(_ value: F, _ what: String, in range: ClosedRange<Double>) throws(ValidationFailure) {
        let x = Double(value)
        guard x.isFinite else { throw ValidationFailure(what, "\(x) is not a finite number") }
        guard range.contains(x) else {
            throw ValidationFailure(what, "\(x) is out of range; it must be in \(range.lowerBound)...\(range.upperBound)")
        }
    }

    /// A finite number in `lower..<upper` (a probability-like fraction: dropout, decay).
    public static func fraction<F: BinaryFloatingPoint>(_ value: F, _ what: String, in range: Range<Double> = 0..<1) throws(ValidationFailure) {
        let x = Double(value)
        guard x.isFinite, range.contains(x) else {
            throw ValidationFailure(what, "\(x) is out of range; it must be in [\(range.lowerBound), \(range.upperBound))")
        }
    }

    /// A learning rate: finite, positive, at most `Limits.maximumLearningRate`.
    public static func learningRate<F: BinaryFloatingPoint>(_ value: F, _ what: String) throws(ValidationFailure) {
        let x = Double(value)
        guard x.isFinite, x > 0, x <= Limits.maximumLearningRate else {
            throw ValidationFailure(what, "\(x) is not a usable learning rate; it must be finite, positive and at most \(Limits.maximumLearningRate)")
        }
    }

    /// Widths of a network: each in `1...Limits.maximumWidth` (named `prefix + name`).
    public static func widths(_ widths: KeyValuePairs<String, Int>, prefix: String = "") throws(ValidationFailure) {
        for (name, value) in widths { try count(value, prefix + name, in: 1...Limits.maximumWidth) }
    }

    /// An estimate of a model's parameter count (as `Double`, so it cannot overflow) within
    /// `Limits.maximumParameters`.
    public static func parameterCount(_ estimate: Double, _ what: String) throws(ValidationFailure) {
        guard estimate.isFinite, estimate <= Double(Limits.maximumParameters) else {
            throw ValidationFailure(what, String(format: "the sizes describe about %.3g parameters; the limit is %d", estimate, Limits.maximumParameters))
        }
    }

    /// Every value finite: the first non-finite one is named by `what` and its index.
    public static func finite(_ values: [Float], _ what: String) throws(ValidationFailure) {
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw ValidationFailure(what, "value \(index) is \(values[index]); weights must be finite")
        }
    }

    /// A condition that must hold; `problem` says what it means.
    public static func that(_ condition: Bool, _ what: String, _ problem: @autoclosure () -> String) throws(ValidationFailure) {
        guard condition else { throw ValidationFailure(what, problem()) }
    }
}
