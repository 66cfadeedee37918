import CWALBuffer
import DefenceStore
import Foundation
import GRDB
import GRDBSQLite
import Testing

/// The VFS shim that gathers the write-ahead log's small writes (`CWALBuffer`).
@Suite(.temporaryFolder) struct WALBufferTests {
    /// The log of `db`'s main database, and its two counts when it goes through the buffering VFS.
    static func logCounts(_ db: Database) throws -> (writes: Int64, flushes: Int64)? {
        var file: UnsafeMutablePointer<sqlite3_file>?
        let found = withUnsafeMutablePointer(to: &file) { pointer in
            sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_JOURNAL_POINTER, pointer)
        }
        try #require(found == SQLITE_OK)
        var writes: Int64 = 0
        var flushes: Int64 = 0
        guard let file, cwalbuffer_file_counts(file, &writes, &flushes) == 1 else { return nil }
        return (writes, flushes)
    }

    @Test func theServersLogIsWrittenInLargeWrites() async throws {
        let database = try DefenceDatabase(path: TemporaryFolder.path("buffered") + ".sqlite")
        let before = try await database.pool.writeWithoutTransaction { db in try Self.logCounts(db) }
        let start = try #require(before, "the log does not go through the buffering VFS")
        // One transaction of about 100 pages: some 200 writes of SQLite's (a header and a page per frame).
        try await database.committer.write { db in
            try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
            for id in 1...100 {
                try db.execute(sql: "INSERT INTO filler (id, text) VALUES (?, ?)", arguments: [id, String(repeating: "x", count: 3_000)])
            }
        }
        let after = try #require(try await database.pool.writeWithoutTransaction { db in try Self.logCounts(db) })
        let writes = after.writes - start.writes
        let flushes = after.flushes - start.flushes
        #expect(writes >= 200)
        // 31 frames a buffer at most: 4 large writes would do; a few more for the header and the commit.
        #expect(flushes * 10 <= writes, "\(writes) writes of SQLite's became \(flushes) writes to the file")
    }

    /// Under `synchronous = NORMAL` a commit is published to the other connections without a sync: its frames must
    /// be in the file by then, or a reader finds a frame the writer still holds in its buffer.
    @Test func aCommitWithoutASyncIsInTheFileForTheOtherConnections() async throws {
        #expect(cwalbuffer_install() == SQLITE_OK)
        // A pool of GRDB's own: its writer runs at NORMAL.
        let pool = try DatabasePool(path: TemporaryFolder.path("normal") + ".sqlite")
        let synchronous = try await pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(synchronous == 1)
        #expect(try await pool.writeWithoutTransaction { db in try Self.logCounts(db) } != nil)
        try await pool.write { db in try db.execute(sql: "CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)") }
        for id in 1...50 {
            let text = String(repeating: Character(UnicodeScalar(UInt8(65 + id % 26))), count: 5_000 + id)
            try await pool.write { db in try db.execute(sql: "INSERT INTO note (id, text) VALUES (?, ?)", arguments: [id, text]) }
            let read = try await pool.read { db in try String.fetchOne(db, sql: "SELECT text FROM note WHERE id = ?", arguments: [id]) }
            #expect(read == text)
            if read != text { break }
        }
        let check = try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        let count = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM note") }
        #expect(check == "ok")
        #expect(count == 50)
    }
}
