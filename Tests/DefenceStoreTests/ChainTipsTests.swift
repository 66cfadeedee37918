import DefenceCore
@testable import DefenceStore
import Foundation
import GRDB
import Synchronization
import Testing

/// The writer keeps each room's last hash-chain link: an append reads its previous link from the database only
/// after a start or a failed write, and the chains stay intact either way.
@Suite(.temporaryFolder) struct ChainTipsTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Counts the writer connection's reads of a previous link from now on.
    final class LinkReads: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }

        init(_ database: DefenceDatabase) async throws {
            try await database.pool.writeWithoutTransaction { [self] db in
                db.trace { event in
                    if case .statement(let statement) = event, statement.sql.hasPrefix("SELECT hash FROM room_event") {
                        self.count.withLock { $0 += 1 }
                    }
                }
            }
        }
    }

    func mark(_ seq: Int, room: String = "r1") -> RoomEvent {
        RoomEvent(room: room, seq: seq, at: t0.addingTimeInterval(Double(seq)), kind: .marked(juror: "j1", candidate: "c1", criterion: "A1C1.1", mark: seq % 2 == 0 ? .met : .notMet, comment: nil))
    }

    @Test func anAppendReadsItsPreviousLinkOnlyAfterAStartOrAFailure() async throws {
        let (database, store, plan) = try await roomStoreFixture(at: t0)
        var state = RoomState(scheduled: plan("r1"), at: t0)
        try await store.append([RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan("r1")))], state: state)
        let reads = try await LinkReads(database)
        for seq in 2...11 {
            state.apply(mark(seq))
            try await store.append([mark(seq)], state: state)
        }
        #expect(reads.value == 0)
        #expect(database.chainTips.link(of: "r1", at: 11) != nil)

        // A failed write (a sequence number already taken) forgets every link; the next append reads its own.
        await #expect(throws: (any Error).self) { try await store.append([mark(5)], state: state) }
        #expect(database.chainTips.count == 0)
        let readsBefore = reads.value
        for seq in 12...13 {
            state.apply(mark(seq))
            try await store.append([mark(seq)], state: state)
        }
        #expect(reads.value == readsBefore + 1)
        #expect(try await store.verifyChains().breaks.isEmpty)

        // A new start (another database object on the same file) knows no link: one read, then none.
        let reopened = try DefenceDatabase(path: database.path)
        let reopenedReads = try await LinkReads(reopened)
        for seq in 14...16 {
            state.apply(mark(seq))
            try await RoomStore(database: reopened).append([mark(seq)], state: state)
        }
        #expect(reopenedReads.value == 1)
        let report = try await RoomStore(database: reopened).verifyChains()
        #expect(report.events == 16 && report.breaks.isEmpty)
    }

    /// A batch where one write fails is rolled back and replayed write by write: the links are forgotten, and the
    /// writes that succeed in the replay still chain onto the right links.
    @Test func aRolledBackBatchForgetsTheLinksAndTheChainsStayIntact() async throws {
        let (database, store, plan) = try await roomStoreFixture(at: t0)
        var states: [String: RoomState] = [:]
        for room in ["r1", "r2"] {
            states[room] = RoomState(scheduled: plan(room), at: t0)
            try await store.append([RoomEvent(room: room, seq: 1, at: t0, kind: .scheduled(plan(room)))], state: states[room]!)
            for seq in 2...4 {
                states[room]!.apply(mark(seq, room: room))
                try await store.append([mark(seq, room: room)], state: states[room]!)
            }
        }
        // One batch: r1's next mark (good) and r2's event 3 again (refused).
        let holding = try await holdWriter(database.committer, untilQueued: 2) { _ in }
        var r1 = states["r1"]!
        r1.apply(mark(5))
        let (good, again, r2) = (mark(5), mark(3, room: "r2"), states["r2"]!)
        let goodWrite = Task { [r1] in try await store.append([good], state: r1) }
        let badWrite = Task { try await store.append([again], state: r2) }
        try await holding.value
        try await goodWrite.value
        await #expect(throws: (any Error).self) { try await badWrite.value }
        #expect(database.committer.stats.transactions >= 9)
        #expect(database.chainTips.link(of: "r2", at: 4) == nil)
        r1.apply(mark(6))
        try await store.append([mark(6)], state: r1)
        let report = try await store.verifyChains()
        #expect(report.events == 10 && report.breaks.isEmpty)
    }

    @Test func aFailedDayImportForgetsTheLinks() async throws {
        let (database, store, plan) = try await roomStoreFixture(at: t0)
        try await store.append([RoomEvent(room: "r1", seq: 1, at: t0, kind: .scheduled(plan("r1")))], state: RoomState(scheduled: plan("r1"), at: t0))
        #expect(database.chainTips.count == 1)
        let user = User(id: "c9", role: .candidate, displayName: "C9", createdAt: t0)
        let room = (RoomEvent(room: "r2", seq: 1, at: t0, kind: .scheduled(plan("r2"))), RoomState(scheduled: plan("r2"), at: t0))
        await #expect(throws: (any Error).self) { try await store.importDay(users: [user, user], rooms: [room]) }
        #expect(database.chainTips.count == 0)
    }
}
