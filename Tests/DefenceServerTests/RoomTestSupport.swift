import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
import Foundation
import Synchronization
import Testing

/// A participant's connection that records every line it receives, for assertions over a whole defence.
final class RoomClient: Sendable {
    let name: String
    let connection: LineConnection
    private let received = Mutex<[String]>([])
    private let parsedLines = Mutex<[Message]>([])
    private let counter = Mutex(0)

    init(name: String, connection: LineConnection) {
        self.name = name
        self.connection = connection
    }

    static func connect(_ server: TestServer, name: String, token: String) async throws -> RoomClient {
        let connection = try await server.connect(token: token)
        return RoomClient(name: name, connection: connection)
    }

    /// Every line received so far.
    var lines: [String] { received.withLock { $0 } }

    /// Every line received so far, parsed.
    var messages: [Message] { parsedLines.withLock { $0 } }

    /// The room events received so far, parsed.
    var events: [Message] { messages.filter { $0.verb == "EVENT" } }

    /// Reads lines until one satisfies `predicate`; returns it.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(5), _ predicate: (Message) -> Bool) async throws -> Message {
        if let found = messages.first(where: predicate) { return found }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let line: String
            do {
                line = try await connection.nextLine(timeout: timeout)
            } catch {
                throw ProcessTests.ProcessTestError("\(name) did not receive \(what) (\(error)); last lines: \(lines.suffix(6))")
            }
            received.withLock { $0.append(line) }
            let message = try parsed(line)
            parsedLines.withLock { $0.append(message) }
            if predicate(message) { return message }
        }
        throw ProcessTests.ProcessTestError("\(name) did not receive \(what); got \(lines.suffix(5))")
    }

    /// Waits for the room event of this type (and optional first parameter).
    @discardableResult
    func event(_ type: String, _ first: String? = nil) async throws -> Message {
        try await waitFor("EVENT \(type) \(first ?? "")") {
            guard let event = EventLine($0) else { return false }
            return event.type == type && (first == nil || event.arguments.first == first)
        }
    }

    /// Sends a request and returns its terminal line (`OK …` or `FAIL …`).
    @discardableResult
    func request(_ line: String) async throws -> Message {
        let id = counter.withLock { value -> String in
            value += 1
            return "\(name)-\(value)"
        }
        // A line with its own tags (`@key=…`) gets the id among them.
        try await connection.send(line.hasPrefix("@") ? "@id=\(id);" + line.dropFirst() : "@id=\(id) \(line)")
        return try await waitFor("the reply to \(line)") { $0.id == id && ($0.verb == "OK" || $0.verb == "FAIL" || $0.verb == "PONG") }
    }

    /// Sends a request that must succeed.
    @discardableResult
    func ok(_ line: String) async throws -> Message {
        let reply = try await request(line)
        #expect(reply.verb == "OK", "\(name): \(line) → \(reply.serialized)")
        return reply
    }

    func close() async {
        await connection.close()
    }
}

extension Message {
    /// For an EVENT line: its sequence number.
    var eventSeq: Int? { EventLine(self)?.seq }
    /// For an EVENT line: its type.
    var eventType: String? { EventLine(self)?.type }
    /// For an `OK <VERB> <args…>` line: the words after the verb, the free text last when there is one;
    /// `nil` for any other line. `OK` replies have no typed value of their own.
    var okArguments: [String]? { verb == "OK" && !parameters.isEmpty ? Array(parameters.dropFirst()) : nil }
    /// For a FAIL line: its code; `nil` for any other line.
    var failureCode: String? { FailureLine(self)?.code }
}

extension TestServer {
    /// Creates users of a role and returns their tokens, in order.
    func makeUsers(_ ids: [String], role: Role) async throws -> [String] {
        var tokens: [String] = []
        for id in ids { tokens.append(try await makeUser(id, role: role, name: id.capitalized)) }
        return tokens
    }
}
