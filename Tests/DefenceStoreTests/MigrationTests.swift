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
                    arguments: ["r1", t0, payload, EventChain.link(previous: EventChain.genesis, payload: payload)]
                )
            }
        }
        let database = try DefenceDatabase(path: path)
        #expect(try database.appliedMigrations().last == "v7-public-events-index")
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
}
