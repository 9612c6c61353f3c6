import RecurrentNN

/// Tagging accuracy against gold tags, per-tag precision, recall and F1, and the most frequent confusions:
/// the library's `ClassificationMetrics`, counting words and calling classes tags.
public typealias TaggerEvaluation = ClassificationMetrics
