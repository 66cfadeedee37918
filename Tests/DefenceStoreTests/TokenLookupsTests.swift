import DefenceCore
@testable import DefenceStore
import Foundation
import GRDB
import Synchronization
import Testing

/// Concurrent AUTHs check their tokens together: those waiting while a transaction is busy share the next one,
/// and each still sees every commit made before it asked.
@Suite(.temporaryFolder) struct TokenLookupsTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Keeps every reader connection of the pool busy until `release()`, so that lookups queue.
    final class HeldReaders: Sendable {
        final class Started: Sendable {
            let count = Mutex(0)
        }

        private let gate = DispatchSemaphore(value: 0)
        private let count: Int
        private let readers: [Task<Void, Error>]

        init(_ database: DefenceDatabase) async throws {
            count = database.pool.configuration.maximumReaderCount
            let started = Started()
            var readers: [Task<Void, Error>] = []
            for _ in 0..<count {
                readers.append(Task { [gate] in
                    try await database.pool.read { _ in
                        started.count.withLock { $0 += 1 }
                        gate.wait()
                    }
                })
            }
            self.readers = readers
            while started.count.withLock({ $0 }) < count { try await Task.sleep(for: .milliseconds(2)) }
        }

        func release() async throws {
            for _ in 0..<count { gate.signal() }
            for reader in readers { try await reader.value }
        }
    }

    /// Users `u0`… with one token each; returns their secrets.
    func users(_ count: Int, in store: AccountStore) async throws -> [String] {
        var secrets: [String] = []
        for index in 0..<count {
            try await store.createUser(User(id: "u\(index)", role: index % 3 == 0 ? .juror : .candidate, displayName: "U\(index)", createdAt: now))
            secrets.append(try await store.issueToken(for: "u\(index)", expiresAt: nil, label: "t\(index)", now: now).secret)
        }
        return secrets
    }

    /// Waits until `lookups` has `count` lookups queued.
    func waitForQueue(_ lookups: TokenLookups, _ count: Int) async throws {
        while lookups.waitingCount < count { try await Task.sleep(for: .milliseconds(2)) }
    }

    @Test func lookupsWaitingTogetherShareATransactionAndEachGetsItsOwnAnswer() async throws {
        let database = try makeDatabase()
        let secrets = try await users(12, in: AccountStore(database: database))
        let lookups = TokenLookups(pool: database.pool, batchLimit: 5)
        let asked = secrets.map(TokenSecret.hash) + ["unknown-1", "unknown-2", "unknown-3"]
        let held = try await HeldReaders(database)
        let answers = Task {
            try await withThrowingTaskGroup(of: (Int, String?, String?).self) { group in
                for (index, hash) in asked.enumerated() {
                    group.addTask {
                        let found = try await lookups.find(hash: hash)
                        return (index, found?.user.id, found?.token.label)
                    }
                }
                return try await group.reduce(into: [Int: (String?, String?)]()) { $0[$1.0] = ($1.1, $1.2) }
            }
        }
        try await waitForQueue(lookups, asked.count)
        #expect(lookups.transactionCount == 0)
        try await held.release()
        let found = try await answers.value
        for index in secrets.indices {
            #expect(found[index]?.0 == "u\(index)")
            #expect(found[index]?.1 == "t\(index)")
        }
        for index in secrets.count..<asked.count { #expect(found[index]?.0 == nil) }
        // 15 queued lookups, at most 5 a transaction: 3 transactions instead of 15.
        #expect(lookups.transactionCount == 3)
    }

    @Test func theUserAndTokenAreReadInFull() async throws {
        let database = try makeDatabase()
        let store = AccountStore(database: database)
        try await store.createUser(User(id: "j7", role: .juror, displayName: "Jeanne Sept", email: "j7@example.org", createdAt: now))
        let (token, secret) = try await store.issueToken(for: "j7", expiresAt: now.addingTimeInterval(3600), label: "jury", now: now)
        _ = try await store.disableUser("j7", now: now.addingTimeInterval(5))
        let found = try #require(try await database.tokenLookups.find(hash: TokenSecret.hash(secret)))
        #expect(found.user == User(id: "j7", role: .juror, displayName: "Jeanne Sept", email: "j7@example.org", createdAt: now, disabledAt: now.addingTimeInterval(5)))
        #expect(found.token == token)
    }

    @Test func aTokenRevokedWhileItsLookupWaitsIsRefused() async throws {
        let database = try makeDatabase()
        let store = AccountStore(database: database)
        try await store.createUser(User(id: "c1", role: .candidate, displayName: "C1", createdAt: now))
        let (token, secret) = try await store.issueToken(for: "c1", expiresAt: nil, label: nil, now: now)
        let held = try await HeldReaders(database)
        let auth = Task { try await store.authenticate(secret: secret, now: now) }
        try await waitForQueue(database.tokenLookups, 1)
        _ = try await store.revokeToken(token.id, now: now)
        try await held.release()
        #expect(try await auth.value == nil)
    }

    @Test func aLookupOnAClosedDatabaseThrows() async throws {
        let database = try makeDatabase()
        let lookups = TokenLookups(pool: database.pool)
        try database.pool.close()
        await #expect(throws: (any Error).self) { _ = try await lookups.find(hash: "anything") }
        #expect(lookups.waitingCount == 0)
    }
}
