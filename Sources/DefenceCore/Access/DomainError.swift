import DefenceProtocol

/// A refusal by the domain, with the stable protocol code it maps to one to one.
public struct DomainError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The protocol code.
    public var code: ErrorCode
    /// Context words placed between the code and the text in the `FAIL` line (e.g. the object's id).
    public var context: [String]
    /// A human explanation.
    public var text: String

    /// Creates a domain error.
    public init(_ code: ErrorCode, context: [String] = [], _ text: String) {
        self.code = code
        self.context = context
        self.text = text
    }

    public var description: String { "\(code.rawValue): \(text)" }
}
