import DefenceProtocol

/// What can go wrong on the client side.
public enum ClientError: Error, Sendable, CustomStringConvertible, Equatable {
    /// No line arrived in time.
    case timeout
    /// The server closed the connection.
    case closed
    /// The server's address is not `host:port`.
    case badAddress(String)
    /// The server sent something that is not protocol version 1.
    case unexpected(String)
    /// The TLS handshake failed, most often because the server certificate is not trusted.
    case tls(String)
    /// The server answered `FAIL`.
    case failed(code: String, text: String, line: String)

    public var description: String {
        switch self {
        case .timeout: return "the server did not answer in time"
        case .closed: return "the server closed the connection"
        case .badAddress(let text): return "'\(text)' is not host:port"
        case .unexpected(let line): return "unexpected line from the server: \(line)"
        case .tls(let detail):
            return "TLS handshake failed; is the server certificate signed by the CA given with --ca, "
                + "and does it name the host you connect to? (\(detail))"
        case .failed(let code, let text, _): return "\(code): \(text)"
        }
    }
}
