import DefenceCore
import Foundation
import GRDB

/// Checks stored rooms one event row at a time, in room and sequence order (``RoomStore/verifyChains(room:at:)``):
/// each room's hash chain over every column of its events, its last-event mark, and its listing row and snapshot against the
/// fold of its events. Nothing it reads can crash it: a value of the wrong type is reported as a problem of its room.
struct ChainAuditor {
    /// A room's stored listing row and snapshot, read before its events.
    private struct Stored {
        var row: Row?
        var snapshot: (seq: Int, text: String)?
    }

    /// The room whose events are being read.
    private struct Current {
        let room: String
        var previous = EventChain.genesis
        var expectedSeq = 1
        /// The chain broke: later links are not checked (they cannot match).
        var broken = false
        /// The fold of the events so far; nil before the first one or once an event could not be applied.
        var state: RoomState?
        var foldFailed = false
        var lastSeq = 0
        var lastLink: String?
        /// The events marked as the log's last (`tail`), and whether the last one read is one.
        var tails: [Int] = []
        var lastIsTail = false
    }

    private var stored: [String: Stored] = [:]
    private var current: Current?
    private var report = RoomStore.AuditReport(rooms: 0, events: 0, breaks: [])
    private var seen: Set<String> = []

    /// Reads the listing rows and snapshots of `room` (or of every room).
    init(_ db: Database, room: String?) throws {
        let filter = room == nil ? "" : " WHERE id = ?"
        let arguments: StatementArguments = room.map { [$0] } ?? []
        for row in try Row.fetchAll(db, sql: "SELECT id, state, kind, start_at, end_at, referential_hash, plan FROM room\(filter)", arguments: arguments) {
            guard let id = try? row.decode(String.self, forColumn: "id") else { continue }
            stored[id, default: Stored()].row = row
        }
        let roomFilter = room == nil ? "" : " WHERE room_id = ?"
        for row in try Row.fetchAll(db, sql: "SELECT room_id, seq, state FROM room_snapshot\(roomFilter)", arguments: arguments) {
            guard let id = try? row.decode(String.self, forColumn: "room_id"), let seq = try? row.decode(Int.self, forColumn: "seq"),
                let text = try? row.decode(String.self, forColumn: "state")
            else { continue }
            stored[id, default: Stored()].snapshot = (seq, text)
        }
    }

    /// The sequence number of the last event checked.
    var currentSeq: Int? { current?.lastSeq }

    /// Checks one event row (all its columns and `hash`); returns its stored link, if readable.
    mutating func check(_ row: Row) -> String? {
        guard let id = try? row.decode(String.self, forColumn: "room_id") else {
            report.breaks.append(.init(room: "?", seq: 0, problem: "an event row has no readable room"))
            return nil
        }
        if current?.room != id {
            finishRoom()
            current = Current(room: id)
            seen.insert(id)
            report.rooms += 1
        }
        // Taken out while it changes, so that folding the event does not copy the state's storage.
        guard var room = current.take() else { return nil }
        defer { current = room }
        report.events += 1
        let seq = (try? row.decode(Int.self, forColumn: "seq")) ?? -1
        room.lastSeq = seq
        let hash = try? row.decode(String.self, forColumn: "hash")
        room.lastLink = hash
        let mark = (try? row.decode(DatabaseValue.self, forColumn: "tail")) ?? .null
        room.lastIsTail = mark == 1.databaseValue
        if room.lastIsTail { room.tails.append(seq) }
        // The mark is 1 or nothing: any other value was written by someone else than the server.
        if !mark.isNull, !room.lastIsTail {
            report.breaks.append(.init(room: room.room, seq: seq, problem: "its last-event mark holds \(mark), which the server never writes (1 or nothing)"))
        }
        if !room.broken {
            if let problem = chainProblem(row, seq: seq, hash: hash, room: &room) {
                report.breaks.append(.init(room: room.room, seq: seq, problem: problem))
                room.broken = true
            }
            // Wrapping: a stored number is untrusted (Int.max must be reported, not trap).
            room.expectedSeq = seq &+ 1
            room.previous = hash ?? ""
        }
        fold(row, seq: seq, into: &room)
        return hash
    }

    /// What breaks the chain at this row, if anything.
    private func chainProblem(_ row: Row, seq: Int, hash: String?, room: inout Current) -> String? {
        guard seq == room.expectedSeq else {
            return seq < 0 ? "its sequence number cannot be read" : "expected event \(room.expectedSeq): an event is missing"
        }
        guard let columns = try? EventChain.Row(stored: row), let hash
        else { return "a column has a value of the wrong type: the row was altered" }
        guard EventChain.link(previous: room.previous, row: columns) == hash else {
            return "the hash does not match: the event or an earlier one was altered"
        }
        return nil
    }

    /// Applies the row's event to the room's fold, and compares the fold with the snapshot taken at this event.
    private mutating func fold(_ row: Row, seq: Int, into room: inout Current) {
        guard !room.foldFailed else { return }
        guard let payload = try? row.decode(String.self, forColumn: "payload"), let event = try? RoomEventJSON.decode(payload),
            event.room == room.room, event.seq == seq, event.isSound
        else {
            room.foldFailed = true
            room.state = nil
            report.breaks.append(.init(room: room.room, seq: seq, problem: "the stored event cannot be read as this room's event \(seq)"))
            return
        }
        if var state = room.state.take() {
            guard seq == state.lastSeq &+ 1 else {
                room.foldFailed = true
                return
            }
            state.apply(event)
            room.state = state
        } else if let state = try? RoomState.fold([event]) {
            room.state = state
        } else {
            room.foldFailed = true
            report.breaks.append(.init(room: room.room, seq: seq, problem: "the room's history does not start with its scheduled event"))
            return
        }
        if let snapshot = stored[room.room]?.snapshot, snapshot.seq == seq, let state = room.state,
            (try? RoomStateJSON.decode(snapshot.text)).map({ $0 != state || !$0.isSound }) ?? true
        {
            report.breaks.append(.init(room: room.room, seq: seq, problem: "the stored snapshot is not the fold of the events up to it"))
        }
    }

    /// Ends the room being read: its last-event mark, its listing row, its snapshot.
    private mutating func finishRoom() {
        guard let room = current else { return }
        current = nil
        let stored = self.stored[room.room] ?? Stored()
        func problem(_ text: String) { report.breaks.append(.init(room: room.room, seq: 0, problem: text)) }
        if !room.lastIsTail {
            problem("its log ends at event \(room.lastSeq), which is not marked as its last: events were removed")
        }
        if room.tails.contains(where: { $0 != room.lastSeq }) {
            problem("an event before its last is marked as its last (\(room.tails.map(String.init).joined(separator: ", "))): events were added or the mark moved")
        }
        if let snapshot = stored.snapshot, snapshot.seq > room.lastSeq {
            problem("its snapshot is of event \(snapshot.seq), after the end of its log")
        }
        guard let row = stored.row else { return problem("it has events but no listing row") }
        guard let state = room.state else { return }
        if !Self.lists(row, state) { problem("its listing row (state, kind, times, referential or plan) is not what its events say") }
    }

    /// Whether a listing row says what the room's fold says: its state, kind, times and plan.
    private static func lists(_ row: Row, _ state: RoomState) -> Bool {
        func same(_ column: String, _ date: Date) -> Bool {
            guard let stored = try? row.decode(Date.self, forColumn: column) else { return false }
            return abs(stored.timeIntervalSince(date)) < 0.001
        }
        guard let lifecycle = try? row.decode(String.self, forColumn: "state"), lifecycle == state.lifecycle.rawValue,
            let kind = try? row.decode(String.self, forColumn: "kind"), kind == state.plan.kind.rawValue,
            let referential = try? row.decode(String.self, forColumn: "referential_hash"), referential == state.plan.referentialHash,
            same("start_at", state.plan.start), same("end_at", state.plan.end),
            let text = try? row.decode(String.self, forColumn: "plan"),
            let plan = try? JSONDecoder().decode(RoomPlan.self, from: Data(text.utf8))
        else { return false }
        return plan == state.plan
    }

    /// The report, once every row was checked: rooms listed or snapshotted without a single event too.
    mutating func finish() -> RoomStore.AuditReport {
        finishRoom()
        for (room, stored) in stored.sorted(by: { $0.key < $1.key }) where !seen.contains(room) {
            report.rooms += 1
            let what = stored.row != nil ? "listing row" : "snapshot"
            report.breaks.append(.init(room: room, seq: 0, problem: "it has a \(what) but no event: its log was removed"))
        }
        return report
    }
}

extension RoomStore {
    /// For tests that write rows by hand as an older version would have (a line left empty, say): computes every
    /// link again over the rows as they are, and marks each room's last event, as migration v8 did once it had
    /// checked the old chains. Never called by the server or its commands: on real data it would seal whatever is
    /// there.
    func resealForTests() async throws {
        try await database.pool.write { db in
            for room in try String.fetchAll(db, sql: "SELECT DISTINCT room_id FROM room_event") {
                var link = EventChain.genesis
                var last = 0
                for row in try Row.fetchAll(db, sql: "SELECT * FROM room_event WHERE room_id = ? ORDER BY seq", arguments: [room]) {
                    let columns = try EventChain.Row(stored: row)
                    link = EventChain.link(previous: link, row: columns)
                    last = columns.seq
                    try db.execute(sql: "UPDATE room_event SET hash = ?, tail = NULL WHERE room_id = ? AND seq = ?", arguments: [link, room, last])
                }
                try db.execute(sql: "UPDATE room_event SET tail = 1 WHERE room_id = ? AND seq = ?", arguments: [room, last])
            }
        }
        database.chainTips.forgetAll()
    }
}
