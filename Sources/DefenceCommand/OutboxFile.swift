import DefenceClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where a console keeps its outbox between runs: `<profile folder>/outbox/<server>-<room>-<user>.json`, mode 0600
/// in a folder of mode 0700 (the requests hold marks and messages).
struct OutboxFile: Sendable {
    let path: String

    init(profilePath: String, server: String, room: String, user: String) {
        let folder = (profilePath as NSString).deletingLastPathComponent + "/outbox"
        let safe = "\(server)-\(room)-\(user)".map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }
        path = folder + "/" + String(safe) + ".json"
    }

    /// The stored outbox, or a new one with a fresh client id when there is none (or it cannot be read: a damaged
    /// file is kept aside, never silently overwritten).
    func load() -> Outbox {
        if let data = FileManager.default.contents(atPath: path) {
            if let outbox = try? JSONDecoder().decode(Outbox.self, from: data) { return outbox }
            try? FileManager.default.moveItem(atPath: path, toPath: path + ".unreadable-\(Int(Date().timeIntervalSince1970))")
        }
        let id = (0..<6).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        return Outbox(clientID: id)
    }

    /// Writes the outbox atomically, readable by its owner only.
    func save(_ outbox: Outbox) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let data = try JSONEncoder().encode(outbox)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
