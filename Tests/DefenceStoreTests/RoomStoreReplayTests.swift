import DefenceCore
@testable import DefenceStore
import Foundation
import GRDB
import Testing

/// What `RESUME` reads back: every event for the jury, only the candidates' events for a candidate, found through
/// their own index.
@Suite(.temporaryFolder) struct RoomStoreReplayTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Room r1 with a log that a candidate mostly does not see: scheduled (1), Léa joins (2), jury messages and
    /// marks (3–8), a message to the room (9), another mark (10). Each event stored with its delivered line.
    func roomWithAMostlyJuryLog() async throws -> RoomStore {
        let (_, store, plan) = try await roomStoreFixture(at: t0)
        let kinds: [RoomEventKind] = [
            .scheduled(plan("r1")),
            .joined(user: "c1"),
            .message(from: "j1", audience: .jury, text: "un"),
            .marked(juror: "j1", candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil),
            .message(from: "j2", audience: .jury, text: "deux"),
            .marked(juror: "j2", candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil),
            .message(from: "j1", audience: .jury, text: "trois"),
            .marked(juror: "j1", candidate: "c2", criterion: "A1C1.2", mark: .notMet, comment: nil),
            .message(from: "j1", audience: .room, text: "pour tous"),
            .marked(juror: "j2", candidate: "c2", criterion: "A1C1.2", mark: .met, comment: nil),
        ]
        var state = RoomState(scheduled: plan("r1"), at: t0)
        for (index, kind) in kinds.enumerated() {
            let event = RoomEvent(room: "r1", seq: index + 1, at: t0.addingTimeInterval(Double(index)), kind: kind)
            if index > 0 { state.apply(event) }
            try await store.append([event], state: state, delivered: [RoomStore.Delivered(line: "EVENT r1 \(index + 1)", gridOpen: false)])
        }
        return store
    }

    @Test func aCandidatesReplayHoldsOnlyTheEventsCandidatesSee() async throws {
        let store = try await roomWithAMostlyJuryLog()
        let candidate = try #require(try await store.replay(of: "r1", after: 1, juryOnly: false))
        #expect(candidate.map(\.seq) == [2, 9])
        #expect(candidate.map(\.line) == ["EVENT r1 2", "EVENT r1 9"])
        #expect(candidate.allSatisfy { !$0.juryOnly })
        let jury = try #require(try await store.replay(of: "r1", after: 1))
        #expect(jury.map(\.seq) == Array(2...10))
        #expect(jury.filter(\.juryOnly).map(\.seq) == [3, 4, 5, 6, 7, 8, 10])
        // A candidate's `after` is in its own numbering: after its second event (Léa's arrival), its third is the
        // room's event 9.
        #expect(try await store.replay(of: "r1", after: 2, juryOnly: false)?.map(\.seq) == [9])
        #expect(try await store.replay(of: "r1", after: 3, juryOnly: false) == [])
    }

    /// A jury message whose `jury_only` was set to 7 is in the candidates' index (`IS NOT 1`) but is never replayed
    /// to them: a flag other than 0 or 1 is not what the chain wrote, and the replay fails instead.
    @Test func aFlagOtherThanZeroOrOneIsNeverReplayed() async throws {
        let store = try await roomWithAMostlyJuryLog()
        try await store.database.pool.write { db in try db.execute(sql: "UPDATE room_event SET jury_only = 7 WHERE room_id = 'r1' AND seq = 3") }
        await #expect(throws: UnreadableRow.self) { _ = try await store.replay(of: "r1", after: 1, juryOnly: false) }
        await #expect(throws: UnreadableRow.self) { _ = try await store.replay(of: "r1", after: 1) }
        #expect(try await store.verifyChains().breaks.first.map { "\($0.room) \($0.seq)" } == "r1 3")
    }

    @Test func aCandidatesReplayReadsTheIndexOfTheirEventsNotTheWholeLog() async throws {
        let store = try await roomWithAMostlyJuryLog()
        let plan = try await store.database.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + RoomStore.publicReplaySQL, arguments: ["r1", 1]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("USING INDEX room_event_public") }, "\(plan)")
        // The index holds the candidates' events only: the jury's messages and marks cost it nothing.
        let indexed = try await store.database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM room_event INDEXED BY room_event_public WHERE room_id = 'r1' AND jury_only IS NOT 1")
        }
        #expect(indexed == 3)
    }

    @Test func anEventStoredBeforeLinesWereKeptSendsACandidatesReplayToTheFoldToo() async throws {
        let store = try await roomWithAMostlyJuryLog()
        // A row as versions before v5 wrote them: no line, and nothing known of who may see it.
        try await store.database.pool.write { db in
            try db.execute(sql: "UPDATE room_event SET line = NULL, grid_open = NULL, jury_only = NULL WHERE room_id = 'r1' AND seq = 5")
        }
        // As migration v8 chained such rows: over the columns as they are.
        try await store.resealForTests()
        #expect(try await store.replay(of: "r1", after: 1, juryOnly: false) == nil)
        #expect(try await store.replay(of: "r1", after: 1) == nil)
        // The candidates' numbering cannot be read from the index while such a row is there: the fold numbers it.
        #expect(try await store.replay(of: "r1", after: 3, juryOnly: false) == nil)
    }
}
