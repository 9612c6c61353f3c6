import RecurrentCore

/// Shuffling and bounded random integers that depend only on the generator's state — not on the Swift
/// version (the standard library's `shuffle(using:)` algorithm is not guaranteed to stay the same), so a
/// seed gives the same data order everywhere, forever.
public enum SeededShuffle {
    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject method, no modulo bias).
    /// - Precondition: `bound > 0`.
    public static func uniform(below bound: Int, using generator: inout Xoshiro256StarStar) -> Int {
        precondition(bound > 0, "SeededShuffle.uniform: bound must be > 0")
        let range = UInt64(bound)
        var product = generator.next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = generator.next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Shuffles `elements` in place (Fisher–Yates, from the back).
    public static func shuffle<Element>(_ elements: inout [Element], using generator: inout Xoshiro256StarStar) {
        guard elements.count > 1 else { return }
        for i in stride(from: elements.count - 1, to: 0, by: -1) {
            let j = uniform(below: i + 1, using: &generator)
            if i != j { elements.swapAt(i, j) }
        }
    }

    /// A shuffled copy of `elements`.
    public static func shuffled<Element>(_ elements: [Element], using generator: inout Xoshiro256StarStar) -> [Element] {
        var copy = elements
        shuffle(&copy, using: &generator)
        return copy
    }
}
