/// The limits of protocol version 1, announced in the greeting.
public struct Limits: Hashable, Sendable {
    /// The most bytes a line may hold, tags included, its ending CR LF or LF excluded.
    public var maxLineBytes: Int
    /// The most parameters (the final free-text one included) a line may carry.
    public var maxParameters: Int
    /// The most bytes of a verb.
    public var maxVerbBytes: Int

    /// Creates limits.
    public init(maxLineBytes: Int = 4096, maxParameters: Int = 16, maxVerbBytes: Int = 32) {
        self.maxLineBytes = maxLineBytes
        self.maxParameters = maxParameters
        self.maxVerbBytes = maxVerbBytes
    }

    /// The limits of version 1.
    public static let standard = Limits()

    /// The limits a client (or the server, reading back its stored lines) reads the server's lines with. The
    /// server's own lines pass a request's 4,096 bytes: a PV line, an event of a 1,000-scalar text, a SNAPSHOT.
    public static let serverLines = Limits(maxLineBytes: 65_536)
}

/// Constants of the protocol itself.
public enum ProtocolVersion {
    /// The protocol name and version as written in `HELLO`: `defence/1`.
    public static let current = "defence/1"
    /// The version number.
    public static let number = 1
}
