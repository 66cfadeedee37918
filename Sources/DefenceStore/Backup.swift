import Foundation
import GRDB

extension DefenceDatabase {
    /// Copies the whole database into a new file, consistently, while the server keeps running (SQLite's online
    /// backup from a read transaction), then checks the copy's integrity.
    ///
    /// - Parameter path: the new file; it must not exist.
    /// - Returns: the copy's number of users, rooms and room events.
    /// - Throws: when the file exists, cannot be written, or the copy fails its integrity check.
    public func backup(to path: String) throws -> (users: Int, rooms: Int, events: Int) {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw BackupError("\(path) already exists; choose a new file name")
        }
        let copy = try DatabaseQueue(path: path)
        try pool.backup(to: copy)
        return try copy.read { db in
            let check = try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? ""
            guard check == "ok" else { throw BackupError("the copy failed its integrity check: \(check)") }
            return (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM room") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM room_event") ?? 0
            )
        }
    }
}

/// A backup could not be made.
public struct BackupError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
