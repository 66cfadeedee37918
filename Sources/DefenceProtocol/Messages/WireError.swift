/// A failure to read or decode a protocol line, with the code and text to send back.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failure code sent in the `FAIL` line.
    public var code: ErrorCode
    /// The verb the failure relates to, upper case, or `*` when the line had no usable verb.
    public var verb: String
    /// The request id (`id` tag) to echo, when one could be read.
    public var requestID: String?
    /// A human explanation; clients must not parse it.
    public var text: String

    /// Creates a wire error.
    public init(_ code: ErrorCode, verb: String = "*", requestID: String? = nil, _ text: String) {
        self.code = code
        self.verb = verb
        self.requestID = requestID
        self.text = text
    }

    public var description: String { "\(verb) \(code.rawValue): \(text)" }

    /// The `FAIL` line that reports this error.
    public var failMessage: Message {
        Message.fail(verb: verb, code: code, text: text, id: requestID)
    }
}
