import DefenceCore
import Foundation
import GRDB

/// Room events in SQLite: an append-only log per room, plus a one-row-per-room projection for listing.
///
/// Events are appended in the transaction that acknowledges the command; the projection row is updated in
/// the same transaction, so the two never disagree.
public struct RoomStore: Sendable {
    /// The database.
    public let database: DefenceDatabase

    /// Creates a store over `database`.
    public init(database: DefenceDatabase) {
        self.database = database
    }

    /// Appends a room's new events and updates its projection, atomically and durably.
    /// - Throws: a storage error (e.g. a sequence number already taken); then nothing was written.
    public func append(_ events: [RoomEvent], state: RoomState) async throws {
        guard !events.isEmpty else { return }
        try await database.pool.write { db in
            try Self.write(events, state: state, db)
        }
    }

    /// Creates users and rooms in one transaction: all of them, or none.
    public func importDay(users: [User], rooms: [(event: RoomEvent, state: RoomState)]) async throws {
        try await database.pool.write { db in
            for user in users { try AccountStore.insert(user, db) }
            for room in rooms { try Self.write([room.event], state: room.state, db) }
        }
    }

    /// Every room's events, in sequence order, grouped by room.
    public func allHistories() async throws -> [[RoomEvent]] {
        try await database.pool.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT payload FROM room_event ORDER BY room_id, seq")
            var histories: [[RoomEvent]] = []
            var current: [RoomEvent] = []
            while let row = try rows.next() {
                let event = try Self.event(from: row)
                if let last = current.last, last.room != event.room {
                    histories.append(current)
                    current = []
                }
                current.append(event)
            }
            if !current.isEmpty { histories.append(current) }
            return histories
        }
    }

    /// A room's events after `seq`, in order, at most `limit` of them.
    public func events(of room: String, after seq: Int, limit: Int = .max) async throws -> [RoomEvent] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT payload FROM room_event WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [room, seq, limit]
            ).map(Self.event(from:))
        }
    }

    /// Records that the server is alive at `at` (used to date a crash).
    public func heartbeat(_ at: Date) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "INSERT INTO server_heartbeat (id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at", arguments: [at])
        }
    }

    /// The last heartbeat, if any.
    public func lastHeartbeat() async throws -> Date? {
        try await database.pool.read { db in try Date.fetchOne(db, sql: "SELECT at FROM server_heartbeat WHERE id = 1") }
    }

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    private static func write(_ events: [RoomEvent], state: RoomState, _ db: Database) throws {
        // The projection row first: events refer to it.
        let plan = String(decoding: try encoder.encode(state.plan), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO room (id, state, kind, start_at, end_at, referential_hash, last_seq, plan)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET state = excluded.state, kind = excluded.kind, start_at = excluded.start_at,
                    end_at = excluded.end_at, last_seq = excluded.last_seq, plan = excluded.plan
                """,
            arguments: [
                state.plan.id, state.lifecycle.rawValue, state.plan.kind.rawValue, state.plan.start, state.plan.end,
                state.plan.referentialHash, state.lastSeq, plan,
            ]
        )
        for event in events {
            // The payload is the whole event (its time to the bit); the other columns are for queries and people.
            let payload = String(decoding: try encoder.encode(event), as: UTF8.self)
            try db.execute(
                sql: "INSERT INTO room_event (room_id, seq, at, type, payload) VALUES (?, ?, ?, ?, ?)",
                arguments: [event.room, event.seq, event.at, event.kind.name, payload]
            )
        }
    }

    private static func event(from row: Row) throws -> RoomEvent {
        let payload: String = row["payload"]
        return try decoder.decode(RoomEvent.self, from: Data(payload.utf8))
    }
}
