/// The answer to one request: its data lines, then its terminal line.
public struct Reply: Sendable, Hashable {
    /// Data lines carrying the request's id, in order.
    public var data: [Message]
    /// The terminal line: `OK …`, `FAIL …`, or `PONG …` for `PING`.
    public var terminal: Message

    /// Creates a reply.
    public init(data: [Message], terminal: Message) {
        self.data = data
        self.terminal = terminal
    }

    /// The refusal, when the terminal line is a `FAIL`.
    public var failure: FailureLine? { FailureLine(terminal) }
}

/// What a client reads from the server, sorted: each line tagged with a pending request's id goes to that request
/// (its data lines are kept until its terminal line), and every other line is told apart by what it is
/// (PROTOCOL.md §4). Every client of this package reads through one, with one parser configuration.
///
/// A value: it does no IO. The connection feeds it the lines it reads and acts on what it returns.
public struct ReplyCorrelator: Sendable {
    /// One line, read.
    public enum Line: Sendable, Hashable {
        /// A data line of a pending request, kept for its reply.
        case data(id: String)
        /// The server asks for a pending request's payload (`CONTINUE`, §11.2).
        case payloadWanted(id: String)
        /// A pending request's terminal line (`OK`, `FAIL` or `PONG`), with the data lines before it.
        case reply(id: String, Reply)
        /// The server's `PING`: answer `PONG <token>` (§6.4).
        case ping(token: String)
        /// A room event (§4.3).
        case event(EventLine, Message)
        /// A room snapshot (§4.4).
        case snapshot(SnapshotLine, Message)
        /// `FAIL *` tied to no pending request: the server ends the session (`REVOKED`, `IDLE_TIMEOUT`, …) or
        /// refuses a line it could not read.
        case sessionFailure(FailureLine)
        /// Anything else: an unreadable line, a line for a request no longer pending, an unknown verb. A client
        /// ignores it (§4: unknown lines are skipped).
        case other(String)
    }

    private var pending: [String: [Message]] = [:]
    private let parser = LineParser(limits: .serverLines)

    /// An empty correlator.
    public init() {}

    /// Starts waiting for the reply to the request tagged `id`.
    public mutating func expect(_ id: String) {
        pending[id] = []
    }

    /// Stops waiting for a request (it timed out, or its connection is gone); returns whether it was pending.
    @discardableResult
    public mutating func forget(_ id: String) -> Bool {
        pending.removeValue(forKey: id) != nil
    }

    /// The ids of the requests still waiting.
    public var pendingIDs: [String] { Array(pending.keys) }

    /// Sorts one line read from the server.
    public mutating func read(_ line: String) -> Line {
        guard let message = try? parser.parse(line) else { return .other(line) }
        if let id = message.id, var data = pending[id] {
            switch message.verb {
            case "OK", "FAIL", "PONG":
                pending[id] = nil
                return .reply(id: id, Reply(data: data, terminal: message))
            case "CONTINUE":
                return .payloadWanted(id: id)
            default:
                data.append(message)
                pending[id] = data
                return .data(id: id)
            }
        }
        switch message.verb {
        case "PING" where message.id == nil:
            guard let token = message.parameters.first else { return .other(line) }
            return .ping(token: token)
        case "EVENT":
            return EventLine(message).map { .event($0, message) } ?? .other(line)
        case "SNAPSHOT":
            return SnapshotLine(message).map { .snapshot($0, message) } ?? .other(line)
        case "FAIL":
            guard let failure = FailureLine(message), failure.verb == "*" else { return .other(line) }
            return .sessionFailure(failure)
        default:
            return .other(line)
        }
    }

    /// Reads a greeting (`HELLO defence/1 …`, §6.1); nil for any other line.
    public static func greeting(_ line: String) -> Message? {
        guard let message = try? LineParser(limits: .serverLines).parse(line), message.verb == "HELLO",
            message.parameters.first == ProtocolVersion.current
        else { return nil }
        return message
    }
}
