import Foundation
import GRDB

/// Copies the write-ahead log back into the database file from its own connection and thread, a few times a
/// second, so that the single writer never does it inside a commit.
///
/// SQLite's automatic checkpoint runs in the commit that crosses the threshold: that commit, and every
/// acknowledgement queued behind it, waited for megabytes of pages to be copied and the database file to be
/// synced (the long tail of the acknowledgements, README "Performance"). Here a passive checkpoint copies the
/// log beside the writer — SQLite lets readers, one writer and one checkpointer work at once.
///
/// SQLite starts the log over only when a write begins with the whole log copied, which never happens while the
/// writer keeps writing (the log grew by gigabytes under a push). So once the log holds `restartPages` pages,
/// the checkpointer calls `onLongLog`: the writer then copies, between two batches, the few pages committed
/// since the last pass, and its next commit writes the log from its start.
final class Checkpointer: @unchecked Sendable {
    private let connection: DatabaseQueue
    private let interval: TimeInterval
    private let restartPages: Int
    private let onLongLog: @Sendable () -> Void
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var stopped = false

    /// Opens a connection to the database at `path` and starts checkpointing every `interval` seconds; calls
    /// `onLongLog` after a pass that found `restartPages` pages or more in the log (4096: 16 MiB).
    init(path: String, interval: TimeInterval = 0.25, restartPages: Int = 4096, onLongLog: @escaping @Sendable () -> Void) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "checkpointer"
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.interval = interval
        self.restartPages = restartPages
        self.onLongLog = onLongLog
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

    /// One passive checkpoint; returns the pages in the log (nil when it could not run now, say because the
    /// writer is checkpointing: best effort, the next pass catches up).
    private func pass() -> Int? {
        try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive).walFrameCount }
    }

    private func run() {
        while true {
            condition.lock()
            if !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
            let finished = stopped
            condition.unlock()
            if finished { return }
            guard var pages = pass(), pages >= restartPages else { continue }
            // A long log: pass again while the writer keeps adding, so that what is left for the writer to copy
            // (whatever was committed during the last pass) is small.
            for _ in 0..<8 {
                guard let now = pass() else { break }
                defer { pages = now }
                if now - pages < 256 { break }
            }
            onLongLog()
        }
    }
}
