import DefenceProtocol
import NIOSSL
import Synchronization

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
            throw ClientError.tls(ClientError.reason(of: error))
        }
        guard let greeting = ReplyCorrelator.greeting(first) else {
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
    /// - Throws: ``ClientError/failed(code:text:line:)`` for a `FAIL` reply or a `FAIL *` that ends the session,
    ///   ``ClientError/timeout``, ``ClientError/closed``.
    public func request(_ command: Command, timeout: Duration = .seconds(30)) async throws -> Reply {
        let reply = try await exchange(command, timeout: timeout, failOnSessionEnd: true)
        if let failure = reply.failure {
            throw ClientError.failed(code: failure.code, text: failure.text, line: reply.terminal.serialized)
        }
        return reply
    }

    /// Sends a command and returns the data lines and the terminal line, whether it is `OK` or `FAIL`. With
    /// `payload` (the CSV lines of `DAY-IMPORT`), the lines are sent once the server asked for them (`CONTINUE`),
    /// each behind `|`; a refused request sends none of them.
    /// - Throws: ``ClientError/timeout``, ``ClientError/closed``.
    public func exchange(_ command: Command, payload: [String] = [], timeout: Duration = .seconds(60)) async throws -> Reply {
        try await exchange(command, payload: payload, timeout: timeout, failOnSessionEnd: false)
    }

    private func exchange(_ command: Command, payload: [String] = [], timeout: Duration, failOnSessionEnd: Bool) async throws -> Reply {
        let id = counter.withLock { value in
            value += 1
            return "c\(value)"
        }
        var correlator = ReplyCorrelator()
        correlator.expect(id)
        try await lines.send(command.message(id: id).serialized)
        while true {
            let line = try await lines.nextLine(timeout: timeout)
            switch correlator.read(line) {
            case .reply(_, let reply):
                return reply
            case .payloadWanted:
                for line in payload { try await lines.send("|" + line) }
            case .ping(let token):
                try await lines.send(Command.pong(token: token).message().serialized)
            case .sessionFailure(let failure) where failOnSessionEnd:
                throw ClientError.failed(code: failure.code, text: failure.text, line: line)
            case .data, .event, .snapshot, .sessionFailure, .other:
                continue
            }
        }
    }

    /// Sends `QUIT` and closes.
    public func close() async {
        _ = try? await request(.quit, timeout: .seconds(2))
        await lines.close()
    }
}
