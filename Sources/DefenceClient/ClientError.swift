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
    /// Nothing answered at that address: refused, unreachable, a name that does not resolve, or no answer in time.
    /// `refused`: the host answered that nothing listens on that port (the server is down or restarting).
    case unreachable(host: String, port: Int, refused: Bool, detail: String)
    /// A certificate or key file of the options cannot be used: `missing`, or `notPEM` (not what it should hold).
    case certificateFile(option: String, path: String, problem: FileProblem)

    /// What is wrong with a file given on the command line.
    public enum FileProblem: String, Sendable, Equatable {
        /// The file does not exist or cannot be read.
        case missing
        /// The file is not a PEM certificate (or key).
        case notPEM
    }

    /// A failure's reason in a few words: BoringSSL's reason code (`CERTIFICATE_VERIFY_FAILED`) rather than its
    /// whole error stack with source paths, and "connection refused" rather than NIO's nested wording.
    public static func reason(of error: Error) -> String {
        let text = "\(error)"
        if let match = text.firstMatch(of: /error:[0-9a-fA-F]+:[^:]*:[^:]*:([A-Z0-9_]+)/) { return String(match.1).lowercased().replacingOccurrences(of: "_", with: " ") }
        if text.contains("Connection refused") || text.contains("errno: 111") { return "connection refused" }
        if text.contains("timed out") || text.contains("connectTimeout") { return "timed out" }
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }

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
        case .unreachable(let host, let port, _, let detail): return "cannot reach \(host):\(port) (\(detail))"
        case .certificateFile(let option, let path, let problem):
            return problem == .missing ? "\(option) \(path): no such file" : "\(option) \(path): not a PEM file"
        }
    }
}
