import DefenceCore
import DefenceProtocol
import DefenceStore
import Foundation
import Synchronization
import Testing

/// A fresh database in the running test's temporary folder (its suite needs `.temporaryFolder`).
func makeDatabase() throws -> DefenceDatabase {
    try DefenceDatabase(path: TemporaryFolder.path("test") + ".sqlite")
}

func domainCode(_ body: () async throws -> Void) async -> ErrorCode? {
    do {
        try await body()
        return nil
    } catch let error as DomainError {
        return error.code
    } catch {
        return .internal
    }
}

@Suite(.temporaryFolder) struct DatabaseTests {
    @Test func durableSettingsAndMigrations() throws {
        let database = try makeDatabase()
        #expect(try database.pragma("journal_mode") == "wal")
        #expect(try database.pragma("synchronous") == "2")  // FULL
        #expect(try database.pragma("foreign_keys") == "1")
        #expect(try database.appliedMigrations() == ["v1-accounts", "v2-referentials", "v3-rooms", "v4-event-chain", "v5-replay-and-snapshots", "v6-room-without-last-seq", "v7-public-events-index", "v8-chain-over-every-column", "v9-sealed-snapshots", "v10-snapshots-with-public-numbering", "v11-certification-fields", "v12-request-keys", "v13-request-key-digest"])
    }

    /// GRDB's pool sets its writer to `synchronous = NORMAL` when it turns WAL on (after the configuration's
    /// `prepareDatabase`): a commit would then reach the disk only at the next checkpoint. The connection the
    /// group commit writes on must sync every commit.
    @Test func acknowledgedWritesCommitWithFullSync() async throws {
        let database = try makeDatabase()
        let seen = Mutex<Int?>(nil)
        try await database.committer.write { db in
            let level = try Int.fetchOne(db, sql: "PRAGMA synchronous")
            seen.withLock { $0 = level }
        }
        #expect(seen.withLock { $0 } == 2)  // FULL
    }

    @Test func reopeningKeepsDataAndDoesNotRemigrate() async throws {
        let database = try makeDatabase()
        let store = AccountStore(database: database)
        try await store.createUser(User(id: "zoe", role: .candidate, displayName: "Zoé", createdAt: Date()))
        let reopened = try DefenceDatabase(path: database.path)
        #expect(try await AccountStore(database: reopened).user("zoe")?.displayName == "Zoé")
        #expect(try reopened.appliedMigrations() == ["v1-accounts", "v2-referentials", "v3-rooms", "v4-event-chain", "v5-replay-and-snapshots", "v6-room-without-last-seq", "v7-public-events-index", "v8-chain-over-every-column", "v9-sealed-snapshots", "v10-snapshots-with-public-numbering", "v11-certification-fields", "v12-request-keys", "v13-request-key-digest"])
    }
}

@Suite(.temporaryFolder) struct AccountStoreTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func firstAdminIsCreatedOnceWithAWorkingToken() async throws {
        let store = AccountStore(database: try makeDatabase())
        let first = try #require(try await store.bootstrapFirstAdmin(now: now))
        #expect(first.user.role == .admin)
        #expect(try await store.bootstrapFirstAdmin(now: now) == nil)
        let auth = try #require(try await store.authenticate(secret: first.secret, now: now))
        #expect(auth.user.id == "admin")
        #expect(auth.token.lastUsedAt == now)
    }

    @Test func secretsAreStoredOnlyAsHashes() async throws {
        let database = try makeDatabase()
        let store = AccountStore(database: database)
        let first = try #require(try await store.bootstrapFirstAdmin(now: now))
        let (_, secret) = try await store.issueToken(for: "admin", expiresAt: nil, label: nil, now: now)
        let dump = try await database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT hash || ' ' || IFNULL(label, '') FROM access_token")
        }
        #expect(!dump.joined().contains(first.secret.dropFirst(4)))
        #expect(!dump.joined().contains(secret.dropFirst(4)))
        #expect(dump.contains { $0.hasPrefix(TokenSecret.hash(secret)) })
    }

    @Test func duplicateUser() async throws {
        let store = AccountStore(database: try makeDatabase())
        let user = User(id: "camille", role: .juror, displayName: "Camille", createdAt: now)
        try await store.createUser(user)
        #expect(await domainCode { try await store.createUser(user) } == .alreadyExists)
    }

    @Test func listingFilters() async throws {
        let store = AccountStore(database: try makeDatabase())
        _ = try await store.bootstrapFirstAdmin(now: now)
        try await store.createUser(User(id: "j1", role: .juror, displayName: "J1", createdAt: now))
        try await store.createUser(User(id: "c1", role: .candidate, displayName: "C1", createdAt: now))
        _ = try await store.disableUser("c1", now: now)
        #expect(try await store.users().map(\.id) == ["admin", "c1", "j1"])
        #expect(try await store.users(role: .juror).map(\.id) == ["j1"])
        #expect(try await store.users(active: false).map(\.id) == ["c1"])
    }

    @Test func disabledUsersCannotAuthenticateUntilEnabled() async throws {
        let store = AccountStore(database: try makeDatabase())
        try await store.createUser(User(id: "j1", role: .juror, displayName: "J1", createdAt: now))
        let (_, secret) = try await store.issueToken(for: "j1", expiresAt: nil, label: nil, now: now)
        _ = try await store.disableUser("j1", now: now)
        #expect(try await store.authenticate(secret: secret, now: now) == nil)
        _ = try await store.enableUser("j1")
        #expect(try await store.authenticate(secret: secret, now: now)?.user.id == "j1")
    }

    @Test func theLastActiveAdminCannotBeDisabled() async throws {
        let store = AccountStore(database: try makeDatabase())
        _ = try await store.bootstrapFirstAdmin(now: now)
        #expect(await domainCode { _ = try await store.disableUser("admin", now: now) } == .lastAdmin)
        try await store.createUser(User(id: "staff2", role: .admin, displayName: "Staff", createdAt: now))
        #expect(try await store.disableUser("admin", now: now).isActive == false)
        #expect(await domainCode { _ = try await store.disableUser("staff2", now: now) } == .lastAdmin)
    }

    @Test func unknownObjects() async throws {
        let store = AccountStore(database: try makeDatabase())
        #expect(await domainCode { _ = try await store.disableUser("ghost", now: now) } == .notFound)
        #expect(await domainCode { _ = try await store.enableUser("ghost") } == .notFound)
        #expect(await domainCode { _ = try await store.issueToken(for: "ghost", expiresAt: nil, label: nil, now: now) } == .notFound)
        #expect(await domainCode { _ = try await store.revokeToken(99, now: now) } == .notFound)
    }

    @Test func revokedAndExpiredTokensFail() async throws {
        let store = AccountStore(database: try makeDatabase())
        try await store.createUser(User(id: "c1", role: .candidate, displayName: "C1", createdAt: now))
        let (revocable, revokedSecret) = try await store.issueToken(for: "c1", expiresAt: nil, label: "a", now: now)
        let (_, expiringSecret) = try await store.issueToken(
            for: "c1",
            expiresAt: now.addingTimeInterval(60),
            label: nil,
            now: now
        )
        #expect(try await store.authenticate(secret: expiringSecret, now: now.addingTimeInterval(59)) != nil)
        #expect(try await store.authenticate(secret: expiringSecret, now: now.addingTimeInterval(60)) == nil)
        _ = try await store.revokeToken(revocable.id, now: now)
        #expect(try await store.authenticate(secret: revokedSecret, now: now) == nil)
        let tokens = try await store.tokens(of: "c1")
        #expect(tokens.map { $0.state(at: now.addingTimeInterval(61)) } == [.expired, .revoked])
        #expect(try await store.authenticate(secret: "drt_not-a-token", now: now) == nil)
    }
}
