import DefenceProtocol
import Foundation

/// The requests a console typed that have no answer yet, in order, each with its idempotency key
/// (PROTOCOL.md §4.4). A value: it is kept on disk between runs, so that what was typed during a drop, or
/// before the console was killed, is still sent, once.
public struct Outbox: Codable, Sendable, Equatable {
    /// One request waiting for its answer.
    public struct Item: Codable, Sendable, Equatable {
        /// Its idempotency key.
        public var key: String
        /// The request as its protocol line, without tags.
        public var line: String
        /// When it was typed.
        public var queuedAt: Date

        /// The request, read back from its line; nil for a line this version cannot read (it is then dropped).
        public var command: Command? {
            guard let message = try? LineParser(limits: .serverLines).parse(line) else { return nil }
            return try? Command(message)
        }
    }

    /// Names this console's keys: unique per profile, room and user, so that keys never repeat.
    public var clientID: String
    /// The number of the last key given.
    public var counter: Int
    /// The requests waiting, oldest first.
    public var items: [Item]

    /// An empty outbox.
    public init(clientID: String) {
        self.clientID = clientID
        counter = 0
        items = []
    }

    /// Queues a request; returns its item.
    @discardableResult
    public mutating func enqueue(_ command: Command, at now: Date) -> Item {
        counter += 1
        let item = Item(key: "\(clientID)-\(counter)", line: command.message(id: nil).serialized, queuedAt: now)
        items.append(item)
        return item
    }

    /// Takes an answered request out.
    public mutating func remove(key: String) {
        items.removeAll { $0.key == key }
    }

    /// Drops the requests that can no longer matter: lines this version cannot read. Returns them.
    public mutating func dropUnreadable() -> [Item] {
        let unreadable = items.filter { $0.command == nil }
        items.removeAll { $0.command == nil }
        return unreadable
    }

    /// The commands waiting, in order.
    public var commands: [Command] { items.compactMap(\.command) }
}

/// Sends a console's requests through its outbox: each is written to disk before it is sent, sent with its key,
/// and taken out only when its terminal reply came. A request whose connection dropped stays queued and goes again,
/// in order, once the session is back (``flush()``); the server carries each out once.
public actor RequestOutbox {
    /// What became of a request.
    public enum Outcome: Sendable, Equatable {
        /// Answered: `OK` or `FAIL` (a refusal is shown on the item it concerns).
        case answered(Command, Reply)
        /// No answer yet (the connection is down): it stays queued.
        case queued(Command)
    }

    private let session: LiveSession
    private let save: @Sendable (Outbox) throws -> Void
    private var outbox: Outbox
    private var flushing = false

    /// An outbox over `session`, starting from `outbox` (read from disk), saving every change with `save`.
    public init(session: LiveSession, outbox: Outbox, save: @escaping @Sendable (Outbox) throws -> Void) {
        self.session = session
        self.outbox = outbox
        self.save = save
    }

    /// The requests still waiting.
    public var waiting: [Command] { outbox.commands }

    /// The outbox as it is now.
    public var current: Outbox { outbox }

    /// Queues `command`, saves, and sends it unless older requests wait (order is kept); returns what became of it.
    public func send(_ command: Command, at now: Date = Date()) async throws -> Outcome {
        let item = outbox.enqueue(command, at: now)
        try save(outbox)
        guard outbox.items.first?.key == item.key else { return .queued(command) }
        return try await deliver(item, command)
    }

    /// Drops every waiting request (the room is over) and saves.
    public func discardAll() throws {
        outbox.items.removeAll()
        try save(outbox)
    }

    /// Sends every waiting request, in order, until one gets no answer; returns the answers.
    public func flush() async throws -> [Outcome] {
        guard !flushing else { return [] }
        flushing = true
        defer { flushing = false }
        var outcomes: [Outcome] = []
        while let item = outbox.items.first {
            guard let command = item.command else {
                outbox.remove(key: item.key)
                try save(outbox)
                continue
            }
            let outcome = try await deliver(item, command)
            outcomes.append(outcome)
            if case .queued = outcome { break }
        }
        return outcomes
    }

    private func deliver(_ item: Outbox.Item, _ command: Command) async throws -> Outcome {
        do {
            let reply = try await session.request(command, key: item.key)
            outbox.remove(key: item.key)
            try save(outbox)
            return .answered(command, reply)
        } catch ClientError.closed, ClientError.timeout {
            return .queued(command)
        }
    }
}
