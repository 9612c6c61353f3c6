import RecurrentData

/// One JSON value of a case's metadata, decoded strictly: a boolean is never read as a number, and an
/// integer is a JSON number without a fraction that fits in `Int`.
public enum CaseValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([CaseValue])
    case object([String: CaseValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Int.self) { self = .integer(value); return }
        if let value = try? container.decode(Double.self) { self = .number(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([CaseValue].self) { self = .array(value); return }
        self = .object(try container.decode([String: CaseValue].self))
    }

    /// The value as it would be written in JSON (strings quoted), for error messages.
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .integer(let value): return "\(value)"
        case .number(let value): return "\(value)"
        case .string(let value): return "\"\(value)\""
        case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .object(let members): return "{" + members.keys.sorted().map { "\"\($0)\": \(members[$0]!)" }.joined(separator: ", ") + "}"
        }
    }
}

/// The limits a case's metadata must keep before any module is built or memory allocated (the library's
/// `Limits`, as ranges, plus two of attention's own). Each is named in the error message that reports a
/// value outside it.
public enum ParityLimits {
    /// Feature, hidden, projection, embedding, kdim and vdim sizes.
    public static let size = 1...Limits.maximumWidth
    /// Stacked recurrent layers (`num_layers`).
    public static let layers = 1...Limits.maximumLayers
    /// Attention heads (`num_heads`).
    public static let heads = 1...1_024
    /// Attention weights an attention case may imply (broadcast batch axes × queries × keys): inputs that
    /// broadcast against each other could otherwise ask for far more memory than the file holds.
    public static let attentionWeights = 0...(1 << 24)
}
