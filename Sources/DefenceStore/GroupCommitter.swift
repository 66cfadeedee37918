import Foundation
import GRDB

/// Group commit: writes that arrive while a transaction is being committed wait for it, then go together in
/// the next transaction — one `fsync` for many acknowledgements, none of them acknowledged before it is durable.
///
/// A batch runs as one transaction. When a write in it fails (say, a sequence number already taken), the
/// transaction is rolled back and the batch runs again with each write in its own savepoint, so the faulty
/// write fails alone and the others still commit. A write must therefore be safe to run twice: it only
/// touches the database it is given.
public actor GroupCommitter {
    private typealias Work = @Sendable (Database) throws -> Void
    private var queue: [(work: Work, continuation: CheckedContinuation<Void, Error>)] = []
    private var writing = false
    private let pool: DatabasePool
    /// The number of transactions committed, and of writes they carried (for the benchmark and tests).
    public private(set) var stats = (transactions: 0, writes: 0)

    /// Creates a committer writing to `pool`.
    public init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Runs `work` in the next group transaction and returns once that transaction is committed (and synced).
    /// - Throws: the error of `work` (its savepoint was rolled back), or the transaction's.
    public func write(_ work: @escaping @Sendable (Database) throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            queue.append((work, continuation))
            if !writing {
                writing = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !queue.isEmpty {
            let batch = queue
            queue.removeAll()
            let works = batch.map(\.work)
            do {
                let results: [Error?]
                do {
                    // The usual case: every write succeeds, and the batch needs no savepoints.
                    try await pool.write { db in
                        for work in works { try work(db) }
                    }
                    results = Array(repeating: nil, count: works.count)
                } catch {
                    // One failed and the whole transaction was rolled back: run them again, each in its own
                    // savepoint, so that only the faulty ones fail.
                    results = try await pool.write { db -> [Error?] in
                        var results: [Error?] = []
                        for work in works {
                            do {
                                try db.inSavepoint {
                                    try work(db)
                                    return .commit
                                }
                                results.append(nil)
                            } catch {
                                results.append(error)
                            }
                        }
                        return results
                    }
                }
                stats.transactions += 1
                stats.writes += batch.count
                for (item, error) in zip(batch, results) {
                    if let error { item.continuation.resume(throwing: error) } else { item.continuation.resume() }
                }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        writing = false
    }
}
