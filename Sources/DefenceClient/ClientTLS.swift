import Crypto
import NIOSSL

/// TLS settings for clients. Certificate verification is always on.
public enum ClientTLS {
    /// Trusts the certificate authority in `caFile` (PEM), or the system's roots when `nil`.
    /// TLS 1.2 minimum; full verification of the chain and of the host name or IP address.
    public static func configuration(caFile: String?) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if let caFile {
            tls.trustRoots = .file(caFile)
        }
        return tls
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
