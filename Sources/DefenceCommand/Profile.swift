import DefenceClient
import Foundation

/// A stored connection profile: where the server is, how to trust it, and the token.
struct Profile: Codable, Equatable {
    var server: String
    var ca: String?
    var pin: String?
    var token: String
    var user: String?
    var role: String?
    /// The client certificate and key (admins of a server started with `--admin-client-ca`).
    var identity: ClientIdentity?
    /// Offer the post-quantum hybrid key exchange first (`--post-quantum` at login); absent in older profiles.
    var postQuantum: Bool?

    /// `$XDG_CONFIG_HOME/defence/profile.json`, or `~/.config/defence/profile.json`.
    static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return base + "/defence/profile.json"
    }

    static func load(from path: String) -> Profile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(Profile.self, from: data)
    }

    /// Writes the profile readable by its owner only (0600), in a folder of mode 0700.
    func save(to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
