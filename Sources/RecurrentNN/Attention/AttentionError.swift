/// Why an attention layer or function refused its inputs. Each message is one line that names the
/// argument, what was expected and what came.
public enum AttentionError: Error, CustomStringConvertible, Equatable {
    /// An input has the wrong rank or an extent that does not match the others.
    case inputShape(name: String, expected: String, found: [Int])
    /// A mask does not broadcast to the shape of the attention weights.
    case maskShape(name: String, found: [Int], target: [Int])
    /// The key lengths do not have one entry per batch element.
    case lengthsCount(expected: Int, found: Int)
    /// A key length is negative or longer than the keys.
    case lengthOutOfRange(index: Int, length: Int, keyCount: Int)
    /// A PyTorch feature the layer does not implement (`add_bias_kv`, `add_zero_attn`), named as PyTorch names it.
    case unsupported(String)

    /// The one-line message.
    public var description: String {
        switch self {
        case .inputShape(let name, let expected, let found):
            return "\(name) has shape \(found), expected \(expected)"
        case .maskShape(let name, let found, let target):
            return "\(name) has shape \(found), which does not broadcast to the attention weights' shape \(target)"
        case .lengthsCount(let expected, let found):
            return "key lengths have \(found) entries for a batch of \(expected)"
        case .lengthOutOfRange(let index, let length, let keyCount):
            return "key lengths[\(index)] = \(length) is outside 0...\(keyCount)"
        case .unsupported(let feature):
            return "unsupported: \(feature)"
        }
    }
}
