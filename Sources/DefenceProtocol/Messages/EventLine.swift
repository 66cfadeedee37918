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
        let parameters = message.parameters
        guard message.verb == "EVENT", parameters.count >= 4, let seq = Int(parameters[1]), seq >= 1,
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
}
