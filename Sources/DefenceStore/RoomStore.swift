import DefenceCore
import Foundation
import GRDB
import Synchronization

/// Room events in SQLite: an append-only log per room, plus a one-row-per-room projection for listing (plan and
/// lifecycle), and the room's folded state every 100 events (`room_snapshot`) for a fast start.
///
/// Events are appended in the transaction that acknowledges the command; the projection row is updated in
/// the same transaction when the plan or the lifecycle changes, so the two never disagree.
public struct RoomStore: Sendable {
    /// The database.
    public let database: DefenceDatabase
    /// Rooms known to hold no row stored before `jury_only` was kept: no such row can be written any more, so the
    /// answer never changes once known, and a reconnect storm of candidates asks it once per room.
    private let numberedByIndex = NumberedRooms()

    /// Creates a store over `database`.
    public init(database: DefenceDatabase) {
        self.database = database
    }

    /// How an event was delivered: its wire line, and whether the jurors' grids were open to each other then.
    public struct Delivered: Sendable, Hashable {
        /// The line sent to subscribers.
        public var line: String
        /// Whether either juror could see the other's marks and proposals right after the event.
        public var gridOpen: Bool

        /// Creates the record of a delivery.
        public init(line: String, gridOpen: Bool) {
            self.line = line
            self.gridOpen = gridOpen
        }
    }

    /// Appends a room's new events and updates its projection, atomically and durably.
    /// - Parameter delivered: for each event, the line it is delivered as (kept for `RESUME`), when known.
    /// - Throws: a storage error (e.g. a sequence number already taken); then nothing was written.
    public func append(_ events: [RoomEvent], state: RoomState, delivered: [Delivered]? = nil, key: RequestKey? = nil) async throws {
        guard !events.isEmpty else { return }
        // Encoding happens here, on the caller's task, so that the single writer only runs SQL.
        let rows = try Self.encode(events, state: state, delivered: delivered)
        // Group commit: concurrent rooms share one durable transaction; this returns once it is committed.
        try await database.committer.write { [tips = database.chainTips] db in
            try Self.write(rows, db, tips: tips)
            if let key {
                try db.cachedStatement(sql: "INSERT INTO request_key (room, user, key, seq, public_seq, request) VALUES (?, ?, ?, ?, ?, ?)")
                    .execute(arguments: [key.room, key.user, key.key, key.seq, key.publicSeq, key.request])
            }
        }
    }

    /// A client's idempotency key, committed with the events of the request it tagged (PROTOCOL.md §4.4): the
    /// numbers of its reply, in the room's and in the candidates' numbering.
    public struct RequestKey: Sendable, Hashable {
        public var room: String
        public var user: String
        public var key: String
        public var seq: Int
        public var publicSeq: Int
        /// The SHA-256 (hex) of the request's line, untagged; nil for keys stored before migration v13.
        public var request: String?

        /// Creates a key's record.
        public init(room: String, user: String, key: String, seq: Int, publicSeq: Int, request: String?) {
            self.room = room
            self.user = user
            self.key = key
            self.seq = seq
            self.publicSeq = publicSeq
            self.request = request
        }
    }

    /// The users and keys committed in `room` (the numbers of their replies are read by ``requestKey(room:user:key:)``).
    public func requestKeyNames(room: String) async throws -> [(user: String, key: String)] {
        try await database.pool.read { db in
            var keys: [(user: String, key: String)] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT room, user, key FROM request_key WHERE room = ?", arguments: [room])
            let columns = Self.requestKeyColumns
            while let row = try rows.next() {
                // Untrusted like every row: a value of the wrong type is an error for this request, not a crash.
                keys.append((try row.value("user", in: "request_key", keys: columns), try row.value("key", in: "request_key", keys: columns)))
            }
            return keys
        }
    }

    /// `user`'s `key` in `room`, if it was committed: the numbers of its reply and the digest of its request.
    public func requestKey(room: String, user: String, key: String) async throws -> RequestKey? {
        try await database.pool.read { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT room, user, key, seq, public_seq, request FROM request_key WHERE room = ? AND user = ? AND key = ?", arguments: [room, user, key]
            ) else { return nil }
            let columns = Self.requestKeyColumns
            return RequestKey(
                room: room, user: user, key: key, seq: try row.value("seq", in: "request_key", keys: columns),
                publicSeq: try row.value("public_seq", in: "request_key", keys: columns), request: try row.value("request", in: "request_key", keys: columns)
            )
        }
    }

    /// The key columns of `request_key`, to name an unreadable row.
    private static let requestKeyColumns = ["room", "user", "key"]

    /// Creates users and rooms in one transaction: all of them, or none.
    public func importDay(users: [User], rooms: [(event: RoomEvent, state: RoomState)]) async throws {
        let tips = database.chainTips
        do {
            try await database.pool.write { db in
                for user in users { try AccountStore.insert(user, db) }
                for room in rooms { try Self.write(try Self.encode([room.event], state: room.state), db, tips: tips) }
            }
        } catch {
            tips.forgetAll()
            throw error
        }
    }

    /// Every room's current state, in room id order (see ``loadStates(lanes:chunk:)``).
    /// - Throws: the first room's error, if a room cannot be read.
    public func allStates(lanes: Int = ProcessInfo.processInfo.activeProcessorCount, chunk: Int = 50) async throws -> [RoomState] {
        let loaded = try await loadStates(lanes: lanes, chunk: chunk)
        if let first = loaded.unreadable.first { throw first.error }
        return loaded.states
    }

    /// Every room's current state, in room id order: its last snapshot (if any) with the events after it applied,
    /// or the fold of its whole history; and the rooms that cannot be read, each with why.
    ///
    /// A room whose stored rows cannot be read (a value of the wrong type, an event that does not follow) is
    /// reported, never a reason to stop: the other rooms still load.
    ///
    /// This is the server's start, and decoding the stored JSON is most of it (docs/performance.md; the events go
    /// through ``RoomEventJSON/decode(_:)``, the snapshots through ``RoomStateJSON/decode(_:)``). Rooms are
    /// decoded on `lanes` reader connections at once, `chunk` rooms per read: a lane that is done takes the next
    /// chunk, so memory holds at most `lanes` rooms' events at a time. Each chunk is read in its own transaction;
    /// rooms do not depend on each other, and nothing writes while the server starts.
    /// - Throws: a storage error that is not one room's (the database cannot be read).
    public func loadStates(
        lanes: Int = ProcessInfo.processInfo.activeProcessorCount, chunk: Int = 50
    ) async throws -> (states: [RoomState], unreadable: [(room: String, error: Error)]) {
        let ids = try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id FROM room ORDER BY id").map { row -> String in try row.value("id", in: "room", keys: ["id"]) }
        }
        let size = max(1, chunk)
        let chunks = stride(from: 0, to: ids.count, by: size).map { Array(ids[$0..<min($0 + size, ids.count)]) }
        let pool = database.pool
        typealias Loaded = (states: [RoomState], unreadable: [(room: String, error: Error)])
        return try await withThrowingTaskGroup(of: (Int, Loaded).self) { group in
            var parts = [Loaded](repeating: ([], []), count: chunks.count)
            var next = 0
            func addNext() {
                guard next < chunks.count else { return }
                let (index, rooms) = (next, chunks[next])
                next += 1
                group.addTask {
                    let loaded = try await pool.read { db -> Loaded in
                        var part: Loaded = ([], [])
                        for room in rooms {
                            do {
                                part.states.append(try Self.state(of: room, db))
                            } catch let error as DatabaseError where error.resultCode != .SQLITE_ERROR {
                                throw error
                            } catch {
                                part.unreadable.append((room, error))
                            }
                        }
                        return part
                    }
                    return (index, loaded)
                }
            }
            for _ in 0..<max(1, lanes) { addNext() }
            while let (index, loaded) = try await group.next() {
                parts[index] = loaded
                addNext()
            }
            return (parts.flatMap(\.states), parts.flatMap(\.unreadable))
        }
    }

    /// One room's current state, from its snapshot and the events after it.
    ///
    /// Stored rows are checked as they are used, so that the server never builds on data the audit would report:
    /// the snapshot is used only if its seal matches its event's link (else the room is folded from its events),
    /// and the log must end at the event marked as its last (`tail`). A room whose log is missing, cut short or
    /// lengthened, or whose events do not fold, throws (the room is then refused alone): a start must not append
    /// after a tampered log and so move its mark over the evidence.
    private static func state(of id: String, _ db: Database) throws -> RoomState {
        var state: RoomState?
        var lastIsTail = false
        if let snapshot = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT s.seq, s.state, s.hash, e.hash AS link, e.tail FROM room_snapshot s
                    JOIN room_event e ON e.room_id = s.room_id AND e.seq = s.seq WHERE s.room_id = ?
                    """
            ),
            arguments: [id]
        ),
            let text = try? snapshot.decode(String.self, forColumn: "state"), let seq = try? snapshot.decode(Int.self, forColumn: "seq"),
            let seal = try? snapshot.decode(String.self, forColumn: "hash"), let link = try? snapshot.decode(String.self, forColumn: "link"),
            EventChain.seal(snapshot: text, link: link) == seal,
            let decoded = try? RoomStateJSON.decode(text), decoded.lastSeq == seq, decoded.plan.id == id, decoded.isSound
        {
            state = decoded
            lastIsTail = (try? snapshot.decode(Int?.self, forColumn: "tail")) == 1
        }
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT room_id, seq, payload, tail FROM room_event WHERE room_id = ? AND seq > ? ORDER BY seq"),
            arguments: [id, state?.lastSeq ?? 0]
        )
        while let row = try rows.next() {
            let event = try Self.event(from: row)
            lastIsTail = (try? row.decode(Int?.self, forColumn: "tail")) == 1
            // Taken out of the optional, so that applying the event does not copy the state's storage.
            guard var current = state.take() else {
                guard event.room == id else {
                    throw DomainError(.internal, "room \(id): its first event is of room \(event.room)")
                }
                state = try RoomState.fold([event])
                continue
            }
            guard event.seq == current.lastSeq + 1, event.room == id else {
                throw DomainError(.internal, "room \(id): event \(event.seq) of room \(event.room) follows \(current.lastSeq)")
            }
            current.apply(event)
            state = current
        }
        guard let state else { throw DomainError(.internal, "room \(id): it is listed but its log has no event") }
        if !state.isSound {
            throw DomainError(.internal, "room \(id): its events fold into a state no room can be in (a time or a duration out of range)")
        }
        guard lastIsTail else {
            throw DomainError(.internal, "room \(id): its log does not end at its marked last event (events removed or added): check it with defence-server audit verify --room \(id)")
        }
        return state
    }

    /// Every room's events, in sequence order, grouped by room.
    public func allHistories() async throws -> [[RoomEvent]] {
        try await database.pool.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT room_id, seq, payload FROM room_event ORDER BY room_id, seq")
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
                sql: "SELECT room_id, seq, payload FROM room_event WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [room, seq, limit]
            ).map(Self.event(from:))
        }
    }

    /// An event as `RESUME` replays it: its delivered line and who may see it, without its payload.
    public struct ReplayedEvent: Sendable, Hashable {
        /// The sequence number.
        public var seq: Int
        /// The line live subscribers received.
        public var line: String
        /// Whether the jurors' grids were open to each other right after the event.
        public var gridOpen: Bool
        /// Whether candidates never see it.
        public var juryOnly: Bool
        /// The juror whose grid it changes, if any.
        public var gridOwner: String?
    }

    /// A room's events after `seq`, in order, as delivered; nil when one of them was stored before delivered
    /// lines were kept (the caller then rebuilds the lines from the events).
    ///
    /// - Parameter juryOnly: whether to include the events only the jury sees. Without them (a candidate's
    ///   `RESUME`), `seq` is in the candidates' own numbering (the `seq`-th event they may see, PROTOCOL.md §4.3),
    ///   and the events are found through the index of the others (`room_event_public`): a candidate who saw
    ///   nothing of an hour of jury messages and marks reads the few events it missed, not the whole hour. The
    ///   lines returned are as the jury received them: the caller numbers them for candidates.
    public func replay(of room: String, after seq: Int, juryOnly: Bool = true) async throws -> [ReplayedEvent]? {
        try await database.pool.read { db in
            var events: [ReplayedEvent] = []
            if !juryOnly {
                // The candidates' numbering counts the events the fold says they may see. A row stored before
                // `jury_only` was kept (NULL) is in the index either way: such a room is numbered by the fold.
                if !numberedByIndex.contains(room) {
                    let legacy = try Bool.fetchOne(db.cachedStatement(sql: Self.legacyRowSQL), arguments: [room]) ?? true
                    if legacy { return nil }
                    numberedByIndex.insert(room)
                }
            }
            let rows = try Row.fetchCursor(
                db.cachedStatement(sql: juryOnly ? Self.replaySQL : Self.publicReplaySQL),
                arguments: [room, seq]
            )
            while let row = try rows.next() {
                // What is replayed is checked against the chain first: a row altered in the database fails the
                // replay, it is never served.
                let previous: String? = try row.value("previous", in: "room_event", keys: ["room_id", "seq"])
                let (columns, _) = try EventChain.Row.verified(row, after: previous ?? EventChain.genesis)
                guard let line = columns.line, let open = columns.gridOpen, let forTheJury = columns.juryOnly else { return nil }
                events.append(ReplayedEvent(seq: columns.seq, line: line, gridOpen: open, juryOnly: forTheJury, gridOwner: columns.gridOwner))
            }
            return events
        }
    }

    /// The columns both replays select: every chained column, the link, and the link before it.
    private static let replayColumns = """
        e.room_id, e.seq, e.at, e.type, e.payload, e.line, e.grid_open, e.jury_only, e.grid_owner, e.hash,
        (SELECT p.hash FROM room_event p WHERE p.room_id = e.room_id AND p.seq = e.seq - 1) AS previous
        """
    /// A room's events after a sequence number, as `RESUME` replays them.
    static let replaySQL = "SELECT \(replayColumns) FROM room_event e WHERE e.room_id = ? AND e.seq > ? ORDER BY e.seq"
    /// The events candidates may see after the given number of them (their own numbering: the offset in this
    /// list), found through their index. `jury_only IS NOT 1` (not `= 0`) keeps the events stored before the
    /// column was filled (NULL), whose missing line sends the caller to the fold.
    static let legacyRowSQL = """
        SELECT EXISTS (
            SELECT 1 FROM room_event INDEXED BY room_event_public WHERE room_id = ? AND jury_only IS NOT 1 AND jury_only IS NULL
        )
        """
    static let publicReplaySQL = """
        SELECT \(replayColumns) FROM room_event e INDEXED BY room_event_public
        WHERE e.room_id = ? AND e.jury_only IS NOT 1 ORDER BY e.seq LIMIT -1 OFFSET ?
        """

    /// A room's events up to and including `seq`, and the fingerprint of the log at that event (its link of the
    /// hash chain; nil when there is no such event), read together in one transaction.
    ///
    /// For a document of the room as it stood at `seq` (the PV): events committed meanwhile are left out of both,
    /// so the fingerprint printed is always the link of the last event listed.
    public func record(of room: String, through seq: Int) async throws -> (events: [RoomEvent], fingerprint: String?) {
        try await database.pool.read { db in
            // The whole chain up to `seq` is checked as it is read: a PV is never printed from altered rows.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT room_id, seq, at, type, payload, line, grid_open, jury_only, grid_owner, hash FROM room_event
                    WHERE room_id = ? AND seq <= ? ORDER BY seq
                    """,
                arguments: [room, seq]
            )
            var events: [RoomEvent] = []
            var link = EventChain.genesis
            var last: String?
            while let row = try rows.next() {
                let event = try Self.event(from: row)
                guard event.seq == events.count + 1 else {
                    throw row.unreadable("seq", in: "room_event", keys: ["room_id", "seq"], "event \(events.count + 1) is missing")
                }
                link = try EventChain.Row.verified(row, after: link).link
                last = link
                events.append(event)
            }
            return (events, events.last?.seq == seq ? last : nil)
        }
    }

    /// The outcome of ``verifyChains(room:at:)``.
    public struct AuditReport: Sendable, Hashable {
        /// Rooms checked.
        public var rooms: Int
        /// Events checked.
        public var events: Int
        /// What is wrong, room by room: the first broken link of a room's chain, then anything else found.
        public var breaks: [Break]
        /// The fingerprint asked for (`at:`), or the last link of the one room checked.
        public var fingerprint: Fingerprint?

        /// A problem found.
        public struct Break: Sendable, Hashable, CustomStringConvertible {
            /// The room.
            public var room: String
            /// The event concerned (0: the room as a whole).
            public var seq: Int
            /// What is wrong.
            public var problem: String

            public var description: String { seq > 0 ? "room \(room), event \(seq): \(problem)" : "room \(room): \(problem)" }
        }

        /// The link of one event: what a PV of the room as it stood at that event printed.
        public struct Fingerprint: Sendable, Hashable {
            /// The room.
            public var room: String
            /// The event.
            public var seq: Int
            /// Its link, lower-case hex.
            public var link: String

            /// The link of event `seq` of `room`.
            public init(room: String, seq: Int, link: String) {
                self.room = room
                self.seq = seq
                self.link = link
            }
        }
    }

    /// Why an audit could not run.
    public enum AuditError: Error, Hashable, CustomStringConvertible {
        /// No such room is stored.
        case unknownRoom(String)
        /// The room has no such event.
        case unknownEvent(room: String, seq: Int)

        public var description: String {
            switch self {
            case .unknownRoom(let room): "no room \(room) is stored"
            case .unknownEvent(let room, let seq): "room \(room) has no event \(seq)"
            }
        }
    }

    /// Audits the stored rooms (one, or all): recomputes each room's hash chain over every column of its events
    /// (``EventChain``), checks that it ends at the event marked as its last (so that removed last events are seen), and that the
    /// room's listing row and its snapshot are what its events fold into. Reports the first broken link of each
    /// room and anything else found.
    ///
    /// - Parameters:
    ///   - room: the one room to audit (all when nil).
    ///   - at: with `room`, the event whose link is returned as ``AuditReport/fingerprint`` (default: the last).
    /// - Throws: ``AuditError`` for a room or an event that is not stored; a storage error.
    public func verifyChains(room: String? = nil, at: Int? = nil) async throws -> AuditReport {
        try await database.pool.read { db in
            var auditor = try ChainAuditor(db, room: room)
            let rows: RowCursor
            let columns = "room_id, seq, at, type, payload, line, grid_open, jury_only, grid_owner, hash, tail"
            if let room {
                rows = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM room_event WHERE room_id = ? ORDER BY seq", arguments: [room])
            } else {
                rows = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM room_event ORDER BY room_id, seq")
            }
            var fingerprint: AuditReport.Fingerprint?
            while let row = try rows.next() {
                let link = auditor.check(row)
                if let room, let link, let seq = auditor.currentSeq, seq == at ?? seq {
                    fingerprint = .init(room: room, seq: seq, link: link)
                }
            }
            var report = auditor.finish()
            if let room {
                guard report.rooms > 0 else { throw AuditError.unknownRoom(room) }
                if let at, fingerprint?.seq != at { throw AuditError.unknownEvent(room: room, seq: at) }
                report.fingerprint = fingerprint
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

    /// What one append writes, encoded before it reaches the writer.
    private struct EncodedAppend: Sendable {
        var room: String
        var lifecycle: String
        var lastSeq: Int
        /// The projection row's arguments with the plan columns, only when the plan is new or changed.
        var plan: StatementArguments?
        /// Each event's row and its digest; the writer computes its link from the previous one (``EventChain``).
        var events: [(row: EventChain.Row, digest: String)]
        /// The room's state after these events and its digest, when one of them is a snapshot point
        /// (``RoomStore/takesSnapshot(room:at:)``).
        var snapshot: (text: String, digest: String)?
    }

    /// A room's folded state is stored every this many events.
    public static let snapshotEvery = 100

    /// Where a room's snapshots fall in the cycle of ``snapshotEvery`` events: 0–99, from the room's id (FNV-1a).
    ///
    /// Rooms that start together and see the same traffic reach their hundredth event in the same second; with
    /// snapshots at the multiples of 100, 2,000 rooms each encoded and wrote their whole state (a few KiB of JSON)
    /// at once: under the bench's steady state, stalls of 70–850 ms at exactly the seconds where every room reached
    /// 200, 300, … events (docs/performance.md). Offset by room, they spread over the cycle.
    public static func snapshotPhase(of room: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in room.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int(hash % UInt64(snapshotEvery))
    }

    /// Whether the room's state right after its event `seq` is stored as its snapshot.
    public static func takesSnapshot(room: String, at seq: Int) -> Bool {
        (seq + snapshotPhase(of: room)) % snapshotEvery == 0
    }

    private static func encode(_ events: [RoomEvent], state: RoomState, delivered: [Delivered]? = nil) throws -> EncodedAppend {
        let delivered = delivered?.count == events.count ? delivered : nil
        let planChanged = events.contains { event in
            switch event.kind {
            case .scheduled, .updated: true
            default: false
            }
        }
        let plan = state.plan
        let snapshotText = events.contains { takesSnapshot(room: plan.id, at: $0.seq) }
            ? String(decoding: try encoder.encode(state), as: UTF8.self) : nil
        // The statements' arguments are built here, on the caller's task, like the JSON: turning values into
        // database values (a `Date` goes through GRDB's shared `DateFormatter`, ICU) then costs the single writer
        // nothing (docs/performance.md: 11 % of the writer's CPU, 7 of them formatting dates).
        return EncodedAppend(
            room: plan.id,
            lifecycle: state.lifecycle.rawValue,
            lastSeq: state.lastSeq,
            plan: planChanged
                ? [
                    plan.id, state.lifecycle.rawValue, plan.kind.rawValue, plan.start, plan.end, plan.referentialHash,
                    String(decoding: try encoder.encode(plan), as: UTF8.self),
                ]
                : nil,
            // The payload is the whole event (its time to the bit); the other columns are for queries and people.
            // Both the payload and the `at` column are written directly (`RoomEventJSON`, `StoredDateText`): the
            // same JSON document and the same text as `JSONEncoder` and GRDB's `DateFormatter` give, for a fraction
            // of their CPU (docs/performance.md).
            // The rows' digests and the snapshot's are hashed here too: the writer only hashes the short links.
            events: try events.enumerated().map { index, event in
                let delivered = delivered?[index]
                let row = EventChain.Row(
                    room: plan.id, seq: event.seq, at: StoredDateText.of(event.at), type: event.kind.name,
                    payload: try RoomEventJSON.encode(event), line: delivered?.line, gridOpen: delivered?.gridOpen,
                    juryOnly: event.kind.isJuryOnly, gridOwner: event.kind.gridOwner
                )
                return (row, EventChain.digest(of: row))
            },
            snapshot: snapshotText.map { ($0, EventChain.digest(snapshot: $0)) }
        )
    }

    private static func write(_ rows: EncodedAppend, _ db: Database, tips: ChainTips) throws {
        // The projection row first: events refer to it (a foreign key: an event of a room without its row fails).
        // Statements are prepared once per connection.
        if let plan = rows.plan {
            try db.cachedStatement(
                sql: """
                    INSERT INTO room (id, state, kind, start_at, end_at, referential_hash, plan)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET state = excluded.state, kind = excluded.kind, start_at = excluded.start_at,
                        end_at = excluded.end_at, plan = excluded.plan
                    """
            ).execute(arguments: plan)
        } else {
            // Only a new lifecycle rewrites the row (it carries the whole plan): a mark or a message writes no page of
            // `room` (docs/performance.md: 19.9 → 16.8 KB written per event under the storage push).
            try db.cachedStatement(sql: "UPDATE room SET state = ? WHERE id = ? AND state <> ?")
                .execute(arguments: [rows.lifecycle, rows.room, rows.lifecycle])
        }
        // The room's tail mark moves from its last event to the last one appended here (same page, as a room's
        // events are adjacent in the table's key order).
        if let first = rows.events.first?.row, first.seq > 1 {
            try db.cachedStatement(sql: "UPDATE room_event SET tail = NULL WHERE room_id = ? AND seq = ? AND tail = 1")
                .execute(arguments: [rows.room, first.seq - 1])
        }
        let lastSeq = rows.events.last?.row.seq
        var previous: String?
        for (event, digest) in rows.events {
            if previous == nil {
                // The room's last link as this writer wrote it, or read back (the first append after a start or a
                // failure).
                if event.seq == 1 {
                    previous = EventChain.genesis
                } else if let tip = tips.link(of: rows.room, at: event.seq - 1) {
                    previous = tip
                } else {
                    previous = try String.fetchOne(
                        db.cachedStatement(sql: "SELECT hash FROM room_event WHERE room_id = ? AND seq = ?"),
                        arguments: [rows.room, event.seq - 1]
                    ) ?? EventChain.genesis
                }
            }
            let hash = EventChain.link(previous: previous ?? EventChain.genesis, digest: digest)
            try db.cachedStatement(
                sql: """
                    INSERT INTO room_event (room_id, seq, at, type, payload, line, grid_open, jury_only, grid_owner, hash, tail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                event.room, event.seq, event.at, event.type, event.payload, event.line, event.gridOpen, event.juryOnly,
                event.gridOwner, hash, event.seq == lastSeq ? 1 : nil,
            ])
            previous = hash
        }
        if let last = rows.events.last?.row, let previous {
            tips.record(previous, of: rows.room, at: last.seq)
            if let snapshot = rows.snapshot {
                // The room's state after its last event here, sealed with that event's link.
                try db.cachedStatement(
                    sql: """
                        INSERT INTO room_snapshot (room_id, seq, state, hash) VALUES (?, ?, ?, ?)
                        ON CONFLICT(room_id) DO UPDATE SET seq = excluded.seq, state = excluded.state, hash = excluded.hash
                        """
                ).execute(arguments: [rows.room, last.seq, snapshot.text, EventChain.seal(snapshotDigest: snapshot.digest, link: previous)])
            }
        }
    }

    /// The event a row's payload holds (the row must select `room_id`, `seq` and `payload`), or ``UnreadableRow``.
    private static func event(from row: Row) throws -> RoomEvent {
        let keys = ["room_id", "seq"]
        let payload: String = try row.value("payload", in: "room_event", keys: keys)
        let event: RoomEvent
        do {
            event = try RoomEventJSON.decode(payload)
        } catch {
            throw row.unreadable("payload", in: "room_event", keys: keys, "not an event: \(error)")
        }
        guard event.isSound else {
            throw row.unreadable("payload", in: "room_event", keys: keys, "an event no room can hold (a number out of range, or a plan scheduling refuses)")
        }
        return event
    }
}

/// The rooms whose candidates' numbering can be read from the index of their events (``RoomStore/replay(of:after:juryOnly:)``).
private final class NumberedRooms: Sendable {
    private let rooms = Mutex<Set<String>>([])

    func contains(_ room: String) -> Bool { rooms.withLock { $0.contains(room) } }
    func insert(_ room: String) { _ = rooms.withLock { $0.insert(room) } }
}
