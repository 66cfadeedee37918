import DefenceCore
import DefenceProtocol
import Foundation
import GRDB

/// Users and access tokens in SQLite.
///
/// Refusals are ``DomainError`` values with their protocol code; anything else thrown is a storage fault.
public struct AccountStore: Sendable {
    /// The database.
    public let database: DefenceDatabase

    /// Creates a store over `database`.
    public init(database: DefenceDatabase) {
        self.database = database
    }

    /// The identifier of the first administrator, created on an empty database.
    public static let firstAdminID = "admin"

    /// On a database without any user, creates the first administrator and a token for it, atomically.
    ///
    /// - Returns: the new admin and the token's secret (to be shown once), or `nil` when users exist.
    public func bootstrapFirstAdmin(now: Date) async throws -> (user: User, token: AccessToken, secret: String)? {
        try await database.pool.write { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user") ?? 0
            guard count == 0 else { return nil }
            let admin = User(id: Self.firstAdminID, role: .admin, displayName: "Administrator", createdAt: now)
            try Self.insert(admin, db)
            let (token, secret) = try Self.insertToken(for: admin.id, expiresAt: nil, label: "bootstrap", now: now, db)
            return (admin, token, secret)
        }
    }

    /// Creates a user.
    /// - Throws: `ALREADY_EXISTS` when the id is taken.
    public func createUser(_ user: User) async throws {
        try await database.pool.write { db in
            if try Self.fetchUser(user.id, db) != nil {
                throw DomainError(.alreadyExists, context: [user.id], "user \(user.id) already exists")
            }
            try Self.refuseTakenNumber(user, db)
            try Self.insert(user, db)
        }
    }

    /// Changes a user: `change` turns the stored account into the new one (and may refuse it); the result is
    /// stored, in one transaction.
    /// - Throws: `NOT_FOUND`; `ALREADY_EXISTS` when the new candidate number is another candidate's; what `change`
    ///   throws.
    public func updateUser(_ id: String, _ change: @escaping @Sendable (User) throws -> User) async throws -> User {
        try await database.pool.write { db in
            guard let current = try Self.fetchUser(id, db) else {
                throw DomainError(.notFound, context: [id], "no user \(id)")
            }
            let user = try change(current)
            try Self.refuseTakenNumber(user, db)
            try db.execute(
                sql: "UPDATE user SET display_name = ?, email = ?, track = ?, number = ?, legal_name = ?, capacity = ? WHERE id = ?",
                arguments: [
                    user.displayName, user.email, user.fields.track, user.fields.number, user.fields.legalName, user.fields.capacity, id,
                ]
            )
            return user
        }
    }

    /// The user whose candidate number this is, if any.
    public func user(number: String) async throws -> User? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM user WHERE number = ?", arguments: [number]).map(Self.user(from:))
        }
    }

    private static func refuseTakenNumber(_ user: User, _ db: Database) throws {
        guard let number = user.fields.number else { return }
        if let holder = try String.fetchOne(db, sql: "SELECT id FROM user WHERE number = ? AND id != ?", arguments: [number, user.id]) {
            throw DomainError(.alreadyExists, context: [number], "candidate number \(number) is already \(holder)'s")
        }
    }

    /// The user with this id, if any.
    public func user(_ id: String) async throws -> User? {
        try await database.pool.read { db in try Self.fetchUser(id, db) }
    }

    /// Users, ordered by id, optionally filtered by role and by whether they are active.
    public func users(role: Role? = nil, active: Bool? = nil) async throws -> [User] {
        try await database.pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let role {
                conditions.append("role = ?")
                arguments += [role.rawValue]
            }
            if let active { conditions.append(active ? "disabled_at IS NULL" : "disabled_at IS NOT NULL") }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM user \(whereClause) ORDER BY id", arguments: arguments)
                .map(Self.user(from:))
        }
    }

    /// Disables a user. Idempotent.
    /// - Throws: `NOT_FOUND`; `LAST_ADMIN` when this would leave no active administrator.
    public func disableUser(_ id: String, now: Date) async throws -> User {
        try await database.pool.write { db in
            guard var user = try Self.fetchUser(id, db) else {
                throw DomainError(.notFound, context: [id], "no user \(id)")
            }
            guard user.isActive else { return user }
            if user.role == .admin {
                let others = try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM user WHERE role = 'admin' AND disabled_at IS NULL AND id != ?",
                    arguments: [id]
                ) ?? 0
                if others == 0 {
                    throw DomainError(.lastAdmin, context: [id], "\(id) is the last active administrator")
                }
            }
            user.disabledAt = now
            try db.execute(sql: "UPDATE user SET disabled_at = ? WHERE id = ?", arguments: [now, id])
            return user
        }
    }

    /// Enables a disabled user. Idempotent.
    /// - Throws: `NOT_FOUND`.
    public func enableUser(_ id: String) async throws -> User {
        try await database.pool.write { db in
            guard var user = try Self.fetchUser(id, db) else {
                throw DomainError(.notFound, context: [id], "no user \(id)")
            }
            user.disabledAt = nil
            try db.execute(sql: "UPDATE user SET disabled_at = NULL WHERE id = ?", arguments: [id])
            return user
        }
    }

    /// Issues a new token for a user.
    /// - Returns: the token record and its secret, which is stored only as a hash and must be shown once.
    /// - Throws: `NOT_FOUND` for an unknown user.
    public func issueToken(
        for userID: String,
        expiresAt: Date?,
        label: String?,
        now: Date
    ) async throws -> (token: AccessToken, secret: String) {
        try await database.pool.write { db in
            guard try Self.fetchUser(userID, db) != nil else {
                throw DomainError(.notFound, context: [userID], "no user \(userID)")
            }
            return try Self.insertToken(for: userID, expiresAt: expiresAt, label: label, now: now, db)
        }
    }

    /// Tokens, newest first, optionally of one user.
    public func tokens(of userID: String? = nil) async throws -> [AccessToken] {
        try await database.pool.read { db in
            let rows: [Row]
            if let userID {
                rows = try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM access_token WHERE user_id = ? ORDER BY id DESC",
                    arguments: [userID]
                )
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM access_token ORDER BY id DESC")
            }
            return try rows.map(Self.token(from:))
        }
    }

    /// Revokes a token. Idempotent.
    /// - Throws: `NOT_FOUND`.
    public func revokeToken(_ id: Int64, now: Date) async throws -> AccessToken {
        try await database.pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM access_token WHERE id = ?", arguments: [id]) else {
                throw DomainError(.notFound, context: [String(id)], "no token \(id)")
            }
            var token = try Self.token(from: row)
            if token.revokedAt == nil {
                token.revokedAt = now
                try db.execute(sql: "UPDATE access_token SET revoked_at = ? WHERE id = ?", arguments: [now, id])
            }
            return token
        }
    }

    /// Checks a secret: the token must exist, be neither revoked nor expired, and belong to an active user.
    /// Records the time of use.
    ///
    /// - Returns: the user and token, or `nil` when the secret does not authenticate anyone.
    public func authenticate(secret: String, now: Date) async throws -> (user: User, token: AccessToken)? {
        // The check reads from a reader connection, concurrently with other sessions and together with the AUTHs
        // waiting meanwhile (`TokenLookups`); only the "last used" time goes through the writer, in the next group
        // commit, so a join storm does not cost one fsync per AUTH.
        let found = try await database.tokenLookups.find(hash: TokenSecret.hash(secret)).flatMap { found in
            found.token.state(at: now) == .active && found.user.isActive ? found : nil
        }
        guard let (user, found) = found else { return nil }
        var token = found
        token.lastUsedAt = now
        let id = token.id
        try await database.committer.write { db in
            try db.cachedStatement(sql: "UPDATE access_token SET last_used_at = ? WHERE id = ?").execute(arguments: [now, id])
        }
        return (user, token)
    }

    // MARK: Rows

    static func insert(_ user: User, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO user (id, role, display_name, email, created_at, disabled_at, track, number, legal_name, capacity)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                user.id, user.role.rawValue, user.displayName, user.email, user.createdAt, user.disabledAt, user.fields.track,
                user.fields.number, user.fields.legalName, user.fields.capacity,
            ]
        )
    }

    private static func insertToken(
        for userID: String,
        expiresAt: Date?,
        label: String?,
        now: Date,
        _ db: Database
    ) throws -> (AccessToken, String) {
        let secret = TokenSecret.generate()
        try db.execute(
            sql: "INSERT INTO access_token (user_id, hash, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [userID, TokenSecret.hash(secret), label, now, expiresAt]
        )
        let token = AccessToken(
            id: db.lastInsertedRowID,
            userID: userID,
            label: label,
            createdAt: now,
            expiresAt: expiresAt,
            revokedAt: nil,
            lastUsedAt: nil
        )
        return (token, secret)
    }

    static func fetchUser(_ id: String, _ db: Database) throws -> User? {
        try Row.fetchOne(db, sql: "SELECT * FROM user WHERE id = ?", arguments: [id]).map(user(from:))
    }

    private static func user(from row: Row) throws -> User {
        let keys = ["id"]
        return User(
            id: try row.value("id", in: "user", keys: keys),
            role: try row.value("role", as: Role.self, in: "user", keys: keys),
            displayName: try row.value("display_name", in: "user", keys: keys),
            email: try row.value("email", in: "user", keys: keys),
            createdAt: try row.value("created_at", in: "user", keys: keys),
            disabledAt: try row.value("disabled_at", in: "user", keys: keys),
            fields: AccountFields(
                track: try row.value("track", in: "user", keys: keys),
                number: try row.value("number", in: "user", keys: keys),
                legalName: try row.value("legal_name", in: "user", keys: keys),
                capacity: try row.value("capacity", in: "user", keys: keys)
            )
        )
    }

    /// A token from the columns of `access_token` (by their names), or ``UnreadableRow``.
    static func token(from row: Row) throws -> AccessToken {
        let keys = ["id"]
        return AccessToken(
            id: try row.value("id", in: "access_token", keys: keys),
            userID: try row.value("user_id", in: "access_token", keys: keys),
            label: try row.value("label", in: "access_token", keys: keys),
            createdAt: try row.value("created_at", in: "access_token", keys: keys),
            expiresAt: try row.value("expires_at", in: "access_token", keys: keys),
            revokedAt: try row.value("revoked_at", in: "access_token", keys: keys),
            lastUsedAt: try row.value("last_used_at", in: "access_token", keys: keys)
        )
    }
}
