import DefenceCore
import Foundation
import GRDB

/// A referential version kept in the database.
public struct StoredReferential: Hashable, Sendable {
    /// SHA-256 of the file: the version's identity.
    public var hash: String
    /// The certification's identifier inside the file.
    public var referentialID: String
    /// The certification's title.
    public var title: String
    /// `bundled` (shipped with the server) or `imported` (by an operator).
    public var origin: Origin
    /// When it was stored.
    public var importedAt: Date
    /// When it last became the referential for new rooms, if ever.
    public var activatedAt: Date?

    /// Where a stored referential comes from.
    public enum Origin: String, Sendable {
        /// Shipped inside the server binary.
        case bundled
        /// Imported with `defence-server referential import`.
        case imported
    }
}

/// Referential versions in SQLite. Versions are never modified or deleted: rooms refer to them by hash.
public struct ReferentialStore: Sendable {
    /// The database.
    public let database: DefenceDatabase

    /// Creates a store over `database`.
    public init(database: DefenceDatabase) {
        self.database = database
    }

    /// Stores the bundled referential if this exact version is missing, and makes it the one for new rooms when
    /// no referential is active yet or the active one is an older bundled version. An imported referential that
    /// an operator activated stays active.
    ///
    /// - Returns: whether the bundled version became active now.
    @discardableResult
    public func installBundled(_ loaded: LoadedReferential, now: Date) async throws -> Bool {
        try await database.pool.write { db in
            try Self.insert(loaded, origin: .bundled, now: now, db)
            let active = try Self.fetchActive(db)
            guard active == nil || (active?.origin == .bundled && active?.hash != loaded.hash) else { return false }
            try db.execute(sql: "UPDATE referential SET activated_at = ? WHERE hash = ?", arguments: [now, loaded.hash])
            return true
        }
    }

    /// Stores an imported referential (if this exact version is new) and makes it the one for new rooms.
    /// - Returns: whether the version was new.
    @discardableResult
    public func importReferential(_ loaded: LoadedReferential, now: Date) async throws -> Bool {
        try await database.pool.write { db in
            let inserted = try Self.insert(loaded, origin: .imported, now: now, db)
            try db.execute(sql: "UPDATE referential SET activated_at = ? WHERE hash = ?", arguments: [now, loaded.hash])
            return inserted
        }
    }

    /// The referential for new rooms.
    public func active() async throws -> StoredReferential? {
        try await database.pool.read { db in try Self.fetchActive(db) }
    }

    /// Every stored version, the active one first, then newest first.
    public func list() async throws -> [StoredReferential] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT hash, ref_id, title, origin, imported_at, activated_at FROM referential
                    ORDER BY activated_at IS NULL, activated_at DESC, rowid DESC
                    """
            ).map(Self.stored(from:))
        }
    }

    /// The versions whose hash starts with `prefix`.
    public func versions(matching prefix: String) async throws -> [StoredReferential] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT hash, ref_id, title, origin, imported_at, activated_at FROM referential WHERE substr(hash, 1, ?) = ?",
                arguments: [prefix.count, prefix.lowercased()]
            ).map(Self.stored(from:))
        }
    }

    /// The stored file of a version, exactly as imported.
    public func content(of hash: String) async throws -> Data? {
        try await database.pool.read { db in
            try Data.fetchOne(db, sql: "SELECT content FROM referential WHERE hash = ?", arguments: [hash])
        }
    }

    @discardableResult
    private static func insert(_ loaded: LoadedReferential, origin: StoredReferential.Origin, now: Date, _ db: Database) throws -> Bool {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO referential (hash, ref_id, title, origin, content, imported_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [loaded.hash, loaded.referential.id, loaded.referential.title, origin.rawValue, loaded.data, now]
        )
        return db.changesCount > 0
    }

    private static func fetchActive(_ db: Database) throws -> StoredReferential? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT hash, ref_id, title, origin, imported_at, activated_at FROM referential
                WHERE activated_at IS NOT NULL ORDER BY activated_at DESC, rowid DESC LIMIT 1
                """
        ).map(stored(from:))
    }

    private static func stored(from row: Row) throws -> StoredReferential {
        let keys = ["hash"]
        return StoredReferential(
            hash: try row.value("hash", in: "referential", keys: keys),
            referentialID: try row.value("ref_id", in: "referential", keys: keys),
            title: try row.value("title", in: "referential", keys: keys),
            origin: try row.value("origin", as: StoredReferential.Origin.self, in: "referential", keys: keys),
            importedAt: try row.value("imported_at", in: "referential", keys: keys),
            activatedAt: try row.value("activated_at", in: "referential", keys: keys)
        )
    }
}
