@testable import DefenceStore
import Foundation
import GRDB
import Synchronization
import Testing

/// The write-ahead log is copied back into the database file by the checkpointer, never inside a commit.
@Suite(.temporaryFolder) struct CheckpointerTests {
    /// The bytes of one row of `pages`: a 4 KiB page of its own.
    static let page = Data(repeating: 7, count: 4096)

    /// A database for a test's own checkpointer: the database's checkpointer is stopped (SQLite runs one checkpoint
    /// at a time, and two checkpointers' passes make the writer's catch-ups fail as busy), and a `pages` table is made.
    func databaseWithoutItsCheckpointer() async throws -> DefenceDatabase {
        let database = try makeDatabase()
        database.checkpointer.stop()
        try await database.pool.write { db in try db.execute(sql: "CREATE TABLE pages (n INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB)") }
        return database
    }

    /// Commits one row of `pages` through the group committer.
    func writePage(_ database: DefenceDatabase) async throws {
        try await database.committer.write { db in try db.execute(sql: "INSERT INTO pages (data) VALUES (?)", arguments: [Self.page]) }
    }

    @Test func commitsDoNotCheckpointTheCheckpointerCopiesTheLogIntoTheFile() async throws {
        let database = try makeDatabase()
        // No commit pays for a checkpoint: SQLite's automatic one is off on every connection.
        let automatic = try await database.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(automatic == 0)
        try await database.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (n INTEGER PRIMARY KEY)") }
        for n in 1...50 {
            try await database.committer.write { db in try db.execute(sql: "INSERT INTO scratch VALUES (?)", arguments: [n]) }
        }
        // The database file read alone, without its log, has the rows once the checkpointer has run.
        var rows = 0
        let deadline = Date().addingTimeInterval(10)
        while rows < 50, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            rows = rowsInFileAlone(database.path)
        }
        #expect(rows == 50)
    }

    @Test func underContinuousWritesTheLogIsStartedOver() async throws {
        // A checkpointer that asks for a new log from 256 pages (1 MiB) on, instead of the database's 16 MiB, and in
        // place of the database's own (with both, the log grew to 5.1–7.1 MiB in three of five runs).
        let database = try await databaseWithoutItsCheckpointer()
        let checkpointer = try Checkpointer(path: database.path, interval: 0.05, restartPages: 256) { [committer = database.committer] done in
            committer.catchUpCheckpoint(then: done)
        }
        defer { checkpointer.stop() }
        // Eight writers at once, 320 rows of 4 KiB each (10 MiB in all): the writer hardly ever waits for work, so
        // SQLite alone would almost never find the log fully copied at the start of a write, and the log would only
        // grow. A fixed volume, not a fixed time: on a busy machine two seconds wrote only 3.4 MiB, too little for
        // the log's high-water mark (the restart threshold plus what came during a pass) to stand clear of it.
        let rowsPerWriter = 320
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<rowsPerWriter {
                        try await writePage(database)
                        try await Task.sleep(for: .milliseconds(1))
                    }
                }
            }
            try await group.waitForAll()
        }
        let written = 8 * rowsPerWriter * Self.page.count
        let log = try FileManager.default.attributesOfItem(atPath: database.path + "-wal")[.size] as? Int ?? 0
        // A log never started over holds a frame for every page written: more than `written`, since each row's
        // 4 KiB fill a page of their own (13.3–16.3 MiB of log for the 10 MiB here, with the checkpointer told
        // never to ask for a restart). Started over, its file is as long as the most it held between two restarts:
        // 2.2–2.4 MiB with a 1 MiB threshold while a release build ran beside the test, against the 5 MiB bound.
        #expect(log < written / 2, "the log was started over: \(log / 1024) KiB of log for \(written / 1024) KiB written")
    }

    /// The writer's catch-up runs before the batch it was asked with, so it copies only what the checkpointer left,
    /// and that batch starts the log over. (Run after the batch, it also copied the batch itself, and the log
    /// started over one batch later.)
    @Test func theWritersCatchUpCopiesTheLogBeforeItsBatchAndTheBatchStartsTheLogOver() async throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        let pool = try DatabasePool(path: TemporaryFolder.path("catch-up") + ".sqlite", configuration: configuration)
        let committer = GroupCommitter(pool: pool)
        try await committer.write { db in
            try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
            for id in 1...20 {
                try db.execute(sql: "INSERT INTO filler (id, text) VALUES (?, ?)", arguments: [id, String(repeating: "x", count: 3_000)])
            }
        }
        // A first write holds the writer until the catch-up is asked for and the next write is queued, so that
        // both are taken together.
        let holding = try await holdWriter(committer, untilQueued: 1) { db in
            try db.execute(sql: "INSERT INTO filler (id, text) VALUES (21, 'held')")
        }
        committer.catchUpCheckpoint()
        let next = Task { try await committer.write { db in try db.execute(sql: "UPDATE filler SET text = 'next' WHERE id = 1") } }
        try await holding.value
        try await next.value
        // The log now holds the last write's pages only: it started over at that write.
        let (logFrames, _) = try await pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        #expect(logFrames > 0 && logFrames <= 4, "\(logFrames) frames in the log after the catch-up's batch")
        let texts = try await pool.read { db in try String.fetchAll(db, sql: "SELECT text FROM filler WHERE id IN (1, 21) ORDER BY id") }
        #expect(texts == ["next", "held"])
    }

    @Test func aPassThatCopiedPagesSyncsTheDatabaseFileAndAnIdlePassDoesNot() async throws {
        let database = try makeDatabase()
        try await database.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (n INTEGER PRIMARY KEY)") }
        let syncs = Mutex(0)
        let checkpointer = try Checkpointer(
            path: database.path, interval: 0.02,
            syncFile: { db in
                // The real sync goes through too: SQLite's handle on the file is found and synced.
                try Checkpointer.syncDatabaseFile(db)
                syncs.withLock { $0 += 1 }
            },
            onLongLog: { done in done() }
        )
        defer { checkpointer.stop() }
        func write(_ range: ClosedRange<Int>) async throws {
            for n in range {
                try await database.committer.write { db in try db.execute(sql: "INSERT INTO scratch VALUES (?)", arguments: [n]) }
            }
        }
        func waitForSyncs(above count: Int) async throws -> Int {
            let deadline = ContinuousClock.now + .seconds(10)
            while syncs.withLock({ $0 }) <= count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            return syncs.withLock { $0 }
        }
        try await write(1...20)
        let first = try await waitForSyncs(above: 0)
        #expect(first >= 1, "the pages copied were synced")
        // Nothing written: passes every 20 ms copy nothing, and sync nothing.
        try await Task.sleep(for: .milliseconds(300))
        let idle = syncs.withLock { $0 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(syncs.withLock { $0 } == idle, "no sync without new pages")
        // One commit of 100 pages: whether the log was started over or not, the pass copies a count (100 or more)
        // unlike the last one (20 small commits, under 100 frames), as a sync needs (see Checkpointer.pass).
        try await database.committer.write { db in
            try db.execute(sql: "CREATE TABLE pages (data BLOB)")
            for _ in 0..<100 { try db.execute(sql: "INSERT INTO pages (data) VALUES (?)", arguments: [Self.page]) }
        }
        #expect(try await waitForSyncs(above: idle) > idle, "new pages copied, synced again")
    }

    @Test func theServersDatabaseCheckpointsEveryFiftyMilliseconds() throws {
        // Short, frequent passes: each pass's sync is a burst of writes that the log's next sync waits behind, so
        // each must stay small (at 250 ms the acknowledgements' p99 was 25–84 ms, at 50 ms 11–32:
        // docs/performance.md). Measured by the bench, pinned here so that the setting does not drift back unnoticed.
        let database = try makeDatabase()
        #expect(database.checkpointer.interval == 0.05)
        #expect(Checkpointer.defaultInterval == 0.05)
    }

    @Test func theDatabaseFileSyncReachesSQLitesOwnHandle() async throws {
        let database = try makeDatabase()
        try await database.pool.writeWithoutTransaction { db in try Checkpointer.syncDatabaseFile(db) }
        // An in-memory database has no file handle: a clear error, not a crash.
        let memory = try DatabaseQueue()
        #expect(throws: DatabaseError.self) { try memory.writeWithoutTransaction { db in try Checkpointer.syncDatabaseFile(db) } }
    }

    /// The rows of `scratch` in a copy of the database file without its `-wal` (0 when it has none yet).
    private func rowsInFileAlone(_ path: String) -> Int {
        do {
            // In the test's folder, removed with it.
            let copy = try TemporaryFolder.path("file-alone") + ".sqlite"
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            return try DatabaseQueue(path: copy).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch") ?? 0 }
        } catch {
            return 0  // not checkpointed yet (no table), or a copy taken mid-checkpoint: look again
        }
    }

    /// Once it has asked the writer to catch up, the checkpointer makes no pass until the writer is done (SQLite runs
    /// one checkpoint at a time: a pass running then made the catch-up fail as busy), or until `catchUpWait` passed.
    /// Watched by the passes themselves: on CI's slow disk every pass copied the whole log, one commit each, and
    /// showed the count copied before, so the passes after `done` made no sync of their own in ten seconds.
    @Test func noPassWhileTheCatchUpItAskedForIsPending() async throws {
        let database = try await databaseWithoutItsCheckpointer()
        let asked = Mutex<[@Sendable () -> Void]>([])
        // A log of 16 pages is long; the catch-up's `done` is kept, not called, until the test calls it.
        let checkpointer = try Checkpointer(path: database.path, interval: 0.01, restartPages: 16, catchUpWait: 30) { done in
            asked.withLock { $0.append(done) }
        }
        defer { checkpointer.stop() }
        func write(_ count: Int) async throws {
            for _ in 0..<count { try await writePage(database) }
        }
        func passes() -> Int { checkpointer.passes.load(ordering: .relaxed) }
        let deadline = ContinuousClock.now + .seconds(30)
        while asked.withLock({ $0.isEmpty }), ContinuousClock.now < deadline { try await write(8) }
        #expect(asked.withLock { $0.count } == 1)
        // 0.3 s of writes, thirty intervals: no pass, no second catch-up asked for.
        let passesWhilePending = passes()
        let pendingUntil = ContinuousClock.now + .milliseconds(300)
        while ContinuousClock.now < pendingUntil { try await write(4) }
        #expect(passes() == passesWhilePending)
        #expect(asked.withLock { $0.count } == 1)
        // Done: the passes resume, without a write.
        asked.withLock { $0[0]() }
        let resumeBy = ContinuousClock.now + .seconds(30)
        while passes() == passesWhilePending, ContinuousClock.now < resumeBy { try await Task.sleep(for: .milliseconds(10)) }
        #expect(passes() > passesWhilePending)
    }

    /// A catch-up that never reports back holds the checkpointer for `catchUpWait` at most.
    @Test func aCatchUpThatNeverReportsHoldsThePassesForCatchUpWaitAtMost() async throws {
        let database = try await databaseWithoutItsCheckpointer()
        let asked = Mutex<[ContinuousClock.Instant]>([])
        let checkpointer = try Checkpointer(path: database.path, interval: 0.01, restartPages: 16, catchUpWait: 0.2) { _ in
            asked.withLock { $0.append(.now) }
        }
        defer { checkpointer.stop() }
        let deadline = ContinuousClock.now + .seconds(10)
        while asked.withLock({ $0.count }) < 3, ContinuousClock.now < deadline { try await writePage(database) }
        let times = asked.withLock { $0 }
        #expect(times.count >= 3)
        // Each request after the first waited out the 0.2 s before the passes (and the next request) resumed.
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(later - earlier >= .milliseconds(190), "\(later - earlier)")
        }
    }
}
