import Crypto
import Foundation
import NIOSSL

/// TLS settings for clients. Certificate verification is always on.
public enum ClientTLS {
    /// Trusts the certificate authority in `caFile` (PEM), or the system's roots when `nil`.
    /// TLS 1.2 minimum; full verification of the chain and of the host name or IP address.
    ///
    /// With `identity`, the client presents that certificate when the server asks for one (servers started with
    /// `--admin-client-ca` require it from admins).
    ///
    /// Key exchange: X25519 and P-256, as the server offers by default. With `postQuantum`, the hybrid
    /// X25519MLKEM768 comes first (for servers started with `--post-quantum`). The choice matters: the server
    /// follows the client's order, and a client offering the hybrid computes its ML-KEM key share on every
    /// connection, which a server without `--post-quantum` never uses.
    public static func configuration(caFile: String?, identity: ClientIdentity? = nil, postQuantum: Bool = false) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        tls.curves = postQuantum ? [.x25519_MLKEM768, .x25519, .secp256r1] : [.x25519, .secp256r1]
        if let caFile {
            tls.trustRoots = .file(caFile)
        }
        if let identity {
            tls.certificateChain = [.file(identity.certificateFile)]
            tls.privateKey = .file(identity.keyFile)
        }
        return tls
    }

    /// Checks the files a configuration will read, so that a wrong path or a file of the wrong kind is told as
    /// such before any connection (BoringSSL's own errors name neither the file nor the option).
    /// - Throws: ``ClientError/certificateFile(option:path:problem:)``.
    public static func checkFiles(caFile: String?, identity: ClientIdentity?) throws {
        func certificates(_ option: String, _ path: String) throws {
            guard FileManager.default.isReadableFile(atPath: path) else { throw ClientError.certificateFile(option: option, path: path, problem: .missing) }
            guard let found = try? NIOSSLCertificate.fromPEMFile(path), !found.isEmpty else {
                throw ClientError.certificateFile(option: option, path: path, problem: .notPEM)
            }
        }
        if let caFile { try certificates("--ca", caFile) }
        if let identity {
            try certificates("--client-cert", identity.certificateFile)
            guard FileManager.default.isReadableFile(atPath: identity.keyFile) else {
                throw ClientError.certificateFile(option: "--client-key", path: identity.keyFile, problem: .missing)
            }
            guard (try? NIOSSLPrivateKey(file: identity.keyFile, format: .pem)) != nil else {
                throw ClientError.certificateFile(option: "--client-key", path: identity.keyFile, problem: .notPEM)
            }
        }
    }

    /// SHA-256 of a certificate's DER bytes, lower-case hex: what `--pin` compares.
    public static func fingerprint(der: [UInt8]) -> String {
        SHA256.hash(data: der).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }

    /// The fingerprint of the first certificate of a PEM file.
    public static func fingerprint(pemFile: String) throws -> String {
        let certificates = try NIOSSLCertificate.fromPEMFile(pemFile)
        guard let first = certificates.first else { throw ClientError.unexpected("no certificate in \(pemFile)") }
        return fingerprint(der: try first.toDERBytes())
    }
}

/// A client TLS context made once for an endpoint and shared by many sessions. Making one loads and parses the
/// trusted CA file and builds BoringSSL's context: a console does it once, but a process that runs thousands of
/// sessions against one server (the bench) would otherwise do it for each of them.
public struct SharedClientTLS: Sendable {
    let context: NIOSSLContext

    /// Makes the context for `endpoint`'s TLS settings.
    /// - Throws: NIOSSL's error when a file of the settings cannot be read.
    public init(endpoint: ServerEndpoint) throws {
        context = try NIOSSLContext(configuration: endpoint.tls)
    }
}

/// A client certificate and its private key, both PEM files.
public struct ClientIdentity: Sendable, Hashable, Codable {
    /// The certificate (chain) file.
    public var certificateFile: String
    /// The private key file.
    public var keyFile: String

    /// Creates an identity from its two files.
    public init(certificateFile: String, keyFile: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}
