import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the write-ahead log back into the database file from its own connection and thread, every 50 ms
/// (``defaultInterval``), so that the single writer never does it inside a commit.
///
/// SQLite's automatic checkpoint runs in the commit that crosses the threshold: that commit, and every
/// acknowledgement queued behind it, waited for megabytes of pages to be copied and the database file to be
/// synced (the long tail of the acknowledgements, docs/performance.md). Here a passive checkpoint copies the
/// log beside the writer — SQLite lets readers, one writer and one checkpointer work at once.
///
/// SQLite starts the log over only when a write begins with the whole log copied, which never happens while the
/// writer keeps writing (the log grew by gigabytes under a push). So once the log holds `restartPages` pages,
/// the checkpointer calls `onLongLog`: the writer then copies, between two batches, the few pages committed
/// since the last pass, and its next commit writes the log from its start.
///
/// The checkpointer makes no pass until the writer reports that catch-up done (or `catchUpWait` passed): SQLite runs
/// one checkpoint at a time, and a catch-up that met a pass failed as busy (the log then grew until the next request).
/// Before asking, it passes again on a long log only while that shrinks what the writer will have left: under the
/// storage push it used to pass again up to eight times in a row, the log reached 4,400–63,000 pages before a
/// catch-up was asked for, and its file 243–427 MiB (docs/performance.md).
///
/// A passive checkpoint that leaves frames behind (always, while the writer writes) does not sync the database
/// file: SQLite syncs it only in the checkpoint that copies the whole log, which is the writer's catch-up. So every
/// page copied since the last restart waited, dirty, for the writer's sync: p50 6–16 ms, up to 34, about once a
/// second under the bench's steady state, every write waiting meanwhile (`perf trace -e fdatasync`). The
/// checkpointer now syncs the file itself after each pass that copied pages, on its own thread; the catch-up's
/// sync is left with the few pages it copies.
///
/// Each pass's sync is a burst of writes in the disk's one queue, and the writer's next sync of the log waits
/// behind it: with a pass every 250 ms, the file's syncs took 10–70 ms and the log's 15–45 ms when they met
/// (`perf trace -e fdatasync`), and most seconds had a few acknowledgements over 25 ms. A pass every 50 ms copies
/// a fifth as much each time, so the log waits behind a short burst: under the bench's steady state, mark ack p99
/// 11.2–32.3 ms against 24.6–83.9 ms in six alternated pairs, for 4 % more bytes written (docs/performance.md).
final class Checkpointer: @unchecked Sendable {
    /// The time between two passes when none is given.
    static let defaultInterval: TimeInterval = 0.05

    private let connection: DatabaseQueue
    /// The time between two passes.
    let interval: TimeInterval
    private let restartPages: Int
    /// The longest the checkpointer waits for a catch-up it asked for before passing again.
    private let catchUpWait: TimeInterval
    private let onLongLog: @Sendable (_ done: @escaping @Sendable () -> Void) -> Void
    private let syncFile: @Sendable (Database) throws -> Void
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var stopped = false
    /// A catch-up was asked for and its `done` has not been called yet.
    private var catchUpPending = false

    /// Opens a connection to the database at `path` and starts checkpointing every `interval` seconds; calls
    /// `onLongLog` after a pass that found `restartPages` pages or more in the log (4096: 16 MiB), and makes no pass
    /// until the `done` it is given is called (or `catchUpWait` seconds passed). `syncFile` syncs the database file
    /// after a pass that copied pages (``syncDatabaseFile(_:)``; tests count its calls).
    init(
        path: String, interval: TimeInterval = Checkpointer.defaultInterval, restartPages: Int = 4096,
        catchUpWait: TimeInterval = 1,
        syncFile: @escaping @Sendable (Database) throws -> Void = Checkpointer.syncDatabaseFile,
        onLongLog: @escaping @Sendable (_ done: @escaping @Sendable () -> Void) -> Void
    ) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "checkpointer"
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.interval = interval
        self.restartPages = restartPages
        self.catchUpWait = catchUpWait
        self.onLongLog = onLongLog
        self.syncFile = syncFile
        // Named from inside (see GroupCommitter); Linux allows 15 characters.
        Thread { [self] in
            Thread.current.name = "defence-ckpt"
            run()
        }.start()
    }

    /// Stops the thread (at its next wake-up).
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// The log's pages copied into the database file and synced so far (read and written by the passes only).
    private var synced = 0

    /// The passes made so far, whatever they copied (tests watch the passes stop and resume by it: the syncs
    /// alone cannot tell, see ``pass()``).
    let passes = Atomic<Int>(0)

    /// One passive checkpoint, then a sync of the database file when it copied pages; returns the pages in the log
    /// (nil when it could not run now, say because the writer is checkpointing: best effort, the next pass catches up).
    ///
    /// A log started over and refilled between two passes can show the same count copied as the pass before: on a
    /// slow disk, one commit between passes, each pass copying the whole log. That pass does not sync; SQLite
    /// synced the file itself in the checkpoint that copied the whole log, and the writer starts the log over only
    /// after such a checkpoint, so nothing copied is ever left unsynced at a restart.
    private func pass() -> Int? {
        passes.add(1, ordering: .relaxed)
        return try? connection.writeWithoutTransaction { db in
            let (pages, copied) = try db.checkpoint(.passive)
            // `copied` counts from the log's start: less than before means the log was started over meanwhile.
            if copied > 0, copied != synced {
                try syncFile(db)
            }
            synced = copied
            return pages
        }
    }

    /// Syncs the database file through SQLite's own handle on it. (A descriptor of our own on the file would, once
    /// closed, release the POSIX locks SQLite holds on it for the whole process.)
    static func syncDatabaseFile(_ db: Database) throws {
        var file: UnsafeMutablePointer<sqlite3_file>?
        let found = withUnsafeMutablePointer(to: &file) { pointer in
            sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_FILE_POINTER, pointer)
        }
        guard found == SQLITE_OK, let file, let sync = file.pointee.pMethods?.pointee.xSync else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "no file handle for the database")
        }
        let result = sync(file, SQLITE_SYNC_NORMAL | SQLITE_SYNC_DATAONLY)
        guard result == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: result), message: "sync of the database file failed") }
    }

    private func run() {
        while true {
            condition.lock()
            if !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
            let finished = stopped
            condition.unlock()
            if finished { return }
            guard var pages = pass(), pages >= restartPages else { continue }
            // A long log: pass again while that shrinks what the writer will have left to copy (whatever was
            // committed during the last pass). Under a push it does not shrink, the writer adding as much during
            // each pass as the pass copies (see the type's documentation): stop as soon as a pass's growth is small
            // or no smaller than the one before.
            var growth = Int.max
            for _ in 0..<8 {
                guard let now = pass() else { break }
                defer { pages = now }
                if now - pages < 256 || now - pages >= growth { break }
                growth = now - pages
            }
            askForCatchUp()
        }
    }

    /// Calls `onLongLog` and waits until its `done` is called, `catchUpWait` has passed, or the checkpointer stops.
    private func askForCatchUp() {
        condition.lock()
        catchUpPending = true
        condition.unlock()
        onLongLog { [self] in
            condition.lock()
            catchUpPending = false
            condition.broadcast()
            condition.unlock()
        }
        let deadline = Date(timeIntervalSinceNow: catchUpWait)
        condition.lock()
        while catchUpPending, !stopped, condition.wait(until: deadline) {}
        catchUpPending = false
        condition.unlock()
    }
}
