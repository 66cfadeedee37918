import DefenceCore
@testable import DefenceStore
import Foundation
import GRDB
import Testing

/// A fresh database with the bundled referential installed, its room store, and a plan factory for room `id`.
func roomStoreFixture(at t0: Date) async throws -> (database: DefenceDatabase, store: RoomStore, plan: @Sendable (String) -> RoomPlan) {
    let database = try makeDatabase()
    let bundled = try ReferentialLoader.bundled()
    try await ReferentialStore(database: database).installBundled(bundled, now: t0)
    let hash = bundled.hash
    return (database, RoomStore(database: database), { id in
        RoomPlan(
            id: id, kind: .team, epreuve: 2, referentialHash: hash, competences: ["A1C1"], candidates: ["c1", "c2"],
            jurors: ["j1", "j2"], president: "j1", start: t0, phases: [Phase(name: "all", seconds: 1800)], warnings: [60],
            visibility: .blind
        )
    })
}

/// The five criteria of A1C1, the competence of the plans above.
let a1c1Checklist = RoomChecklist(criteria: Set((1...5).map { "A1C1.\($0)" }))

@Suite(.temporaryFolder) struct RoomStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000.123_456)

    func setUp() async throws -> (RoomStore, RoomPlan) {
        let database = try makeDatabase()
        let bundled = try ReferentialLoader.bundled()
        try await ReferentialStore(database: database).installBundled(bundled, now: t0)
        let plan = RoomPlan(
            id: "r1", kind: .team, epreuve: 2, referentialHash: bundled.hash, competences: ["A1C1"], candidates: ["c1"],
            jurors: ["j1", "j2"], president: "j1", start: t0, phases: [Phase(name: "all", seconds: 1800)], warnings: [60],
            visibility: .blind
        )
        return (RoomStore(database: database), plan)
    }

    @Test func eventsAreStoredExactlyAndFoldBackToTheSameState() async throws {
        let (store, plan) = try await setUp()
        var state = RoomState(scheduled: plan, at: t0)
        var events = [RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan))]
        try await store.append(events, state: state)
        let actor = RoomActor(user: "j1", role: .juror)
        var now = t0
        for command in [RoomCommand.startTimer, .pause(reason: "réseau"), .adjust(seconds: 30, reason: nil), .resume] {
            now = now.addingTimeInterval(12.345_678)
            let new = try state.decide(command, by: actor, at: now).enumerated().map { index, kind in
                RoomEvent(room: "r1", seq: state.lastSeq + 1 + index, at: now, kind: kind)
            }
            for event in new { state.apply(event) }
            try await store.append(new, state: state)
            events += new
        }
        let histories = try await store.allHistories()
        #expect(histories == [events])
        #expect(try RoomState.fold(histories[0]) == state)
        #expect(try await store.events(of: "r1", after: 3).map(\.seq) == Array(4...events.count))
        #expect(try await store.events(of: "r1", after: 1, limit: 2).map(\.seq) == [2, 3])
    }

    @Test func aSequenceNumberCannotBeWrittenTwice() async throws {
        let (store, plan) = try await setUp()
        let state = RoomState(scheduled: plan, at: t0)
        let first = RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan))
        try await store.append([first], state: state)
        await #expect(throws: (any Error).self) { try await store.append([first], state: state) }
    }

    /// A key is stored with its events and read back by name; an altered row is an error (`UnreadableRow`), never a
    /// trap: the request that meets it fails with `INTERNAL`.
    @Test func requestKeysAreReadBackAndAnAlteredOneIsAnError() async throws {
        let (store, plan) = try await setUp()
        let state = RoomState(scheduled: plan, at: t0)
        let key = RoomStore.RequestKey(room: "r1", user: "j1", key: "j1-1", seq: 1, publicSeq: 1, request: String(repeating: "a", count: 64))
        try await store.append([RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan))], state: state, key: key)
        #expect(try await store.requestKey(room: "r1", user: "j1", key: "j1-1") == key)
        #expect(try await store.requestKey(room: "r1", user: "j2", key: "j1-1") == nil)
        #expect(try await store.requestKeyNames(room: "r1").map { "\($0.user) \($0.key)" } == ["j1 j1-1"])
        try await store.database.pool.write { db in try db.execute(sql: "UPDATE request_key SET seq = 'x'") }
        await #expect(throws: UnreadableRow.self) { try await store.requestKey(room: "r1", user: "j1", key: "j1-1") }
        try await store.database.pool.write { db in try db.execute(sql: "UPDATE request_key SET key = x'ff'") }
        await #expect(throws: UnreadableRow.self) { try await store.requestKeyNames(room: "r1") }
    }

    @Test func aDayImportIsAllOrNothing() async throws {
        let (store, plan) = try await setUp()
        let user = User(id: "c1", role: .candidate, displayName: "C1", createdAt: t0)
        let room = (RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan)), RoomState(scheduled: plan, at: t0))
        // The same user twice: the second insert fails, and nothing of the import remains.
        await #expect(throws: (any Error).self) { try await store.importDay(users: [user, user], rooms: [room]) }
        #expect(try await store.allHistories().isEmpty)
        #expect(try await AccountStore(database: store.database).user("c1") == nil)
        try await store.importDay(users: [user], rooms: [room])
        #expect(try await store.allHistories().count == 1)
    }

    @Test func theRoomRowIsRewrittenOnlyWhenThePlanOrTheLifecycleChanges() async throws {
        let (store, plan) = try await setUp()
        // Count the updates of `room`'s rows from any connection, the group-commit writer's included.
        try await store.database.pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE room_updates (room_id TEXT, state TEXT);
                    CREATE TRIGGER count_room_updates AFTER UPDATE ON room BEGIN INSERT INTO room_updates VALUES (new.id, new.state); END;
                    """
            )
        }
        func updates() async throws -> [String] {
            try await store.database.pool.read { db in try String.fetchAll(db, sql: "SELECT state FROM room_updates ORDER BY rowid") }
        }
        var state = RoomState(scheduled: plan, at: t0)
        try await store.append([RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan))], state: state)
        // Marks leave the lifecycle as it is: the row (which carries the whole plan) is not written.
        for seq in 2...6 {
            let event = RoomEvent(room: "r1", seq: seq, at: t0, kind: .marked(juror: "j1", candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil))
            state.apply(event)
            try await store.append([event], state: state)
        }
        #expect(try await updates() == [])
        // Starting the timer makes the room running: one update, with the new lifecycle.
        let started = try state.decide(.startTimer, by: RoomActor(user: "j1", role: .juror), at: t0).enumerated().map { index, kind in
            RoomEvent(room: "r1", seq: state.lastSeq + 1 + index, at: t0, kind: kind)
        }
        for event in started { state.apply(event) }
        try await store.append(started, state: state)
        #expect(state.lifecycle == .running)
        #expect(try await updates() == ["running"])
        #expect(try await store.allStates() == [state])
    }

    /// The columns beside the payload are for queries and people (and the hash for the audit): each holds what its
    /// name says, in the format GRDB gives a date (UTC, to the millisecond). The statements' arguments are built
    /// before they reach the writer, the hash last; this pins every column to its value.
    @Test func eachEventRowHoldsItsColumnsInTheirPlaces() async throws {
        let (store, plan) = try await setUp()
        var state = RoomState(scheduled: plan, at: t0)
        let scheduled = RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan))
        try await store.append([scheduled], state: state)
        let marked = RoomEvent(
            room: "r1", seq: 2, at: t0.addingTimeInterval(61.5),
            kind: .marked(juror: "j2", candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil)
        )
        state.apply(marked)
        try await store.append([marked], state: state, delivered: [RoomStore.Delivered(line: "EVENT r1 2 mark", gridOpen: false)])
        let rows = try store.database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT room_id, seq, at, type, payload, hash, line, grid_open, jury_only, grid_owner FROM room_event ORDER BY seq"
            )
        }
        try #require(rows.count == 2)
        func chained(_ row: Row) -> EventChain.Row {
            EventChain.Row(
                room: row["room_id"], seq: row["seq"], at: row["at"], type: row["type"], payload: row["payload"], line: row["line"],
                gridOpen: row["grid_open"], juryOnly: row["jury_only"], gridOwner: row["grid_owner"]
            )
        }
        let first = EventChain.link(previous: EventChain.genesis, row: chained(rows[0]))
        #expect(rows[0]["room_id"] as String == "r1" && rows[0]["seq"] as Int == 1)
        #expect(rows[0]["at"] as String == "2027-01-15 08:00:00.123")
        #expect(rows[0]["type"] as String == scheduled.kind.name)
        #expect(rows[0]["hash"] as String == first)
        #expect(rows[0]["line"] as String? == nil && rows[0]["grid_open"] as Bool? == nil)
        #expect(rows[0]["jury_only"] as Bool == false && rows[0]["grid_owner"] as String? == nil)
        #expect(rows[1]["at"] as String == "2027-01-15 08:01:01.623")
        #expect(rows[1]["type"] as String == marked.kind.name)
        #expect(rows[1]["hash"] as String == EventChain.link(previous: first, row: chained(rows[1])))
        #expect(rows[1]["line"] as String == "EVENT r1 2 mark" && rows[1]["grid_open"] as Bool == false)
        #expect(rows[1]["jury_only"] as Bool == marked.kind.isJuryOnly && rows[1]["grid_owner"] as String? == "j2")
        #expect(marked.kind.isJuryOnly)
        let room = try store.database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT state, kind, start_at, end_at, referential_hash FROM room WHERE id = 'r1'")
        }
        #expect(room?["state"] as String? == "scheduled" && room?["kind"] as String? == "team")
        #expect(room?["start_at"] as String? == "2027-01-15 08:00:00.123")
        #expect(room?["end_at"] as String? == "2027-01-15 08:30:00.123")
        #expect(room?["referential_hash"] as String? == plan.referentialHash)
    }

    @Test func anEventOfARoomThatWasNeverScheduledIsRefusedAndNothingIsWritten() async throws {
        let (store, plan) = try await setUp()
        var ghost = plan
        ghost.id = "ghost"
        var state = RoomState(scheduled: ghost, at: t0)
        let event = RoomEvent(room: "ghost", seq: 2, at: t0, kind: .marked(juror: "j1", candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil))
        state.apply(event)
        await #expect(throws: (any Error).self) { try await store.append([event], state: state) }
        #expect(try await store.events(of: "ghost", after: 0).isEmpty)
    }

    @Test func heartbeat() async throws {
        let (store, _) = try await setUp()
        #expect(try await store.lastHeartbeat() == nil)
        try await store.heartbeat(t0)
        try await store.heartbeat(t0.addingTimeInterval(2))
        let beat = try #require(try await store.lastHeartbeat())
        #expect(abs(beat.timeIntervalSince(t0.addingTimeInterval(2))) < 0.001)
    }
}

@Suite(.temporaryFolder) struct AuditChainTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A room with a few events, stored.
    func storedRoom(_ id: String, _ store: RoomStore, hash: String) async throws {
        let plan = RoomPlan(
            id: id, kind: .team, epreuve: 2, referentialHash: hash, competences: ["A1C1"], candidates: ["c1"],
            jurors: ["j1", "j2"], president: "j1", start: t0, phases: [Phase(name: "all", seconds: 1800)], warnings: [60],
            visibility: .live
        )
        var state = RoomState(scheduled: plan, at: t0)
        try await store.append([RoomEvent(room: id, seq: 1, at: t0, kind: .scheduled(plan))], state: state)
        for (index, command) in [RoomCommand.startTimer, .say(audience: .room, text: "bonjour"), .pause(reason: nil)].enumerated() {
            let now = t0.addingTimeInterval(Double(index + 1))
            let events = try state.decide(command, by: RoomActor(user: "j1", role: .juror), at: now).enumerated().map {
                RoomEvent(room: id, seq: state.lastSeq + 1 + $0.offset, at: now, kind: $0.element)
            }
            for event in events { state.apply(event) }
            try await store.append(events, state: state)
        }
    }

    func setUp() async throws -> RoomStore {
        let database = try makeDatabase()
        let bundled = try ReferentialLoader.bundled()
        try await ReferentialStore(database: database).installBundled(bundled, now: t0)
        let store = RoomStore(database: database)
        try await storedRoom("r1", store, hash: bundled.hash)
        try await storedRoom("r2", store, hash: bundled.hash)
        return store
    }

    @Test func intactChainsVerify() async throws {
        let store = try await setUp()
        let report = try await store.verifyChains()
        #expect(report.rooms == 2 && report.events == 10 && report.breaks.isEmpty)
        let r1 = try await store.record(of: "r1", through: 5)
        #expect(r1.events.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(r1.fingerprint?.count == 64)
        #expect(try await r1.fingerprint != store.record(of: "r2", through: 5).fingerprint)
    }

    /// A PV is built from the room's state at some event; the events and the fingerprint it prints must be those of
    /// that event, not of events committed since (they were two reads of the latest log before).
    @Test func aRecordThroughAnEventStopsThereWithThatEventsLink() async throws {
        let store = try await setUp()
        let links = try await store.database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT hash FROM room_event WHERE room_id = 'r1' ORDER BY seq")
        }
        #expect(links.count == 5)
        let record = try await store.record(of: "r1", through: 3)
        #expect(record.events.map(\.seq) == [1, 2, 3])
        #expect(record.events.allSatisfy { $0.room == "r1" })
        #expect(record.fingerprint == links[2])
        #expect(record.fingerprint != links.last)
        #expect(try await store.record(of: "r1", through: 5).fingerprint == links.last)
        let beyond = try await store.record(of: "r1", through: 9)
        #expect(beyond.events.count == 5 && beyond.fingerprint == nil)
        let ghost = try await store.record(of: "ghost", through: 1)
        #expect(ghost.events.isEmpty && ghost.fingerprint == nil)
    }

    @Test func anAlteredEventIsReported() async throws {
        let store = try await setUp()
        try await store.database.pool.write { db in
            try db.execute(sql: "UPDATE room_event SET payload = replace(payload, 'bonjour', 'bonsoir') WHERE room_id = 'r1' AND seq = 4")
        }
        let report = try await store.verifyChains()
        #expect(report.breaks.map(\.description) == ["room r1, event 4: the hash does not match: the event or an earlier one was altered"])
        #expect(try await store.verifyChains(room: "r2").breaks.isEmpty)
    }

    /// Every stored column of an event that can be replayed, shown or used to decide visibility is in the chain:
    /// changing any one of them, in any event, is reported; so is removing a room's last event.
    @Test func everyColumnOfAnEventIsChained() async throws {
        let edits = [
            "line = 'EVENT r1 4 2027-01-15T08:00:02.000Z message j1 room :forged'", "line = NULL",
            "jury_only = 1", "jury_only = NULL", "grid_open = 1", "grid_owner = 'j2'", "type = 'signal'",
            "at = '2027-01-15 08:00:02.001'", "payload = replace(payload, 'bonjour', 'bonsoir')", "hash = 'forged'",
            // SQLite takes any non-zero integer as true; the chain writes flags as 0 or 1 only. The last-event mark is
            // 1 or nothing.
            "jury_only = 7", "grid_open = 2", "tail = 'x'", "tail = 0",
        ]
        for edit in edits {
            let store = try await setUp()
            try await store.database.pool.write { db in
                // Event 4 of r1 is the message (`say`): every column set.
                try db.execute(sql: "UPDATE room_event SET line = 'EVENT r1 4 x', grid_open = 0 WHERE room_id = 'r1' AND seq = 4")
            }
            // The line and grid columns were set outside the chain above: the chain is rebuilt for this test's start.
            try await store.resealForTests()
            #expect(try await store.verifyChains().breaks.isEmpty)
            try await store.database.pool.write { db in
                try db.execute(sql: "UPDATE room_event SET \(edit) WHERE room_id = 'r1' AND seq = 4")
            }
            let report = try await store.verifyChains()
            #expect(report.breaks.first.map { "\($0.room) \($0.seq)" } == "r1 4", "\(edit): \(report.breaks)")
        }
        let store = try await setUp()
        try await store.database.pool.write { db in try db.execute(sql: "DELETE FROM room_event WHERE room_id = 'r1' AND seq = 5") }
        let report = try await store.verifyChains()
        #expect(report.breaks.map(\.description).contains("room r1: its log ends at event 4, which is not marked as its last: events were removed"))
        #expect(report.breaks.allSatisfy { $0.room == "r1" })
    }

    /// A stored time or duration out of any range (an altered row) makes its room unreadable at start, alone: the
    /// domain never computes with it (a timer a thousand centuries away trapped the server at every start).
    @Test func aTimeOutOfRangeMakesItsRoomUnreadableAlone() async throws {
        let store = try await setUp()
        try await store.database.pool.write { db in
            // Event 2 of r1 starts its clock.
            try db.execute(sql: "UPDATE room_event SET payload = replace(payload, '\"endsAt\":', '\"endsAt\":1e300,\"x\":') WHERE room_id = 'r1' AND seq = 2")
            try db.execute(sql: "DELETE FROM room_snapshot")
        }
        let payload = try await store.database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT payload FROM room_event WHERE room_id = 'r1' AND seq = 2")
        }
        #expect(payload?.contains("1e300") == true, "\(payload ?? "")")
        let loaded = try await store.loadStates()
        #expect(loaded.states.map(\.plan.id) == ["r2"])
        #expect(loaded.unreadable.map(\.room) == ["r1"])
    }

    /// A start builds only on what the chain vouches for: a snapshot whose seal does not match its event's link is
    /// ignored (the room is folded from its events), and a room whose log was cut, lengthened or removed is
    /// refused alone.
    @Test func aStartIgnoresAForgedSnapshotAndRefusesACutLog() async throws {
        let store = try await setUp()
        let truth = try await store.allStates()
        let r1 = try #require(truth.first { $0.plan.id == "r1" })
        let forged = String(decoding: try JSONEncoder().encode(r1), as: UTF8.self)
            .replacingOccurrences(of: "\"lifecycle\":\"paused\"", with: "\"lifecycle\":\"signed\"")
        #expect(forged.contains("signed"))
        try await store.database.pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO room_snapshot (room_id, seq, state, hash) VALUES ('r1', 5, ?, 'forged')", arguments: [forged]
            )
        }
        #expect(try await store.allStates() == truth, "the forged snapshot was used")
        try await store.database.pool.write { db in
            try db.execute(sql: "DELETE FROM room_event WHERE room_id = 'r1' AND seq = 5")
            try db.execute(sql: "DELETE FROM room_snapshot")
            try db.execute(sql: "DELETE FROM room_event WHERE room_id = 'r2'")
        }
        let loaded = try await store.loadStates()
        #expect(loaded.states.isEmpty)
        #expect(loaded.unreadable.map(\.room) == ["r1", "r2"])
        #expect("\(loaded.unreadable[0].error)".contains("does not end at its marked last event"))
        #expect("\(loaded.unreadable[1].error)".contains("its log has no event"))
    }

    @Test func theLastEventMarkTheSnapshotAndTheListingRowAreChecked() async throws {
        let cases: [(String, String)] = [
            ("UPDATE room_event SET tail = 1 WHERE room_id = 'r1' AND seq = 3", "room r1: an event before its last is marked as its last (3, 5): events were added or the mark moved"),
            ("UPDATE room_event SET tail = NULL WHERE room_id = 'r1'", "room r1: its log ends at event 5, which is not marked as its last: events were removed"),
            ("UPDATE room SET state = 'signed' WHERE id = 'r1'", "room r1: its listing row (state, kind, times, referential or plan) is not what its events say"),
            ("UPDATE room SET plan = replace(plan, 'j1', 'jx') WHERE id = 'r1'", "room r1: its listing row (state, kind, times, referential or plan) is not what its events say"),
            ("UPDATE room SET referential_hash = 'deadbeef' WHERE id = 'r1'", "room r1: its listing row (state, kind, times, referential or plan) is not what its events say"),
            ("DELETE FROM room_event WHERE room_id = 'r2'", "room r2: it has a listing row but no event: its log was removed"),
        ]
        for (sql, problem) in cases {
            let store = try await setUp()
            try await store.database.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.execute(sql: sql)
                try db.execute(sql: "PRAGMA foreign_keys = ON")
            }
            let report = try await store.verifyChains()
            #expect(report.breaks.map(\.description).contains(problem), "\(sql): \(report.breaks)")
        }
        // A snapshot that is not the fold of the events up to it.
        let store = try await setUp()
        let upToMessage = try RoomState.fold(try await store.events(of: "r1", after: 0, limit: 4))
        #expect(upToMessage.lifecycle == .running)
        let text = String(decoding: try JSONEncoder().encode(upToMessage), as: UTF8.self)
            .replacingOccurrences(of: "\"lifecycle\":\"running\"", with: "\"lifecycle\":\"deliberation\"")
        #expect(text.contains("deliberation"))
        try await store.database.pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO room_snapshot (room_id, seq, state) VALUES ('r1', 4, ?)", arguments: [text])
        }
        let report = try await store.verifyChains()
        #expect(report.breaks.map(\.description) == ["room r1, event 4: the stored snapshot is not the fold of the events up to it"])
    }

    /// A PV prints the link of the event it stops at; the audit gives the same link for that event, later.
    @Test func theAuditGivesTheFingerprintAPVPrinted() async throws {
        let store = try await setUp()
        let record = try await store.record(of: "r1", through: 3)
        let report = try await store.verifyChains(room: "r1", at: 3)
        #expect(report.breaks.isEmpty)
        #expect(report.fingerprint == .init(room: "r1", seq: 3, link: try #require(record.fingerprint)))
        #expect(try await store.verifyChains(room: "r1").fingerprint?.seq == 5)
        await #expect(throws: RoomStore.AuditError.unknownRoom("nope")) { try await store.verifyChains(room: "nope") }
        await #expect(throws: RoomStore.AuditError.unknownEvent(room: "r1", seq: 9)) { try await store.verifyChains(room: "r1", at: 9) }
    }

    @Test func aDeletedOrRewrittenEventIsReported() async throws {
        let store = try await setUp()
        try await store.database.pool.write { db in
            try db.execute(sql: "DELETE FROM room_event WHERE room_id = 'r2' AND seq = 3")
            try db.execute(sql: "UPDATE room_event SET hash = 'forged' WHERE room_id = 'r1' AND seq = 2")
        }
        let report = try await store.verifyChains()
        #expect(report.breaks.map { "\($0.room) \($0.seq)" } == ["r1 2", "r2 4"])
    }
}

@Suite(.temporaryFolder) struct RoomSnapshotTests {
    @Test func aDaysRoomsTakeTheirSnapshotsAtDifferentPoints() {
        // Rooms that start together and get the same traffic must not all snapshot on the same event: 2,000 rooms
        // named as the bench names them, or as a day's import might, spread over the whole cycle.
        let rooms = (0..<2000).map { "b\($0)" } + (1...2000).map { "room-\($0)" }
        var perPhase = [Int](repeating: 0, count: RoomStore.snapshotEvery)
        for room in rooms { perPhase[RoomStore.snapshotPhase(of: room)] += 1 }
        #expect(perPhase.allSatisfy { $0 > 0 }, "every point of the cycle is used")
        #expect(perPhase.max()! <= 3 * rooms.count / RoomStore.snapshotEvery, "no point takes more than 3 times its share")
        // Exactly one snapshot point in every run of `snapshotEvery` events, for every room.
        for room in ["r1", "room-17", "mspr-a1", ""] {
            for start in [1, 37, 250] {
                #expect((start..<start + RoomStore.snapshotEvery).filter { RoomStore.takesSnapshot(room: room, at: $0) }.count == 1)
            }
        }
    }

    @Test func aStartFoldsFromTheLastSnapshotToTheSameState() async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000.123_456)
        let (database, store, makePlan) = try await roomStoreFixture(at: t0)
        let plan = makePlan("r1")
        var state = RoomState(scheduled: plan, at: t0)
        var events = [RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan))]
        try await store.append(events, state: state)
        let juror = RoomActor(user: "j1", role: .juror)
        for index in 1...249 {
            let now = t0.addingTimeInterval(Double(index) * 1.000_001)
            let command: RoomCommand = index == 1
                ? .startTimer
                : .mark(candidate: index % 2 == 0 ? "c1" : "c2", criterion: "A1C1.\(index % 5 + 1)", mark: index % 3 == 0 ? .met : .notMet, comment: "n\(index)")
            let new = try state.decide(command, by: juror, at: now, checklist: a1c1Checklist).enumerated().map { offset, kind in
                RoomEvent(room: "r1", seq: state.lastSeq + 1 + offset, at: now, kind: kind)
            }
            for event in new { state.apply(event) }
            try await store.append(new, state: state)
            events += new
        }
        #expect(state.lastSeq >= 200)
        let snapshotSeq = try await database.pool.read { db in try Int.fetchOne(db, sql: "SELECT seq FROM room_snapshot WHERE room_id = 'r1'") }
        let point = (1...state.lastSeq).last { RoomStore.takesSnapshot(room: "r1", at: $0) }
        #expect(point.map { state.lastSeq - $0 < RoomStore.snapshotEvery } == true)
        #expect(snapshotSeq == point, "the latest snapshot point of r1")
        #expect(try await store.allStates() == [state])
        #expect(try RoomState.fold(events) == state)

        // A snapshot that cannot be read is ignored: the whole history is folded.
        try await database.pool.write { db in try db.execute(sql: "UPDATE room_snapshot SET state = '{not json' WHERE room_id = 'r1'") }
        #expect(try await store.allStates() == [state])
        try await database.pool.write { db in try db.execute(sql: "DELETE FROM room_snapshot WHERE room_id = 'r1'") }
        #expect(try await store.allStates() == [state])

        // With a snapshot, the events before it are not read at all (here one is missing, and nothing notices);
        // without one, the fold meets the gap and says so.
        let snapshot = String(decoding: try JSONEncoder().encode(RoomState.fold(Array(events.prefix(200)))), as: UTF8.self)
        try await database.pool.write { db in
            let link = try String.fetchOne(db, sql: "SELECT hash FROM room_event WHERE room_id = 'r1' AND seq = 200") ?? ""
            try db.execute(
                sql: "INSERT INTO room_snapshot (room_id, seq, state, hash) VALUES ('r1', 200, ?, ?)",
                arguments: [snapshot, EventChain.seal(snapshot: snapshot, link: link)]
            )
            try db.execute(sql: "DELETE FROM room_event WHERE room_id = 'r1' AND seq = 5")
        }
        #expect(try await store.allStates() == [state])
        try await database.pool.write { db in try db.execute(sql: "DELETE FROM room_snapshot WHERE room_id = 'r1'") }
        await #expect(throws: (any Error).self) { try await store.allStates() }
    }

    /// Rooms are loaded in chunks on several readers at once; the result is every room, each folded to its own
    /// state, in id order, whatever the chunk and the number of readers (one chunk per room, chunks that span rooms,
    /// more readers than chunks).
    @Test func roomsLoadedOnSeveralReadersAtOnceComeBackWholeAndInOrder() async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000.123_456)
        let (_, store, makePlan) = try await roomStoreFixture(at: t0)
        let juror = RoomActor(user: "j1", role: .juror)
        var expected: [RoomState] = []
        // Ids whose text order is not their creation order; room k gets 30 × k events (some past a snapshot).
        for number in [7, 3, 10, 1, 8, 2, 9, 5, 4, 6] {
            let plan = makePlan("room-\(number)")
            var state = RoomState(scheduled: plan, at: t0)
            try await store.append([RoomEvent(room: plan.id, seq: 1, at: t0, kind: .scheduled(plan))], state: state)
            for index in 1..<(30 * number) {
                let now = t0.addingTimeInterval(Double(index))
                let command: RoomCommand = index == 1
                    ? .startTimer : .mark(candidate: "c\(index % 2 + 1)", criterion: "A1C1.\(index % 5 + 1)", mark: (index / 10) % 2 == 0 ? .met : .notMet, comment: nil)
                let new = try state.decide(command, by: juror, at: now, checklist: a1c1Checklist).enumerated().map { offset, kind in
                    RoomEvent(room: plan.id, seq: state.lastSeq + 1 + offset, at: now, kind: kind)
                }
                for event in new { state.apply(event) }
                try await store.append(new, state: state)
            }
            #expect(state.lastSeq == 30 * number + 1, "scheduled, two for the start, then one event per mark (each changes a value)")
            expected.append(state)
        }
        expected.sort { $0.plan.id < $1.plan.id }
        for (lanes, chunk) in [(1, 100), (2, 1), (3, 4), (16, 3)] {
            let loaded = try await store.allStates(lanes: lanes, chunk: chunk)
            #expect(loaded.map { "\($0.plan.id)@\($0.lastSeq)" } == expected.map { "\($0.plan.id)@\($0.lastSeq)" }, "lanes \(lanes), chunk \(chunk)")
            #expect(loaded == expected, "lanes \(lanes), chunk \(chunk): the states differ")
        }
    }
}

@Suite(.temporaryFolder) struct GroupCommitTests {
    @Test func concurrentAppendsShareTransactionsAndFailAlone() async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let (database, store, makePlan) = try await roomStoreFixture(at: t0)
        let plans = (1...40).map { makePlan("r\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for plan in plans {
                group.addTask {
                    try await store.append([RoomEvent(room: plan.id, seq: 1, at: t0, kind: .scheduled(plan))], state: RoomState(scheduled: plan, at: t0))
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.allHistories().count == 40)
        let stats = database.committer.stats
        #expect(stats.writes == 40)
        #expect(stats.transactions < 40, "writes arriving together were grouped (\(stats.transactions) transactions)")
        // A failing write (event 1 of r1 again) fails alone; the other one in flight commits.
        let duplicate = RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plans[0]))
        let bad = Task { try await store.append([duplicate], state: RoomState(scheduled: plans[0], at: t0)) }
        var state = RoomState(scheduled: plans[1], at: t0)
        let next = RoomEvent(room: "r2", seq: 2, at: t0, kind: .opened)
        state.apply(next)
        let good = Task { try await store.append([next], state: state) }
        await #expect(throws: (any Error).self) { try await bad.value }
        try await good.value
        #expect(try await store.events(of: "r2", after: 0).count == 2)
        #expect(try await store.verifyChains().breaks.isEmpty)
    }

    @Test func aFailingWriteInABatchIsRetriedAloneAndTheOthersCommitOnce() async throws {
        let database = try makeDatabase()
        try await database.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (n INTEGER PRIMARY KEY)") }
        let committer = database.committer
        let before = committer.stats
        // A first write holds the writer until the next twenty are all queued, so they form one batch (no timing:
        // with a fixed sleep, a busy CI machine once queued the first write late and all 21 went together).
        let slow = try await holdWriter(committer, untilQueued: 20) { db in try db.execute(sql: "INSERT INTO scratch VALUES (0)") }
        let writes = (1...20).map { n in
            Task {
                try await committer.write { db in
                    // Write 7 inserts a row, then fails on a duplicate key: its own row must not survive either.
                    try db.execute(sql: "INSERT INTO scratch VALUES (?)", arguments: [n == 7 ? 1000 : n])
                    if n == 7 { try db.execute(sql: "INSERT INTO scratch VALUES (1000)") }
                }
            }
        }
        try await slow.value
        var failures: [Int] = []
        for (index, write) in writes.enumerated() {
            do { try await write.value } catch { failures.append(index + 1) }
        }
        #expect(failures == [7])
        let rows = try await database.pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM scratch ORDER BY n") }
        #expect(rows == [0] + (1...20).filter { $0 != 7 })
        let after = committer.stats
        #expect(after.writes - before.writes == 21)
        #expect(after.transactions - before.transactions == 2, "the twenty writes formed one batch")
    }
}
