import DefenceProtocol
import NIOSSL
import Synchronization

/// The answer to one request: its data lines, then its terminal line.
public struct Reply: Sendable, Hashable {
    /// Data lines carrying the request's id, in order.
    public var data: [Message]
    /// The terminal line: `OK …` (or `PONG …` for `PING`).
    public var terminal: Message
}

/// A protocol session: reads the greeting, authenticates, and correlates requests and replies by id.
///
/// Server `PING`s met while waiting are answered. (Room events arrive with the rooms issue.)
public final class DefenceConnection: Sendable {
    /// The raw line connection underneath.
    public let lines: LineConnection
    /// The server's greeting.
    public let greeting: Message
    private let counter = Mutex(0)

    private init(lines: LineConnection, greeting: Message) {
        self.lines = lines
        self.greeting = greeting
    }

    /// Connects, verifies the server certificate and reads the greeting.
    /// - Throws: TLS or connection errors; ``ClientError/unexpected(_:)`` when the greeting is not `HELLO defence/1`.
    public static func connect(host: String, port: Int, tls: TLSConfiguration, pin: String? = nil) async throws -> DefenceConnection {
        let lines = try await LineConnection.connect(host: host, port: port, tls: tls, pinnedSHA256: pin)
        let first: String
        do {
            first = try await lines.nextLine(timeout: .seconds(10))
        } catch let error as NIOSSLError {
            await lines.close()
            throw ClientError.tls("\(error)")
        }
        guard let greeting = try? LineParser().parse(first), greeting.verb == "HELLO",
            greeting.parameters.first == ProtocolVersion.current
        else {
            await lines.close()
            throw ClientError.unexpected(first)
        }
        return DefenceConnection(lines: lines, greeting: greeting)
    }

    /// Authenticates with a token.
    /// - Returns: the `OK AUTH <user> <role> :<display name>` line.
    /// - Throws: ``ClientError/failed(code:text:line:)`` with `AUTH_FAILED` when the token is refused.
    @discardableResult
    public func authenticate(token: String) async throws -> Message {
        try await request(.auth(token: token)).terminal
    }

    /// Sends a command and waits for its terminal reply.
    /// - Throws: ``ClientError/failed(code:text:line:)`` for a `FAIL` reply, ``ClientError/timeout``,
    ///   ``ClientError/closed``.
    public func request(_ command: Command, timeout: Duration = .seconds(30)) async throws -> Reply {
        let id = counter.withLock { value in
            value += 1
            return "c\(value)"
        }
        try await lines.send(command.message(id: id).serialized)
        var data: [Message] = []
        while true {
            let line = try await lines.nextLine(timeout: timeout)
            guard let message = try? LineParser(limits: Limits(maxLineBytes: 65_536)).parse(line) else { continue }
            if message.id == id {
                switch message.verb {
                case "OK", "PONG":
                    return Reply(data: data, terminal: message)
                case "FAIL":
                    let failure = FailureLine(message)
                    throw ClientError.failed(code: failure?.code ?? "?", text: failure?.text ?? "", line: line)
                default:
                    data.append(message)
                }
            } else if message.verb == "PING", message.id == nil, let token = message.parameters.first {
                try await lines.send(Command.pong(token: token).message().serialized)
            } else if let failure = FailureLine(message), failure.verb == "*" {
                throw ClientError.failed(code: failure.code, text: failure.text, line: line)
            }
        }
    }

    /// Sends a command and returns the data lines and the terminal line, whether it is `OK` or `FAIL`. With
    /// `payload` (the CSV lines of `DAY-IMPORT`), the lines are sent once the server asked for them (`CONTINUE`),
    /// each behind `|`; a refused request sends none of them.
    /// - Throws: ``ClientError/timeout``, ``ClientError/closed``.
    public func exchange(_ command: Command, payload: [String] = [], timeout: Duration = .seconds(60)) async throws -> Reply {
        let id = counter.withLock { value in
            value += 1
            return "c\(value)"
        }
        try await lines.send(command.message(id: id).serialized)
        var data: [Message] = []
        while true {
            let line = try await lines.nextLine(timeout: timeout)
            guard let message = try? LineParser(limits: Limits(maxLineBytes: 65_536)).parse(line) else { continue }
            if message.id == id {
                if ["OK", "FAIL", "PONG"].contains(message.verb) { return Reply(data: data, terminal: message) }
                if message.verb == "CONTINUE" {
                    for line in payload { try await lines.send("|" + line) }
                    continue
                }
                data.append(message)
            } else if message.verb == "PING", message.id == nil, let token = message.parameters.first {
                try await lines.send(Command.pong(token: token).message().serialized)
            }
        }
    }

    /// Sends `QUIT` and closes.
    public func close() async {
        _ = try? await request(.quit, timeout: .seconds(2))
        await lines.close()
    }
}
