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
        // Encoding happens here, on the caller's task, so that the single writer only runs SQL.
        let rows = try Self.encode(events, state: state)
        // Group commit: concurrent rooms share one durable transaction; this returns once it is committed.
        try await database.committer.write { db in
            try Self.write(rows, db)
        }
    }

    /// Creates users and rooms in one transaction: all of them, or none.
    public func importDay(users: [User], rooms: [(event: RoomEvent, state: RoomState)]) async throws {
        try await database.pool.write { db in
            for user in users { try AccountStore.insert(user, db) }
            for room in rooms { try Self.write(try Self.encode([room.event], state: room.state), db) }
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

    /// The fingerprint of a room's event log: the last link of its hash chain.
    public func fingerprint(of room: String) async throws -> String? {
        try await database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT hash FROM room_event WHERE room_id = ? ORDER BY seq DESC LIMIT 1", arguments: [room])
        }
    }

    /// The outcome of ``verifyChains(room:)``.
    public struct AuditReport: Sendable, Hashable {
        /// Rooms checked.
        public var rooms: Int
        /// Events checked.
        public var events: Int
        /// The first broken link of each damaged room.
        public var breaks: [Break]

        /// A broken link.
        public struct Break: Sendable, Hashable, CustomStringConvertible {
            /// The room.
            public var room: String
            /// The first event whose link does not match.
            public var seq: Int
            /// What is wrong.
            public var problem: String

            public var description: String { "room \(room), event \(seq): \(problem)" }
        }
    }

    /// Recomputes the hash chains (of one room, or all) and reports the first broken link of each room.
    public func verifyChains(room: String? = nil) async throws -> AuditReport {
        try await database.pool.read { db in
            let rows: RowCursor
            if let room {
                rows = try Row.fetchCursor(db, sql: "SELECT room_id, seq, payload, hash FROM room_event WHERE room_id = ? ORDER BY seq", arguments: [room])
            } else {
                rows = try Row.fetchCursor(db, sql: "SELECT room_id, seq, payload, hash FROM room_event ORDER BY room_id, seq")
            }
            var report = AuditReport(rooms: 0, events: 0, breaks: [])
            var currentRoom: String?
            var previous = EventChain.genesis
            var expectedSeq = 1
            var broken = false
            while let row = try rows.next() {
                let roomID: String = row["room_id"]
                let seq: Int = row["seq"]
                let payload: String = row["payload"]
                let hash: String = row["hash"]
                if roomID != currentRoom {
                    currentRoom = roomID
                    report.rooms += 1
                    previous = EventChain.genesis
                    expectedSeq = 1
                    broken = false
                }
                report.events += 1
                guard !broken else { continue }
                func fail(_ problem: String) {
                    report.breaks.append(.init(room: roomID, seq: seq, problem: problem))
                    broken = true
                }
                if seq != expectedSeq {
                    fail("expected event \(expectedSeq): an event is missing")
                } else if let event = try? Self.decoder.decode(RoomEvent.self, from: Data(payload.utf8)), event.room != roomID || event.seq != seq {
                    fail("the stored event says room \(event.room), event \(event.seq)")
                } else if EventChain.link(previous: previous, payload: payload) != hash {
                    fail("the hash does not match: the event or an earlier one was altered")
                }
                previous = hash
                expectedSeq = seq + 1
            }
            return report
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

    /// What one append writes, encoded before it reaches the writer.
    private struct EncodedAppend: Sendable {
        var room: String
        var lifecycle: String
        var lastSeq: Int
        /// The projection's plan columns, only when the plan is new or changed.
        var plan: (kind: String, start: Date, end: Date, referentialHash: String, json: String)?
        var events: [(seq: Int, at: Date, type: String, payload: String)]
    }

    private static func encode(_ events: [RoomEvent], state: RoomState) throws -> EncodedAppend {
        let planChanged = events.contains { event in
            switch event.kind {
            case .scheduled, .updated: true
            default: false
            }
        }
        let plan = state.plan
        return EncodedAppend(
            room: plan.id,
            lifecycle: state.lifecycle.rawValue,
            lastSeq: state.lastSeq,
            plan: planChanged
                ? (plan.kind.rawValue, plan.start, plan.end, plan.referentialHash, String(decoding: try encoder.encode(plan), as: UTF8.self))
                : nil,
            // The payload is the whole event (its time to the bit); the other columns are for queries and people.
            events: try events.map { ($0.seq, $0.at, $0.kind.name, String(decoding: try encoder.encode($0), as: UTF8.self)) }
        )
    }

    private static func write(_ rows: EncodedAppend, _ db: Database) throws {
        // The projection row first: events refer to it. Statements are prepared once per connection.
        if let plan = rows.plan {
            try db.cachedStatement(
                sql: """
                    INSERT INTO room (id, state, kind, start_at, end_at, referential_hash, last_seq, plan)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET state = excluded.state, kind = excluded.kind, start_at = excluded.start_at,
                        end_at = excluded.end_at, last_seq = excluded.last_seq, plan = excluded.plan
                    """
            ).execute(arguments: [rows.room, rows.lifecycle, plan.kind, plan.start, plan.end, plan.referentialHash, rows.lastSeq, plan.json])
        } else {
            try db.cachedStatement(sql: "UPDATE room SET state = ?, last_seq = ? WHERE id = ?")
                .execute(arguments: [rows.lifecycle, rows.lastSeq, rows.room])
            guard db.changesCount == 1 else {
                throw DatabaseError(resultCode: .SQLITE_CONSTRAINT, message: "room \(rows.room) has no projection row")
            }
        }
        var previous: String?
        for event in rows.events {
            if previous == nil {
                previous = event.seq == 1 ? EventChain.genesis : try String.fetchOne(
                    db.cachedStatement(sql: "SELECT hash FROM room_event WHERE room_id = ? AND seq = ?"),
                    arguments: [rows.room, event.seq - 1]
                ) ?? EventChain.genesis
            }
            let hash = EventChain.link(previous: previous!, payload: event.payload)
            try db.cachedStatement(sql: "INSERT INTO room_event (room_id, seq, at, type, payload, hash) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [rows.room, event.seq, event.at, event.type, event.payload, hash])
            previous = hash
        }
    }

    private static func event(from row: Row) throws -> RoomEvent {
        let payload: String = row["payload"]
        return try decoder.decode(RoomEvent.self, from: Data(payload.utf8))
    }
}
