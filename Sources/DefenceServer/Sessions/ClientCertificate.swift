import NIOCore
import NIOSSL
import X509

/// The client certificate a connection presented, as far as authentication cares.
enum ClientCertificate {
    /// The subject common name of the verified certificate the peer presented on `channel`, or nil when it
    /// presented none. (The TLS layer has already checked the chain against the admin client CA.)
    static func commonName(on channel: Channel) async -> String? {
        guard let presented = try? await channel.nioSSL_peerCertificate().get(), let der = try? presented.toDERBytes() else {
            return nil
        }
        return commonName(der: der)
    }

    /// The subject common name of a DER certificate made for client authentication, or nil when it has none,
    /// is not for client authentication (a server certificate from the same CA does not log an admin in) or
    /// cannot be parsed.
    static func commonName(der: [UInt8]) -> String? {
        guard let certificate = try? Certificate(derEncoded: der),
            let usages = try? certificate.extensions.extendedKeyUsage, usages.contains(.clientAuth)
        else { return nil }
        for relativeName in certificate.subject {
            for attribute in relativeName where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }
}
