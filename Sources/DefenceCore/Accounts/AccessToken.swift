import Foundation

/// An access token as the server stores it: never the secret, only its hash.
public struct AccessToken: Hashable, Sendable {
    /// The token's public number, used to list and revoke it.
    public var id: Int64
    /// The user it authenticates.
    public var userID: String
    /// An optional one-word label chosen by the admin ("laptop", "day-2026-12-01").
    public var label: String?
    /// When it was issued.
    public var createdAt: Date
    /// When it stops working, if ever.
    public var expiresAt: Date?
    /// When it was revoked, if it was.
    public var revokedAt: Date?
    /// When it last authenticated a session.
    public var lastUsedAt: Date?

    /// Creates a token record.
    public init(
        id: Int64,
        userID: String,
        label: String?,
        createdAt: Date,
        expiresAt: Date?,
        revokedAt: Date?,
        lastUsedAt: Date?
    ) {
        self.id = id
        self.userID = userID
        self.label = label
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
    }

    /// The token's state at `now`.
    public func state(at now: Date) -> State {
        if revokedAt != nil { return .revoked }
        if let expiresAt, expiresAt <= now { return .expired }
        return .active
    }

    /// Whether a token can authenticate.
    public enum State: String, Sendable {
        /// It works.
        case active
        /// An admin revoked it.
        case revoked
        /// Its expiry has passed.
        case expired
    }
}

/// Making and hashing token secrets.
public enum TokenSecret {
    /// The prefix of every secret, so that a leaked token is recognisable.
    public static let prefix = "drt_"
    /// Random bytes in a secret: 256 bits.
    public static let randomBytes = 32

    /// A new secret: `drt_` followed by 32 random bytes in unpadded base64url (43 characters).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<randomBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The hash stored in place of a secret: SHA-256, lower-case hex.
    public static func hash(_ secret: String) -> String {
        SHA256Hex.of(secret)
    }
}
