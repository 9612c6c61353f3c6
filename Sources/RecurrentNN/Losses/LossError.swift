/// Why a loss refused its inputs. Each message is one line naming the argument.
public enum LossError: Error, CustomStringConvertible, Equatable {
    /// The logits or targets have the wrong shape.
    case shape(name: String, expected: String, found: [Int])
    /// A target is neither a class index `0..<C` nor the ignore index.
    case targetOutOfRange(index: Int, target: Int, classCount: Int)
    /// The label smoothing is outside `[0, 1]`.
    case labelSmoothing(Float)

    /// The one-line message.
    public var description: String {
        switch self {
        case .shape(let name, let expected, let found): return "\(name) has shape \(found), expected \(expected)"
        case .targetOutOfRange(let index, let target, let classCount):
            return "targets[\(index)] = \(target) is not a class in 0..<\(classCount) nor the ignore index"
        case .labelSmoothing(let value): return "label smoothing \(value) is outside [0, 1]"
        }
    }
}
