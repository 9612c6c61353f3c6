import Foundation

/// Accuracy against gold labels, per-class precision, recall and F1, and the most frequent confusions — for
/// classification (a label per sequence) and labelling (a label per token) alike; the tagger reports with it.
///
/// ```swift
/// var metrics = ClassificationMetrics(itemName: "sentences", className: "language")
/// metrics.add(gold: ["en", "fr"], predicted: ["en", "en"])
/// print(metrics.report())   // accuracy 50.00% (1 of 2 sentences), a per-class table, the confusions
/// ```
public struct ClassificationMetrics: Equatable, Sendable {
    /// Scores of one class.
    public struct TagScore: Equatable, Sendable {
        /// The class (a tag).
        public var tag: String
        /// Words whose gold tag is `tag`.
        public var support: Int
        /// Words predicted as `tag`.
        public var predicted: Int
        /// Words predicted as `tag` whose gold tag is `tag`.
        public var correct: Int
        /// correct / predicted (0 when nothing was predicted).
        public var precision: Double { predicted == 0 ? 0 : Double(correct) / Double(predicted) }
        /// correct / support (0 when there is no support).
        public var recall: Double { support == 0 ? 0 : Double(correct) / Double(support) }
        /// The harmonic mean of precision and recall.
        public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
    }

    /// What is counted, in the report ("words", "sentences").
    public var itemName: String
    /// What a class is called, in the report's table ("tag", "class").
    public var className: String

    /// A gold class predicted as another, and how often.
    public struct Confusion: Equatable, Sendable {
        /// The gold tag.
        public var gold: String
        /// The predicted tag.
        public var predicted: String
        /// How many words.
        public var count: Int
    }

    /// Words scored.
    public private(set) var total = 0
    /// Words tagged correctly.
    public private(set) var correct = 0
    private var support: [String: Int] = [:]
    private var predictedCount: [String: Int] = [:]
    private var correctCount: [String: Int] = [:]
    private var confusionCount: [String: [String: Int]] = [:]

    /// An empty evaluation, reporting counts as `itemName` and classes as `className`.
    public init(itemName: String = "words", className: String = "tag") {
        self.itemName = itemName
        self.className = className
    }

    /// Scores predictions against gold labels.
    /// - Parameters:
    ///   - gold: `[sequences][labels]` (one label per sequence: `[[label]]`).
    ///   - predicted: the same shape.
    public init(gold: [[String]], predicted: [[String]], itemName: String = "words", className: String = "tag") {
        self.init(itemName: itemName, className: className)
        for (g, p) in zip(gold, predicted) { add(gold: g, predicted: p) }
    }

    /// Adds one sentence (the shorter of the two lists sets how many words count).
    public mutating func add(gold: [String], predicted: [String]) {
        for (g, p) in zip(gold, predicted) {
            total += 1
            support[g, default: 0] += 1
            predictedCount[p, default: 0] += 1
            if g == p {
                correct += 1
                correctCount[g, default: 0] += 1
            } else {
                confusionCount[g, default: [:]][p, default: 0] += 1
            }
        }
    }

    /// correct / total (0 for an empty evaluation).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Every tag seen in gold or predictions, sorted by name.
    public var tagScores: [TagScore] {
        Set(support.keys).union(predictedCount.keys).sorted().map { tag in
            TagScore(tag: tag, support: support[tag] ?? 0, predicted: predictedCount[tag] ?? 0, correct: correctCount[tag] ?? 0)
        }
    }

    /// The confusions, most frequent first (ties by gold then predicted tag).
    public func confusions(limit: Int = 10) -> [Confusion] {
        let all = confusionCount.flatMap { gold, row in row.map { Confusion(gold: gold, predicted: $0.key, count: $0.value) } }
        return Array(all.sorted {
            ($0.count, $1.gold, $1.predicted) > ($1.count, $0.gold, $0.predicted)
        }.prefix(limit))
    }

    /// A readable report: accuracy, a per-tag table and the most frequent confusions.
    public func report(confusionLimit: Int = 10) -> String {
        var lines = [String(format: "accuracy %.2f%% (%d of %d %@)", 100 * accuracy, correct, total, itemName), ""]
        let width = Swift.max(5, tagScores.map(\.tag.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func left(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        lines.append(pad(className, width) + "  precision  recall      F1  support")
        for score in tagScores {
            lines.append(pad(score.tag, width) + "  " + left(String(format: "%.2f", 100 * score.precision), 9)
                         + "  " + left(String(format: "%.2f", 100 * score.recall), 6)
                         + "  " + left(String(format: "%.2f", 100 * score.f1), 6)
                         + "  " + left(String(score.support), 7))
        }
        let confusions = confusions(limit: confusionLimit)
        if !confusions.isEmpty {
            lines.append("")
            lines.append("most frequent confusions (gold → predicted):")
            for c in confusions { lines.append("  \(pad(c.gold, width)) → \(pad(c.predicted, width))  \(c.count)") }
        }
        return lines.joined(separator: "\n")
    }
}
