import Crypto
import Foundation

/// The hash chain over a room's stored events: each link is SHA-256 of the previous link and the digest of **every
/// column of the event's stored row**, so that changing, removing or reordering any stored event, or any column of
/// one (its payload, the line `RESUME` replays, who may see it, its time), breaks every later link.
///
/// The bytes, as PROTOCOL.md §12.4 gives them (so that anyone can check a log without this code):
///
///     digest = SHA-256( field(room) field(seq) field(at) field(type) field(payload) field(line) field(grid_open)
///                       field(jury_only) field(grid_owner) )
///     link   = SHA-256( "defence-chain/2" LF previous-link LF digest )
///
/// where `field(v)` is `~` for a missing value (SQL NULL), or else the UTF-8 byte count of `v` in decimal, `:`, the
/// bytes of `v`; `seq` is written in decimal, the booleans as `0` or `1`, `at` as stored (`YYYY-MM-DD HH:MM:SS.SSS`);
/// hashes are lower-case hex; the first event's previous link is the empty string. The digest is computed where the
/// event is encoded, in parallel; the single writer only hashes the short link.
public enum EventChain {
    /// The link before a room's first event.
    public static let genesis = ""

    /// The columns of a stored event that the chain covers.
    public struct Row: Sendable, Hashable {
        public var room: String
        public var seq: Int
        /// The `at` column as stored.
        public var at: String
        public var type: String
        public var payload: String
        public var line: String?
        public var gridOpen: Bool?
        public var juryOnly: Bool?
        public var gridOwner: String?

        /// The columns of one stored event.
        public init(
            room: String, seq: Int, at: String, type: String, payload: String, line: String?, gridOpen: Bool?, juryOnly: Bool?,
            gridOwner: String?
        ) {
            self.room = room
            self.seq = seq
            self.at = at
            self.type = type
            self.payload = payload
            self.line = line
            self.gridOpen = gridOpen
            self.juryOnly = juryOnly
            self.gridOwner = gridOwner
        }
    }

    /// The digest of a snapshot's stored text: SHA-256, lower-case hex.
    public static func digest(snapshot: String) -> String {
        SHA256Hex.of(snapshot)
    }

    /// The seal of a room's snapshot taken at an event: SHA-256 (lower-case hex) of `defence-snapshot/1`, LF, that
    /// event's link, LF, the snapshot's digest (``digest(snapshot:)``). A start uses a snapshot only when its seal
    /// matches the link its event has in the chain; any other snapshot is ignored, and the room folded from its
    /// events.
    public static func seal(snapshotDigest: String, link: String) -> String {
        hash(["defence-snapshot/1\n", link, "\n", snapshotDigest])
    }

    /// The seal of `snapshot` at the event of `link`.
    public static func seal(snapshot: String, link: String) -> String {
        seal(snapshotDigest: digest(snapshot: snapshot), link: link)
    }

    /// The digest of a row's columns.
    public static func digest(of row: Row) -> String {
        var hasher = SHA256()
        // Fed part by part: no joined copy of the payload per event.
        func feed(_ text: String) {
            var text = text
            text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        }
        func field(_ value: String?) {
            guard let value else { return feed("~") }
            feed(String(value.utf8.count))
            feed(":")
            feed(value)
        }
        field(row.room)
        field(String(row.seq))
        field(row.at)
        field(row.type)
        field(row.payload)
        field(row.line)
        field(row.gridOpen.map { $0 ? "1" : "0" })
        field(row.juryOnly.map { $0 ? "1" : "0" })
        field(row.gridOwner)
        return SHA256Hex.encode(hasher.finalize())
    }

    /// The link of a row whose digest is `digest`, after `previous`.
    public static func link(previous: String, digest: String) -> String {
        hash(["defence-chain/2\n", previous, "\n", digest])
    }

    /// The link of `row` after `previous`.
    public static func link(previous: String, row: Row) -> String {
        link(previous: previous, digest: digest(of: row))
    }

    private static func hash(_ parts: [String]) -> String {
        var hasher = SHA256()
        for part in parts {
            var text = part
            text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        }
        return SHA256Hex.encode(hasher.finalize())
    }
}
