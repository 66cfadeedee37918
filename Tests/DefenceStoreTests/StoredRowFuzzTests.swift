import DefenceCore
@testable import DefenceStore
import DefenceProtocol
import Foundation
import GRDB
import Testing

/// A bounded fuzz of what the store reads back: rows of every stored table filled with values of every kind (wrong
/// types, dates no calendar has, broken JSON, invalid UTF-8, huge numbers), then every read of the stores. A read
/// may fail, with an error; nothing may crash (a crash ends the test run).
@Suite(.temporaryFolder) struct StoredRowFuzzTests {
    /// Values of every storage class, and texts the decoders meet in practice.
    static func values(_ random: inout some RandomNumberGenerator) -> [DatabaseValue] {
        let event = (try? RoomEventJSON.encode(RoomEvent(room: "r1", seq: 1, at: Date(timeIntervalSince1970: 1_800_000_000), kind: .opened))) ?? "{}"
        var values: [DatabaseValue] = [
            .null, 0.databaseValue, (-1).databaseValue, Int64.max.databaseValue, Int64.min.databaseValue, 1.5.databaseValue,
            1e308.databaseValue, "".databaseValue, "x".databaseValue, "10000-01-01 00:00:00.000".databaseValue,
            "2026-02-30 10:00:00.000".databaseValue, "2026-12-01 08:00:00.000".databaseValue, "0001-01-01".databaseValue,
            "{".databaseValue, "{}".databaseValue, "[]".databaseValue, "null".databaseValue, event.databaseValue,
            "candidate".databaseValue, "admin".databaseValue, "bundled".databaseValue, "scheduled".databaseValue,
            "r1".databaseValue, "u1".databaseValue, String(repeating: "é", count: 3000).databaseValue,
            Data([0xff, 0xfe, 0x00, 0x80]).databaseValue, Data().databaseValue, "1".databaseValue, "true".databaseValue,
        ]
        values.append(Data((0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }).databaseValue)
        values.append(String(decoding: (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0x20...0x7e, using: &random) }, as: UTF8.self).databaseValue)
        return values
    }

    /// The tables and their columns, as the migrations leave them.
    static let tables: [(name: String, columns: [String])] = [
        ("user", ["id", "role", "display_name", "email", "created_at", "disabled_at"]),
        ("access_token", ["id", "user_id", "hash", "label", "created_at", "expires_at", "revoked_at", "last_used_at"]),
        ("referential", ["hash", "ref_id", "title", "origin", "content", "imported_at", "activated_at"]),
        ("room", ["id", "state", "kind", "start_at", "end_at", "referential_hash", "plan"]),
        ("room_event", ["room_id", "seq", "at", "type", "payload", "hash", "line", "grid_open", "jury_only", "grid_owner", "tail"]),
        ("room_snapshot", ["room_id", "seq", "state"]),
        ("server_heartbeat", ["id", "at"]),
    ]

    @Test func randomRowsNeverCrashAStoreRead() async throws {
        var random = SystemRandomNumberGenerator()
        for round in 0..<12 {
            let database = try makeDatabase()
            // The rows, made before the write (the generator stays on this task).
            var inserts: [(sql: String, arguments: StatementArguments)] = []
            for table in Self.tables {
                for _ in 0..<6 {
                    let values = Self.values(&random)
                    var row = table.columns.map { _ in values.randomElement(using: &random) ?? .null }
                    // Keys from a small set, so that rows meet (a token of a user, events of a room).
                    if ["room_id", "id", "user_id"].contains(table.columns[0]), Bool.random(using: &random) {
                        let keys: [DatabaseValue] = ["r1".databaseValue, "u1".databaseValue, 1.databaseValue, 2.databaseValue]
                        row[0] = keys.randomElement(using: &random) ?? .null
                    }
                    let placeholders = table.columns.map { _ in "?" }.joined(separator: ", ")
                    inserts.append((
                        "INSERT OR REPLACE INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(placeholders))",
                        StatementArguments(row)
                    ))
                }
            }
            try await database.pool.writeWithoutTransaction { [inserts] db in
                // The schema's own checks (NOT NULL, CHECK, keys) refuse some rows; the reads must survive the rest.
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                for insert in inserts { _ = try? db.execute(sql: insert.sql, arguments: insert.arguments) }
                try db.execute(sql: "PRAGMA foreign_keys = ON")
            }
            let accounts = AccountStore(database: database)
            let referentials = ReferentialStore(database: database)
            let rooms = RoomStore(database: database)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            _ = try? await accounts.user("u1")
            _ = try? await accounts.users()
            _ = try? await accounts.users(role: .candidate, active: true)
            _ = try? await accounts.tokens()
            _ = try? await accounts.tokens(of: "u1")
            _ = try? await accounts.revokeToken(1, now: now)
            _ = try? await accounts.disableUser("u1", now: now)
            _ = try? await accounts.enableUser("u1")
            _ = try? await accounts.authenticate(secret: "drt_x", now: now)
            _ = try? await referentials.active()
            _ = try? await referentials.list()
            _ = try? await referentials.versions(matching: "")
            _ = try? await referentials.content(of: "x")
            let loaded = try? await rooms.loadStates()
            _ = try? await rooms.allHistories()
            _ = try? await rooms.events(of: "r1", after: 0)
            _ = try? await rooms.replay(of: "r1", after: 0)
            _ = try? await rooms.replay(of: "r1", after: 0, juryOnly: false)
            _ = try? await rooms.record(of: "r1", through: 3)
            _ = try? await rooms.verifyChains()
            _ = try? await rooms.verifyChains(room: "r1", at: 1)
            _ = try? await rooms.lastHeartbeat()
            // What loaded is what the rows say: a listed room, under its own id, in a state the domain can use.
            let listed = try await database.pool.read { db in
                Set(try Row.fetchAll(db, sql: "SELECT id FROM room").compactMap { try? $0.decode(String.self, forColumn: "id") })
            }
            for state in loaded?.states ?? [] {
                #expect(listed.contains(state.plan.id) && state.isSound, "round \(round): \(state.plan.id)")
            }
        }
    }

    /// A real room's rows (a log of 150 events, its snapshot sealed, its listing row), one value changed at random
    /// each round: a column of an event, the listing row, or the snapshot's text, resealed as someone who knows the
    /// seal would. The start either loads a sound room or refuses it alone; the audit reports every change to an
    /// event; nothing crashes.
    @Test func mutatedRealRowsNeverCrashAStoreRead() async throws {
        var random = SystemRandomNumberGenerator()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let eventColumns = ["seq", "at", "type", "payload", "line", "grid_open", "jury_only", "grid_owner", "hash", "tail"]
        let roomColumns = ["state", "kind", "start_at", "end_at", "referential_hash", "plan"]
        for round in 0..<16 {
            let (database, store, plan) = try await roomStoreFixture(at: t0)
            var state = RoomState(scheduled: plan("r1"), at: t0)
            var events = [RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan("r1")))]
            for seq in 2...150 {
                let kind: RoomEventKind = switch seq % 3 {
                case 0: .message(from: "j1", audience: seq % 2 == 0 ? .jury : .room, text: "message \(seq)")
                case 1: .marked(juror: seq % 2 == 0 ? "j1" : "j2", candidate: "c1", criterion: "A1C1.\(seq % 4 + 1)", mark: seq % 5 == 0 ? .notMet : .met, comment: nil)
                default: .joined(user: "c2")
                }
                let event = RoomEvent(room: "r1", seq: seq, at: t0.addingTimeInterval(Double(seq)), kind: kind)
                state.apply(event)
                events.append(event)
            }
            var folded = RoomState(scheduled: plan("r1"), at: t0)
            for batch in stride(from: 0, to: events.count, by: 10) {
                let slice = Array(events[batch..<min(events.count, batch + 10)])
                for event in slice where event.seq > 1 { folded.apply(event) }
                try await store.append(slice, state: folded, delivered: slice.map { RoomStore.Delivered(line: "EVENT r1 \($0.seq)", gridOpen: false) })
            }
            let values = Self.values(&random)
            let choice = Int.random(in: 0..<3, using: &random)
            let seq = Int.random(in: 1...150, using: &random)
            let value = values.randomElement(using: &random) ?? .null
            let eventColumn = eventColumns.randomElement(using: &random) ?? "payload"
            let changedEvent = try await database.pool.writeWithoutTransaction { db -> Bool in
                switch choice {
                case 0:
                    // Changed only if the row now differs (the schema may refuse the value, or it was there already).
                    let read = "SELECT \(eventColumn) FROM room_event WHERE room_id = 'r1' AND seq = ?"
                    let before = try DatabaseValue.fetchOne(db, sql: read, arguments: [seq])
                    _ = try? db.execute(sql: "UPDATE room_event SET \(eventColumn) = ? WHERE room_id = 'r1' AND seq = ?", arguments: [value, seq])
                    let gone = try Int.fetchOne(db, sql: "SELECT count(*) FROM room_event WHERE room_id = 'r1' AND seq = ?", arguments: [seq]) == 0
                    let after = try DatabaseValue.fetchOne(db, sql: read, arguments: [seq])
                    return gone || after != before
                case 1:
                    let column = roomColumns.randomElement() ?? "plan"
                    _ = try? db.execute(sql: "UPDATE room SET \(column) = ? WHERE id = 'r1'", arguments: [value])
                    return false
                default:
                    // The snapshot's text with one character changed, then sealed again over its event's link.
                    guard let row = try Row.fetchOne(db, sql: "SELECT s.state, e.hash FROM room_snapshot s JOIN room_event e ON e.room_id = s.room_id AND e.seq = s.seq"),
                        let text = try? row.decode(String.self, forColumn: "state"), let link = try? row.decode(String.self, forColumn: "hash"),
                        !text.isEmpty
                    else { return false }
                    var scalars = Array(text.unicodeScalars)
                    let replacements: [Unicode.Scalar] = ["0", "9", "-", "\"", ",", "}", "e", "x", "é", " "]
                    scalars[Int.random(in: 0..<scalars.count)] = replacements.randomElement() ?? "0"
                    var forged = ""
                    forged.unicodeScalars.append(contentsOf: scalars)
                    try db.execute(sql: "UPDATE room_snapshot SET state = ?, hash = ?", arguments: [forged, EventChain.seal(snapshot: forged, link: link)])
                    return false
                }
            }
            let loaded = try? await store.loadStates()
            for state in loaded?.states ?? [] {
                #expect(state.isSound && state.plan.id == "r1", "round \(round)")
            }
            _ = try? await store.replay(of: "r1", after: 0)
            _ = try? await store.replay(of: "r1", after: 0, juryOnly: false)
            _ = try? await store.record(of: "r1", through: 150)
            let audit = try? await store.verifyChains()
            if changedEvent {
                // Every change to an event is seen: the audit runs (the room's rows may be unreadable, then it says so)
                // and reports at least one problem.
                #expect(audit.map { !$0.breaks.isEmpty } ?? true, "round \(round): event \(seq)'s \(eventColumn) set to \(value), unseen")
            }
        }
    }
}
