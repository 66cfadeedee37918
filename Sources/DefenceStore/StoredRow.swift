import DefenceCore
import GRDB

/// A stored row the store cannot read back: a value of the wrong type, a date out of range, an unknown role. The
/// request that met it fails alone (`INTERNAL`), and the error names the row for the log; nothing crashes.
public struct UnreadableRow: Error, CustomStringConvertible {
    /// The table.
    public let table: String
    /// The row's key, as stored (`id=7`, `room=r1 seq=4`).
    public let key: String
    /// The column that could not be read.
    public let column: String
    /// What was found there, and why it was refused.
    public let reason: String

    public var description: String { "\(table) row \(key): column \(column) cannot be read (\(reason))" }
}

extension Row {
    /// The value of `column`, or ``UnreadableRow`` naming the row (`table`, and the key columns `keys`).
    func value<Value: DatabaseValueConvertible>(_ column: String, in table: String, keys: [String]) throws -> Value {
        do {
            return try decode(Value.self, forColumn: column)
        } catch {
            throw unreadable(column, in: table, keys: keys, "\(self[column] as DatabaseValue? ?? .null) is not a \(Value.self)")
        }
    }

    /// A string enumeration's case stored in `column`, or ``UnreadableRow``: never a silent default.
    func value<Value: RawRepresentable>(_ column: String, as type: Value.Type, in table: String, keys: [String]) throws -> Value
    where Value.RawValue == String {
        let raw: String = try value(column, in: table, keys: keys)
        guard let value = Value(rawValue: raw) else {
            throw unreadable(column, in: table, keys: keys, "'\(raw)' is not a \(Value.self)")
        }
        return value
    }

    /// A flag stored in `column`: nothing, 0 or 1, as the server writes it, or ``UnreadableRow``. SQLite would take
    /// any other integer as true, but the chain writes a flag as `0` or `1`: another value (a `jury_only` of 7, which
    /// the index of the candidates' events takes as not the jury's) must not read as either.
    func flag(_ column: String, in table: String, keys: [String]) throws -> Bool? {
        switch self[column] as DatabaseValue? ?? .null {
        case .null: return nil
        case let value where value == 0.databaseValue: return false
        case let value where value == 1.databaseValue: return true
        case let value: throw unreadable(column, in: table, keys: keys, "\(value) is not a flag (0 or 1)")
        }
    }

    func unreadable(_ column: String, in table: String, keys: [String], _ reason: String) -> UnreadableRow {
        let key = keys.map { "\($0)=\(self[$0] as DatabaseValue? ?? .null)" }.joined(separator: " ")
        return UnreadableRow(table: table, key: key, column: column, reason: reason)
    }
}

extension EventChain.Row {
    /// The chained columns of a stored event row (it selects `room_id`, `seq`, `at`, `type`, `payload`, `line`,
    /// `grid_open`, `jury_only`, `grid_owner`), or ``UnreadableRow``.
    init(stored row: Row) throws {
        let keys = ["room_id", "seq"]
        self.init(
            room: try row.value("room_id", in: "room_event", keys: keys), seq: try row.value("seq", in: "room_event", keys: keys),
            at: try row.value("at", in: "room_event", keys: keys), type: try row.value("type", in: "room_event", keys: keys),
            payload: try row.value("payload", in: "room_event", keys: keys), line: try row.value("line", in: "room_event", keys: keys),
            gridOpen: try row.flag("grid_open", in: "room_event", keys: keys),
            juryOnly: try row.flag("jury_only", in: "room_event", keys: keys),
            gridOwner: try row.value("grid_owner", in: "room_event", keys: keys)
        )
    }

    /// Checks the row against its stored link (column `hash`) after `previous`: ``UnreadableRow`` when they differ,
    /// so that what is served is what the chain says.
    static func verified(_ row: Row, after previous: String) throws -> (columns: EventChain.Row, link: String) {
        let columns = try EventChain.Row(stored: row)
        let link: String = try row.value("hash", in: "room_event", keys: ["room_id", "seq"])
        guard EventChain.link(previous: previous, row: columns) == link else {
            throw row.unreadable("hash", in: "room_event", keys: ["room_id", "seq"], "the row does not match its link in the chain: it was altered")
        }
        return (columns, link)
    }
}
