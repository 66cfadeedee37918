import CWALBuffer
import CoreMetrics
import Foundation
import GRDB
import GRDBSQLite
import Crypto

/// The server's SQLite database: one GRDB `DatabasePool` (WAL) with `synchronous=FULL`, foreign keys on,
/// and the registered migrations applied. Its log is written through the buffering VFS of `CWALBuffer`.
public final class DefenceDatabase: Sendable {
    /// The pool every store shares.
    public let pool: DatabasePool
    /// The database file.
    public let path: String
    /// Groups concurrent acknowledged writes into shared transactions.
    public let committer: GroupCommitter
    /// Copies the write-ahead log into the database file beside the writer.
    let checkpointer: Checkpointer
    /// Each room's last hash-chain link as the writer wrote it (forgotten whenever a write fails).
    let chainTips = ChainTips()
    /// Checks the tokens of concurrent AUTHs in shared read transactions.
    let tokenLookups: TokenLookups

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    ///
    /// - Parameters:
    ///   - path: the database file.
    ///   - metrics: the swift-metrics backend its group commit records through (none by default).
    /// - Throws: GRDB's error when the file cannot be opened or a migration fails.
    public init(path: String, metrics: any MetricsFactory = NOOPMetricsHandler.instance) throws {
        // Before the first connection: the logs of every database of the process then go through the buffering VFS.
        let installed = cwalbuffer_install()
        guard installed == SQLITE_OK else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: installed), message: "the write-ahead log's VFS could not be registered"
            )
        }
        try Self.restrictFiles(at: path)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // Every acknowledged write reaches the disk before the acknowledgement.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // A certification day's hot pages (every room's latest event page) stay in memory: 64 MiB at most,
            // taken only as pages are used. See docs/performance.md for the measurements behind it.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // No checkpoint inside a commit: the `Checkpointer` copies the log back from its own connection.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB's pool turns WAL on after `prepareDatabase` and sets its writer to `synchronous = NORMAL` then
        // (NORMAL syncs the log only at checkpoints: a commit acknowledged just before a power cut could be
        // lost). The writer is the connection every acknowledged write commits on: FULL again, once, here.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        self.path = path
        self.tokenLookups = TokenLookups(pool: pool)
        self.committer = GroupCommitter(pool: pool, metrics: metrics) { [chainTips] in chainTips.forgetAll() }
        try Self.migrator.migrate(pool)
        self.checkpointer = try Checkpointer(path: path) { [committer] done in committer.catchUpCheckpoint(then: done) }
    }

    deinit {
        checkpointer.stop()
    }

    /// The schema's migrations. Registered once, never edited after they ship; they use no app types.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-accounts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE user (
                        id TEXT PRIMARY KEY NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('candidate', 'juror', 'admin')),
                        display_name TEXT NOT NULL,
                        email TEXT,
                        created_at DATETIME NOT NULL,
                        disabled_at DATETIME
                    );
                    CREATE TABLE access_token (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id TEXT NOT NULL REFERENCES user(id),
                        hash TEXT NOT NULL UNIQUE,
                        label TEXT,
                        created_at DATETIME NOT NULL,
                        expires_at DATETIME,
                        revoked_at DATETIME,
                        last_used_at DATETIME
                    );
                    CREATE INDEX access_token_user ON access_token(user_id);
                    """
            )
        }
        migrator.registerMigration("v2-referentials") { db in
            try db.execute(
                sql: """
                    CREATE TABLE referential (
                        hash TEXT PRIMARY KEY NOT NULL,
                        ref_id TEXT NOT NULL,
                        title TEXT NOT NULL,
                        origin TEXT NOT NULL CHECK (origin IN ('bundled', 'imported')),
                        content BLOB NOT NULL,
                        imported_at DATETIME NOT NULL,
                        activated_at DATETIME
                    );
                    """
            )
        }
        migrator.registerMigration("v3-rooms") { db in
            try db.execute(
                sql: """
                    CREATE TABLE room (
                        id TEXT PRIMARY KEY NOT NULL,
                        state TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        start_at DATETIME NOT NULL,
                        end_at DATETIME NOT NULL,
                        referential_hash TEXT NOT NULL REFERENCES referential(hash),
                        last_seq INTEGER NOT NULL,
                        plan TEXT NOT NULL
                    );
                    CREATE INDEX room_start ON room(start_at);
                    CREATE TABLE room_event (
                        room_id TEXT NOT NULL REFERENCES room(id),
                        seq INTEGER NOT NULL,
                        at DATETIME NOT NULL,
                        type TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        PRIMARY KEY (room_id, seq)
                    ) WITHOUT ROWID;
                    CREATE TABLE server_heartbeat (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        at DATETIME NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v4-event-chain") { db in
            try db.execute(sql: "ALTER TABLE room_event ADD COLUMN hash TEXT NOT NULL DEFAULT ''")
        }
        migrator.registerMigration("v5-replay-and-snapshots") { db in
            // The line each event was delivered as, and whether the grids were open to both jurors then: RESUME
            // replays them as they were, without folding the room's history again. NULL for older events.
            try db.execute(sql: "ALTER TABLE room_event ADD COLUMN line TEXT")
            try db.execute(sql: "ALTER TABLE room_event ADD COLUMN grid_open INTEGER")
            // Who may see the event (jury only; whose grid it belongs to), so that a replay reads no payload.
            try db.execute(sql: "ALTER TABLE room_event ADD COLUMN jury_only INTEGER")
            try db.execute(sql: "ALTER TABLE room_event ADD COLUMN grid_owner TEXT")
            // A room's folded state every so many events, so that a start folds only the events after it.
            try db.execute(
                sql: """
                    CREATE TABLE room_snapshot (
                        room_id TEXT PRIMARY KEY NOT NULL REFERENCES room(id),
                        seq INTEGER NOT NULL,
                        state TEXT NOT NULL
                    )
                    """
            )
        }
        migrator.registerMigration("v6-room-without-last-seq") { db in
            // The room's row no longer follows every event (it was rewritten, plan and all, for each mark): a room's
            // last event is `SELECT max(seq) FROM room_event WHERE room_id = ?`.
            try db.execute(sql: "ALTER TABLE room DROP COLUMN last_seq")
        }
        migrator.registerMigration("v7-public-events-index") { db in
            // The events candidates see, by room and sequence number: a candidate's RESUME reads only those it
            // missed (RoomStore.replay), not every jury message and mark since its last event. Jury-only events, the
            // bulk of a defence's log, are not in it, and cost the writer nothing more.
            try db.execute(sql: "CREATE INDEX room_event_public ON room_event(room_id, seq) WHERE jury_only IS NOT 1")
        }
        migrator.registerMigration("v8-chain-over-every-column") { db in
            try Self.chainEveryColumn(db)
        }
        migrator.registerMigration("v9-sealed-snapshots") { db in
            // A snapshot's seal: SHA-256 over its event's link and its text's digest (EventChain.seal). A start uses only a snapshot whose seal
            // matches; the snapshots stored before have none, and their rooms are folded from their events until
            // their next snapshot (at most 100 events later).
            try db.execute(sql: "ALTER TABLE room_snapshot ADD COLUMN hash TEXT")
        }
        migrator.registerMigration("v10-snapshots-with-public-numbering") { db in
            // Snapshots stored before the candidates' own numbering (PROTOCOL.md §4.3) lack it and cannot be read:
            // they are dropped (a snapshot is a cache of the fold), so that neither the start nor the audit meets them.
            // Their rooms are folded from their events, and snapshotted again as they move.
            try db.execute(sql: "DELETE FROM room_snapshot WHERE instr(state, '\"publicSeq\"') = 0")
        }
        migrator.registerMigration("v11-certification-fields") { db in
            // A candidate's track, number and legal name, a juror's capacity (PROTOCOL.md §9 USER-CREATE). A number
            // names one candidate only.
            try db.execute(sql: "ALTER TABLE user ADD COLUMN track TEXT")
            try db.execute(sql: "ALTER TABLE user ADD COLUMN number TEXT")
            try db.execute(sql: "ALTER TABLE user ADD COLUMN legal_name TEXT")
            try db.execute(sql: "ALTER TABLE user ADD COLUMN capacity TEXT")
            try db.execute(sql: "CREATE UNIQUE INDEX user_number ON user(number) WHERE number IS NOT NULL")
        }
        migrator.registerMigration("v12-request-keys") { db in
            // Idempotency keys of room commands, written in the transaction of the events they caused
            // (PROTOCOL.md §4.4): a repeated key gets its original reply and no new event.
            try db.execute(sql: """
                CREATE TABLE request_key (
                    room TEXT NOT NULL REFERENCES room(id),
                    user TEXT NOT NULL,
                    key TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    public_seq INTEGER NOT NULL,
                    PRIMARY KEY (room, user, key)
                ) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v13-request-key-digest") { db in
            // The SHA-256 of the request a key tagged: the same key on another request is refused, not replayed.
            try db.execute(sql: "ALTER TABLE request_key ADD COLUMN request TEXT")
        }
        return migrator
    }

    /// Makes the database file readable and writable by its owner only (0600), creating it empty if needed, with its
    /// log and shared-memory files when they exist: SQLite creates those with the database file's mode.
    private static func restrictFiles(at path: String) throws {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DatabaseError(resultCode: .SQLITE_CANTOPEN, message: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            guard chmod(file, 0o600) == 0 else {
                throw DatabaseError(resultCode: .SQLITE_PERM, message: "cannot restrict \(file) to its owner: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Migration v8: the chain covers every column of an event, and each room's last event is marked (`tail`).
    ///
    /// Until v7 a link covered the event's payload only (SHA-256 of `previous LF payload`): the line `RESUME`
    /// replays, who may see an event, its time and its type could change unseen, and so could the removal of a log's
    /// last events. Each room's chain is first checked as it was written; a room whose chain is already broken stops
    /// the upgrade (an upgrade must never turn altered data into a valid record: restore a backup, or investigate
    /// with the previous version's `audit verify`). Then every link is computed again over every column, and the
    /// room's last event is marked. The hashing is written out here, frozen, as a migration must not use the app's types;
    /// `MigrationTests` checks that it gives the links the server writes (``EventChain``).
    private static func chainEveryColumn(_ db: Database) throws {
        // 1 on each room's last event, NULL on the others: removing a log's last events is then seen. It lives in
        // the event's own row (the writer moves it within the page it appends to), not in a table of its own that
        // every commit would rewrite a page of per room.
        try db.execute(sql: "ALTER TABLE room_event ADD COLUMN tail INTEGER")
        let digits = Array("0123456789abcdef".utf8)
        func hex(_ digest: SHA256.Digest) -> String {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(64)
            for byte in digest {
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0x0f)])
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        func payloadLink(_ previous: String, _ payload: String) -> String {
            hex(SHA256.hash(data: Data((previous + "\n" + payload).utf8)))
        }
        func rowLink(_ previous: String, _ row: Row) throws -> String {
            var text = ""
            func field(_ value: String?) {
                guard let value else { return text += "~" }
                text += "\(value.utf8.count):" + value
            }
            field(try row.decode(String.self, forColumn: "room_id"))
            field(String(try row.decode(Int.self, forColumn: "seq")))
            field(try row.decode(String.self, forColumn: "at"))
            field(try row.decode(String.self, forColumn: "type"))
            field(try row.decode(String.self, forColumn: "payload"))
            field(try row.decode(String?.self, forColumn: "line"))
            field(try row.decode(Bool?.self, forColumn: "grid_open").map { $0 ? "1" : "0" })
            field(try row.decode(Bool?.self, forColumn: "jury_only").map { $0 ? "1" : "0" })
            field(try row.decode(String?.self, forColumn: "grid_owner"))
            let digest = hex(SHA256.hash(data: Data(text.utf8)))
            return hex(SHA256.hash(data: Data(("defence-chain/2\n" + previous + "\n" + digest).utf8)))
        }
        let rooms = try String.fetchAll(db, sql: "SELECT DISTINCT room_id FROM room_event ORDER BY room_id")
        for room in rooms {
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT room_id, seq, at, type, payload, line, grid_open, jury_only, grid_owner, hash FROM room_event WHERE room_id = ? ORDER BY seq",
                arguments: [room]
            )
            var previousV1 = "", previousV2 = "", expected = 1
            for row in rows {
                let seq = try row.decode(Int.self, forColumn: "seq")
                let link = payloadLink(previousV1, try row.decode(String.self, forColumn: "payload"))
                guard seq == expected, link == (try row.decode(String.self, forColumn: "hash")) else {
                    throw DatabaseError(
                        resultCode: .SQLITE_ERROR,
                        message: "room \(room): its event chain is broken at event \(seq); the upgrade stops so as not to seal altered data (restore a backup, or check it with the previous version's `defence-server audit verify`)"
                    )
                }
                previousV1 = link
                previousV2 = try rowLink(previousV2, row)
                try db.execute(sql: "UPDATE room_event SET hash = ? WHERE room_id = ? AND seq = ?", arguments: [previousV2, room, seq])
                expected += 1
            }
            try db.execute(sql: "UPDATE room_event SET tail = 1 WHERE room_id = ? AND seq = ?", arguments: [room, expected - 1])
        }
    }

    /// The migrations the database at `path` has not had yet, read without changing anything (the file is opened
    /// read-only, nothing is migrated): what an audit must refuse, since opening would upgrade what it audits.
    public static func pendingMigrations(at path: String) throws -> [String] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return try queue.read { db in
            let applied = try migrator.appliedIdentifiers(db)
            return migrator.migrations.filter { !applied.contains($0) }
        }
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// Reads a pragma's value on the writer connection (the one every acknowledged write commits on), for checks
    /// and diagnostics.
    public func pragma(_ name: String) throws -> String? {
        try pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }
}
