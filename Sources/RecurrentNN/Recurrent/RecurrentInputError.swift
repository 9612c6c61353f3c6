/// Why a recurrent layer or cell refused its input. Each message says what was expected and what came.
public enum RecurrentInputError: Error, CustomStringConvertible, Equatable {
    /// The input is not 3-D (layers) or 2-D (cells), or its feature size differs from `inputSize`.
    case inputShape(expected: String, found: [Int])
    /// An initial state has the wrong shape.
    case stateShape(name: String, expected: [Int], found: [Int])
    /// An LSTM was given no cell state with its hidden state, or another kind was given one.
    case cellState(String)
    /// The lengths array does not have one entry per batch element.
    case lengthsCount(expected: Int, found: Int)
    /// A length is 0 or exceeds the sequence length.
    case lengthOutOfRange(index: Int, length: Int, sequenceLength: Int)

    public var description: String {
        switch self {
        case .inputShape(let expected, let found): return "input shape \(found) does not match the expected \(expected)"
        case .stateShape(let name, let expected, let found): return "\(name) has shape \(found), expected \(expected)"
        case .cellState(let message): return message
        case .lengthsCount(let expected, let found): return "lengths has \(found) entries for a batch of \(expected)"
        case .lengthOutOfRange(let index, let length, let sequenceLength):
            return "lengths[\(index)] = \(length) is outside 1...\(sequenceLength)"
        }
    }
}
