import DefenceCore
import DefenceProtocol
import Foundation
import GRDB
import Synchronization

/// Checks the tokens of concurrent `AUTH`s together: the lookups that wait while one batch runs share the next
/// read transaction.
///
/// A lookup on its own costs two hops through GRDB's reader queues, a transaction and, as the writer commits
/// meanwhile, a reader page cache read back from the log; in a join storm thousands of them arrive at once. A
/// batch pays that once. Every lookup of a batch was asked for before the batch's transaction read anything, so
/// it sees every commit that preceded it, as a lookup of its own would (a revoked token is never found active).
final class TokenLookups: Sendable {
    /// A user and one of their tokens.
    typealias Found = (user: User, token: AccessToken)

    private struct Request {
        let hash: String
        let continuation: CheckedContinuation<Found?, Error>
    }

    private struct State {
        var waiting: [Request] = []
        var running = false
    }

    private let pool: DatabasePool
    private let state = Mutex(State())
    /// The most lookups of one transaction: a transaction keeps the checkpointer from going past what it reads,
    /// so a long queue is served by several short ones.
    let batchLimit: Int
    private let transactions = Atomic<Int>(0)

    init(pool: DatabasePool, batchLimit: Int = 256) {
        self.pool = pool
        self.batchLimit = batchLimit
    }

    /// The read transactions run so far (for tests).
    var transactionCount: Int { transactions.load(ordering: .relaxed) }

    /// The lookups waiting for a transaction (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// The user and token whose secret hashes to `hash`, whatever their state (the caller checks it), or `nil`.
    func find(hash: String) async throws -> Found? {
        try await withCheckedThrowingContinuation { continuation in
            let starts = state.withLock { state in
                state.waiting.append(Request(hash: hash, continuation: continuation))
                guard !state.running else { return false }
                state.running = true
                return true
            }
            if starts { runBatch() }
        }
    }

    private func runBatch() {
        pool.asyncRead { [self] result in
            // Taken inside the transaction, before its first read: every request of the batch predates its snapshot.
            let batch = state.withLock { state in
                let batch = Array(state.waiting.prefix(batchLimit))
                state.waiting.removeFirst(batch.count)
                return batch
            }
            transactions.add(1, ordering: .relaxed)
            switch result {
            case .failure(let error):
                for request in batch { request.continuation.resume(throwing: error) }
            case .success(let db):
                for request in batch {
                    do {
                        request.continuation.resume(returning: try Self.find(request.hash, db))
                    } catch {
                        request.continuation.resume(throwing: error)
                    }
                }
            }
            let more = state.withLock { state in
                state.running = !state.waiting.isEmpty
                return state.running
            }
            if more { runBatch() }
        }
    }

    private static let sql = """
        SELECT t.id, t.user_id, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at,
               u.role, u.display_name, u.email, u.created_at AS user_created_at, u.disabled_at,
               u.track, u.number, u.legal_name, u.capacity
        FROM access_token t JOIN user u ON u.id = t.user_id
        WHERE t.hash = ?
        """

    private static func find(_ hash: String, _ db: Database) throws -> Found? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [hash]) else { return nil }
        let token = try AccountStore.token(from: row)
        let keys = ["user_id"]
        let user = User(
            id: token.userID,
            role: try row.value("role", as: Role.self, in: "user", keys: keys),
            displayName: try row.value("display_name", in: "user", keys: keys),
            email: try row.value("email", in: "user", keys: keys),
            createdAt: try row.value("user_created_at", in: "user", keys: keys),
            disabledAt: try row.value("disabled_at", in: "user", keys: keys),
            fields: AccountFields(
                track: try row.value("track", in: "user", keys: keys),
                number: try row.value("number", in: "user", keys: keys),
                legalName: try row.value("legal_name", in: "user", keys: keys),
                capacity: try row.value("capacity", in: "user", keys: keys)
            )
        )
        return (user, token)
    }
}
