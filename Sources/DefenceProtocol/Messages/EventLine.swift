/// A room event as a value: `EVENT <room> <seq> <time> <type> [parameters…] [:text]` (PROTOCOL.md §4.3). It reads
/// and writes the line's head by name, so that no other module reads an event line by position.
public struct EventLine: Hashable, Sendable {
    /// The room.
    public var room: String
    /// The event's number, as the recipient knows it (the candidates' own numbering for a candidate).
    public var seq: Int
    /// The server's time of the event, as written (RFC 3339, milliseconds).
    public var time: String
    /// The event's type (§11.4).
    public var type: String
    /// The type's own parameters, in order, the final free text included when there is one.
    public var arguments: [String]
    /// Whether the last argument is free text.
    public var hasText: Bool

    /// Reads an `EVENT` line; `nil` for any other line, or one whose head is not room, number, time and type.
    public init?(_ message: Message) {
        self.init(message, verb: "EVENT")
    }

    /// Reads a `PAST` data line of `HISTORY` (§11.3): an event as it was delivered, in the reader's numbering.
    public init?(past message: Message) {
        self.init(message, verb: "PAST")
    }

    private init?(_ message: Message, verb: String) {
        let parameters = message.parameters
        guard message.verb == verb, parameters.count >= 4, let seq = Int(parameters[1]), seq >= 1,
            WireTime.parse(parameters[2]) != nil
        else { return nil }
        room = parameters[0]
        self.seq = seq
        time = parameters[2]
        type = parameters[3]
        arguments = Array(parameters.dropFirst(4))
        hasText = message.hasText && !arguments.isEmpty
    }

    /// The line, as the server writes it.
    public var message: Message {
        Message(verb: "EVENT", parameters: [room, String(seq), time, type] + arguments, hasText: hasText)
    }

    /// The same event as a `PAST` data line of `HISTORY`, tagged with the request's `id`.
    public func pastMessage(id: String?) -> Message {
        var line = Message(verb: "PAST", parameters: [room, String(seq), time, type] + arguments, hasText: hasText)
        line.setTag("id", id)
        return line
    }
}

/// A failure as a value: `FAIL <VERB or *> <CODE> [context…] :human text` (PROTOCOL.md §5).
public struct FailureLine: Hashable, Sendable {
    /// The verb of the failed request, or `*` for the connection.
    public var verb: String
    /// The code, as sent: a client acts on it (an unknown code is still a refusal, §10).
    public var code: String
    /// The context words.
    public var context: [String]
    /// The human text, for people.
    public var text: String

    /// The code as this version knows it, or `nil` for a code of a later version.
    public var knownCode: ErrorCode? { ErrorCode(rawValue: code) }

    /// Reads a `FAIL` line; `nil` for any other line, or one without a verb and a code.
    public init?(_ message: Message) {
        let parameters = message.parameters
        let head = message.hasText ? parameters.dropLast() : parameters[...]
        guard message.verb == "FAIL", head.count >= 2, let verb = head.first else { return nil }
        self.verb = verb
        code = head[head.index(after: head.startIndex)]
        context = Array(head.dropFirst(2))
        text = message.hasText ? (parameters.last ?? "") : ""
    }
}

/// A room's state as a value: `SNAPSHOT <room> <seq> <time> <state> key=value… [:title]` (PROTOCOL.md §11.3).
public struct SnapshotLine: Hashable, Sendable {
    /// The room.
    public var room: String
    /// The number of the last event it describes, in the recipient's numbering (§4.3).
    public var seq: Int
    /// The server's time when it was taken.
    public var time: String
    /// The room's state, as the recipient is told it.
    public var state: String
    /// The `key=value` items (`phase`, `phase-name`, `remaining-ms`, `ends-at`, `overtime`, `present`).
    public var items: [String: String]
    /// The room's title, if any.
    public var title: String?

    /// Reads a `SNAPSHOT` line; `nil` for any other line, or one whose head is not room, number, time and state.
    public init?(_ message: Message) {
        let parameters = message.parameters
        let head = message.hasText ? Array(parameters.dropLast()) : parameters
        guard message.verb == "SNAPSHOT", head.count >= 4, let seq = Int(head[1]), seq >= 0 else { return nil }
        room = head[0]
        self.seq = seq
        time = head[2]
        state = head[3]
        var items: [String: String] = [:]
        for item in head.dropFirst(4) {
            guard let equals = item.firstIndex(of: "=") else { continue }
            items[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        self.items = items
        title = message.hasText ? parameters.last : nil
    }
}
