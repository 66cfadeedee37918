@testable import DefenceStore
import Foundation
import GRDB
import Testing

/// The write-ahead log is copied back into the database file by the checkpointer, never inside a commit.
@Suite(.temporaryFolder) struct CheckpointerTests {
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
        let database = try makeDatabase()
        try await database.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (n INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB)") }
        // A checkpointer that asks for a new log from 256 pages (1 MiB) on, instead of the database's 16 MiB.
        let checkpointer = try Checkpointer(path: database.path, interval: 0.05, restartPages: 256) { [committer = database.committer] in
            committer.catchUpCheckpoint()
        }
        defer { checkpointer.stop() }
        // Eight writers at once, 320 rows of 4 KiB each (10 MiB in all): the writer hardly ever waits for work, so
        // SQLite alone would almost never find the log fully copied at the start of a write, and the log would only
        // grow. A fixed volume, not a fixed time: on a busy machine two seconds wrote only 3.4 MiB, too little for
        // the log's high-water mark (the restart threshold plus what came during a pass) to stand clear of it.
        let blob = Data(repeating: 7, count: 4096)
        let rowsPerWriter = 320
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<rowsPerWriter {
                        try await database.committer.write { db in try db.execute(sql: "INSERT INTO scratch (data) VALUES (?)", arguments: [blob]) }
                        try await Task.sleep(for: .milliseconds(1))
                    }
                }
            }
            try await group.waitForAll()
        }
        let written = 8 * rowsPerWriter * blob.count
        let log = try FileManager.default.attributesOfItem(atPath: database.path + "-wal")[.size] as? Int ?? 0
        // A log never started over holds a frame for every page written: more than `written`, since each row's
        // 4 KiB fill a page of their own (13.3–16.3 MiB of log for the 10 MiB here, with the checkpointer told
        // never to ask for a restart). Started over, its file is as long as the most it held between two restarts:
        // 2.2–2.4 MiB with a 1 MiB threshold while a release build ran beside the test, against the 5 MiB bound.
        #expect(log < written / 2, "the log was started over: \(log / 1024) KiB of log for \(written / 1024) KiB written")
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
}
