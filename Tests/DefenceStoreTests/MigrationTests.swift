import DefenceCore
@testable import DefenceStore
import Foundation
import GRDB
import Testing

/// A database written by an earlier version opens, migrates and goes on.
@Suite(.temporaryFolder) struct MigrationTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aDatabaseWithTheRoomsLastSeqColumnLosesItAndKeepsItsRooms() async throws {
        let path = try TemporaryFolder.path("v5") + ".sqlite"
        let bundled = try ReferentialLoader.bundled()
        let plan = RoomPlan(
            id: "r1", kind: .team, epreuve: 2, referentialHash: bundled.hash, competences: ["A1C1"], candidates: ["c1"],
            jurors: ["j1", "j2"], president: "j1", start: t0, phases: [Phase(name: "all", seconds: 1800)], warnings: [],
            visibility: .live
        )
        let scheduled = RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan))
        // The schema as v5 left it, with a room written the way v5 wrote rooms (its last_seq column included).
        do {
            let old = try DatabaseQueue(path: path)
            try DefenceDatabase.migrator.migrate(old, upTo: "v5-replay-and-snapshots")
            let payload = String(decoding: try JSONEncoder().encode(scheduled), as: UTF8.self)
            try await old.write { db in
                try db.execute(
                    sql: "INSERT INTO referential (hash, ref_id, title, origin, content, imported_at, activated_at) VALUES (?, ?, ?, 'bundled', ?, ?, ?)",
                    arguments: [bundled.hash, bundled.referential.id, bundled.referential.title, bundled.data, t0, t0]
                )
                try db.execute(
                    sql: "INSERT INTO room (id, state, kind, start_at, end_at, referential_hash, last_seq, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: ["r1", "scheduled", "team", t0, t0.addingTimeInterval(1800), bundled.hash, 1, String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)]
                )
                try db.execute(
                    sql: "INSERT INTO room_event (room_id, seq, at, type, payload, hash) VALUES (?, 1, ?, 'scheduled', ?, ?)",
                    arguments: ["r1", t0, payload, Self.payloadLink(EventChain.genesis, payload)]
                )
            }
        }
        let database = try DefenceDatabase(path: path)
        #expect(try database.appliedMigrations().last == "v13-request-key-digest")
        let columns = try await database.pool.read { db in try db.columns(in: "room").map(\.name) }
        #expect(!columns.contains("last_seq"))
        // The room folds as before, and takes new events.
        let store = RoomStore(database: database)
        var state = try #require(try await store.allStates().first)
        #expect(state.plan == plan)
        let mark = RoomEvent(room: "r1", seq: 2, at: t0, kind: .marked(juror: "j1", candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil))
        state.apply(mark)
        try await store.append([mark], state: state)
        #expect(try await store.allStates() == [state])
        #expect(try await store.verifyChains().breaks.isEmpty)
    }

    /// The link of v4–v7: SHA-256 of the previous link, LF, and the payload only.
    static func payloadLink(_ previous: String, _ payload: String) -> String {
        SHA256Hex.of(previous + "\n" + payload)
    }

    /// A v7 database: rooms whose events were chained over their payload only, the second one's chain broken when
    /// `breakIt`.
    func v7Database(_ path: String, breakIt: Bool) async throws {
        let bundled = try ReferentialLoader.bundled()
        let old = try DatabaseQueue(path: path)
        try DefenceDatabase.migrator.migrate(old, upTo: "v7-public-events-index")
        try await old.write { db in
            try db.execute(
                sql: "INSERT INTO referential (hash, ref_id, title, origin, content, imported_at, activated_at) VALUES (?, ?, ?, 'bundled', ?, ?, ?)",
                arguments: [bundled.hash, bundled.referential.id, bundled.referential.title, bundled.data, t0, t0]
            )
            for room in ["r1", "r2"] {
                let plan = RoomPlan(
                    id: room, kind: .team, epreuve: 2, referentialHash: bundled.hash, competences: ["A1C1"], candidates: ["c1"],
                    jurors: ["j1", "j2"], president: "j1", start: t0, phases: [Phase(name: "all", seconds: 1800)], warnings: [],
                    visibility: .live
                )
                try db.execute(
                    sql: "INSERT INTO room (id, state, kind, start_at, end_at, referential_hash, plan) VALUES (?, 'scheduled', 'team', ?, ?, ?, ?)",
                    arguments: [room, t0, plan.end, bundled.hash, String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)]
                )
                let events = [
                    RoomEvent(room: room, seq: 1, at: t0, kind: .scheduled(plan)),
                    RoomEvent(room: room, seq: 2, at: t0, kind: .message(from: "j1", audience: .jury, text: "bonjour")),
                ]
                var previous = EventChain.genesis
                for event in events {
                    let payload = try RoomEventJSON.encode(event)
                    previous = Self.payloadLink(previous, payload)
                    try db.execute(
                        sql: """
                            INSERT INTO room_event (room_id, seq, at, type, payload, line, grid_open, jury_only, grid_owner, hash)
                            VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL, ?)
                            """,
                        arguments: [room, event.seq, t0, event.kind.name, payload, "EVENT \(room) \(event.seq)", event.kind.isJuryOnly, previous]
                    )
                }
            }
            if breakIt {
                try db.execute(sql: "UPDATE room_event SET payload = replace(payload, 'bonjour', 'bonsoir') WHERE room_id = 'r2' AND seq = 2")
            }
        }
    }

    /// v10 drops the snapshots stored before the candidates' own numbering (they cannot be read, and the audit
    /// would report each as not the fold of its events), and keeps those that have it.
    @Test func theUpgradeDropsSnapshotsWithoutThePublicNumbering() async throws {
        let path = try TemporaryFolder.path("v9") + ".sqlite"
        try await v7Database(path, breakIt: false)
        let old = try DatabaseQueue(path: path)
        try DefenceDatabase.migrator.migrate(old, upTo: "v9-sealed-snapshots")
        try await old.write { db in
            try db.execute(sql: "INSERT INTO room_snapshot (room_id, seq, state, hash) VALUES ('r1', 1, '{\"lastSeq\":1}', 'x')")
            try db.execute(sql: "INSERT INTO room_snapshot (room_id, seq, state, hash) VALUES ('r2', 1, '{\"lastSeq\":1,\"publicSeq\":1}', 'y')")
        }
        try old.close()
        let database = try DefenceDatabase(path: path)
        let kept = try await database.pool.read { db in try String.fetchAll(db, sql: "SELECT room_id FROM room_snapshot") }
        #expect(kept == ["r2"])
    }

    /// v8 chains every column: the links are computed again, as the server computes them, and each room's last
    /// event is marked; the audit then covers what v7 did not (the line RESUME replays, who may see an event).
    @Test func theUpgradeChainsEveryColumnOfTheEventsAlreadyStored() async throws {
        let path = try TemporaryFolder.path("v7") + ".sqlite"
        try await v7Database(path, breakIt: false)
        let database = try DefenceDatabase(path: path)
        #expect(try database.appliedMigrations().last == "v13-request-key-digest")
        let store = RoomStore(database: database)
        #expect(try await store.verifyChains().breaks.isEmpty)
        let tails = try await database.pool.read { db in try Int.fetchAll(db, sql: "SELECT seq FROM room_event WHERE tail = 1 ORDER BY room_id") }
        #expect(tails == [2, 2])
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE room_event SET jury_only = 0 WHERE room_id = 'r1' AND seq = 2")
        }
        #expect(try await store.verifyChains().breaks.map { "\($0.room) \($0.seq)" } == ["r1 2"])
    }

    /// An upgrade never seals altered data: a room whose payload chain is already broken stops it.
    @Test func theUpgradeStopsAtAChainAlreadyBroken() async throws {
        let path = try TemporaryFolder.path("v7-broken") + ".sqlite"
        try await v7Database(path, breakIt: true)
        #expect {
            _ = try DefenceDatabase(path: path)
        } throws: { error in
            "\(error)".contains("room r2: its event chain is broken at event 2")
        }
    }
}
