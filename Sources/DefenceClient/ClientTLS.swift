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
}
