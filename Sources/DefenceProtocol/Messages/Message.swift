/// One protocol line: optional tags, a verb and its parameters.
///
/// The last parameter is written as free text (`:text`) when ``hasText`` is set, and whenever it needs
/// to be: when it is empty, holds a space or starts with `:`. Parsing and serializing are exact inverses
/// for every message whose non-final parameters are non-empty, space-free and do not start with `:`, and
/// whose ``hasText`` is set when its last parameter needs the colon.
public struct Message: Hashable, Sendable, CustomStringConvertible {
    /// Tags, in order. Keys are unique; unknown keys are carried, never rejected.
    public var tags: [Tag]
    /// The verb, in canonical upper case.
    public var verb: String
    /// The parameters; only the last one may contain spaces.
    public var parameters: [String]
    /// Whether the last parameter is free text, written after `:` (set by the parser when it saw one).
    public var hasText: Bool

    /// A tag: `key=value`, the value unescaped.
    public struct Tag: Hashable, Sendable {
        /// The key: letters, digits, `-`, `/`, `.`, optionally prefixed by `+`.
        public var key: String
        /// The value, unescaped; empty when the tag had none.
        public var value: String

        /// Creates a tag.
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// Creates a message. The verb is upper-cased.
    public init(tags: [Tag] = [], verb: String, parameters: [String] = [], hasText: Bool = false) {
        self.tags = tags
        self.verb = verb.uppercased()
        self.parameters = parameters
        self.hasText = hasText && !parameters.isEmpty
    }

    /// Creates a message with an optional request id and, optionally, a final free-text parameter.
    public init(id: String?, verb: String, _ parameters: [String] = [], text: String? = nil) {
        self.init(
            tags: id.map { [Tag("id", $0)] } ?? [],
            verb: verb,
            parameters: parameters + (text.map { [$0] } ?? []),
            hasText: text != nil
        )
    }

    /// The value of the tag `key`, if present.
    public func tag(_ key: String) -> String? {
        tags.last(where: { $0.key == key })?.value
    }

    /// The request id (`id` tag), if present.
    public var id: String? { tag("id") }

    /// Sets or removes the tag `key`.
    public mutating func setTag(_ key: String, _ value: String?) {
        tags.removeAll { $0.key == key }
        if let value { tags.append(Tag(key, value)) }
    }

    /// The line without its ending LF.
    public var serialized: String {
        var line = ""
        if !tags.isEmpty {
            line += "@"
            line += tags.map { $0.value.isEmpty ? $0.key : "\($0.key)=\(TagEscaping.escape($0.value))" }
                .joined(separator: ";")
            line += " "
        }
        line += verb
        for (index, parameter) in parameters.enumerated() {
            line += " "
            let isLast = index == parameters.count - 1
            // Decided on Unicode scalars, as the parser cuts the line.
            if isLast && (hasText || parameter.isEmpty || parameter.unicodeScalars.contains(" ") || parameter.unicodeScalars.first == ":") {
                line += ":" + parameter
            } else {
                line += parameter
            }
        }
        return line
    }

    public var description: String { serialized }

    /// A `FAIL` line: `FAIL <verb> <CODE> [context…] :text`.
    public static func fail(
        verb: String,
        code: ErrorCode,
        context: [String] = [],
        text: String,
        id: String? = nil
    ) -> Message {
        Message(id: id, verb: "FAIL", [verb.uppercased(), code.rawValue] + context, text: text)
    }

    /// An `OK` line: `OK <verb> [parameters…] [:text]`.
    public static func ok(verb: String, _ parameters: [String] = [], text: String? = nil, id: String? = nil) -> Message {
        Message(id: id, verb: "OK", [verb.uppercased()] + parameters, text: text)
    }
}
