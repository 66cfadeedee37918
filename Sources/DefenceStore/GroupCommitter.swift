import CoreMetrics
import Foundation
import GRDB

/// Group commit: writes that arrive while a transaction is being committed wait for it, then go together in
/// the next transaction — one `fsync` for many acknowledgements, none of them acknowledged before it is durable.
///
/// The batches run on one dedicated writer thread, which calls SQLite synchronously: a write crosses one thread
/// boundary on its way in (the queue) and one on its way out (its continuation), instead of hopping through an
/// actor and GRDB's dispatch queue and back. On a busy machine every hop can wait for a scheduler slice; this
/// is what kept the acknowledgement's tail long (docs/performance.md).
///
/// A batch runs as one transaction. When a write in it fails (say, a sequence number already taken), the
/// transaction is rolled back and the batch runs again with each write in its own savepoint, so the faulty
/// write fails alone and the others still commit. A write must therefore be safe to run twice: it only
/// touches the database it is given.
public final class GroupCommitter: Sendable {
    /// The queue and the thread that drains it.
    private let writer: Writer

    /// Creates a committer writing to `pool`, and starts its writer thread (stopped when the committer goes).
    /// - Parameters:
    ///   - failed: called on the writer thread whenever a batch's transaction or one write's savepoint is rolled
    ///     back, before anything else is written (what the writes remember of their rows is then forgotten).
    ///   - metrics: the backend that records each transaction's number of writes (`defence_commit_batch_writes`).
    public init(pool: DatabasePool, metrics: any MetricsFactory = NOOPMetricsHandler.instance, failed: @escaping @Sendable () -> Void = {}) {
        let batches = Recorder(label: "defence_commit_batch_writes", aggregate: true, factory: metrics)
        writer = Writer(pool: pool, batches: batches, failed: failed)
        // Named from inside: on Linux a name set before `start()` does not reach the system thread (`top -H`).
        Thread { [writer] in
            Thread.current.name = "defence-writer"
            writer.run()
        }.start()
    }

    deinit {
        writer.stop()
    }

    /// The number of transactions committed, and of writes they carried (for the benchmark and tests).
    public var stats: (transactions: Int, writes: Int) { writer.stats }

    /// The writes waiting for the next batch (for tests: a batch can be formed without timing).
    public var queuedWrites: Int { writer.queuedCount }

    /// Asks the writer to checkpoint the log from its own connection once its current batch is committed and before
    /// the next one, so that the next one starts the log over (see ``Checkpointer``): only the pages committed since
    /// the checkpointer's last pass are left to copy. `done` is called on the writer thread once it was tried.
    func catchUpCheckpoint(then done: @escaping @Sendable () -> Void = {}) {
        writer.requestCheckpoint(then: done)
    }

    /// Runs `work` in the next group transaction and returns once that transaction is committed (and synced).
    /// - Throws: the error of `work` (its savepoint was rolled back), or the transaction's.
    public func write(_ work: @escaping @Sendable (Database) throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            writer.enqueue(Writer.Item(work: work, continuation: continuation))
        }
    }
}

/// The writer thread's queue: a condition variable guards the pending writes, the counters and the stop flag.
private final class Writer: @unchecked Sendable {
    struct Item {
        let work: @Sendable (Database) throws -> Void
        let continuation: CheckedContinuation<Void, Error>
    }

    private let pool: DatabasePool
    private let failed: @Sendable () -> Void
    private let batches: Recorder
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [Item] = []
    private var stopped = false
    /// The `done` of each catch-up asked for since the last one ran (none: no catch-up asked for).
    private var checkpointRequests: [@Sendable () -> Void] = []
    private var counters = (transactions: 0, writes: 0)

    init(pool: DatabasePool, batches: Recorder, failed: @escaping @Sendable () -> Void) {
        self.pool = pool
        self.batches = batches
        self.failed = failed
    }

    var stats: (transactions: Int, writes: Int) {
        condition.lock()
        defer { condition.unlock() }
        return counters
    }

    var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    func enqueue(_ item: Item) {
        condition.lock()
        if stopped {
            condition.unlock()
            item.continuation.resume(throwing: DatabaseError(resultCode: .SQLITE_MISUSE, message: "the database was closed"))
            return
        }
        queue.append(item)
        // Only an empty queue can have a sleeping writer.
        if queue.count == 1 { condition.signal() }
        condition.unlock()
    }

    func requestCheckpoint(then done: @escaping @Sendable () -> Void) {
        condition.lock()
        if stopped {
            condition.unlock()
            done()
            return
        }
        checkpointRequests.append(done)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// The writer thread: takes everything queued, commits it as one transaction, answers, and again; between two
    /// batches, the checkpoint it was asked for.
    func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped && checkpointRequests.isEmpty { condition.wait() }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            let checkpointDone = checkpointRequests
            checkpointRequests.removeAll()
            let finished = stopped && batch.isEmpty
            condition.unlock()
            if !checkpointDone.isEmpty {
                // Before the batch: nothing else writes meanwhile, so this copies what the checkpointer's last pass
                // left (the batches committed since), and this batch's commit starts the log over. After the batch it
                // also copied the batch itself: under the storage push, a whole batch of frames, 11-66 ms, 4-6 times
                // a second. The checkpointer makes no pass until told it is done (one checkpoint at a time).
                if !finished { _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.passive) } }
                for done in checkpointDone { done() }
            }
            if finished { return }
            if !batch.isEmpty {
                let results = commit(batch.map(\.work))
                condition.lock()
                counters.transactions += 1
                counters.writes += batch.count
                condition.unlock()
                batches.record(batch.count)
                for (item, result) in zip(batch, results) {
                    if let error = result { item.continuation.resume(throwing: error) } else { item.continuation.resume() }
                }
            }
        }
    }

    /// Runs a batch in one transaction; when it fails, again with one savepoint per write. Returns each write's error.
    private func commit(_ works: [@Sendable (Database) throws -> Void]) -> [Error?] {
        do {
            // The usual case: every write succeeds, and the batch needs no savepoints.
            try pool.write { db in
                for work in works { try work(db) }
            }
            return Array(repeating: nil, count: works.count)
        } catch {
            // One failed and the whole transaction was rolled back: run them again, each in its own savepoint,
            // so that only the faulty ones fail.
            failed()
            do {
                return try pool.write { db -> [Error?] in
                    var results: [Error?] = []
                    for work in works {
                        do {
                            try db.inSavepoint {
                                try work(db)
                                return .commit
                            }
                            results.append(nil)
                        } catch {
                            failed()
                            results.append(error)
                        }
                    }
                    return results
                }
            } catch {
                failed()
                return Array(repeating: error, count: works.count)
            }
        }
    }
}
