import DefenceCore
import Crypto
import Foundation
import SwiftASN1
import X509

/// Generates a development certificate authority and a server certificate signed by it.
///
/// Files written into the certificates folder: `ca.pem` (give it to clients), `ca-key.pem`,
/// `server.pem` and `server-key.pem`. Keys are ECDSA P-256 and written with mode 0600. The server
/// certificate names `localhost`, `127.0.0.1` and `::1`. Existing files are reused, never overwritten.
public enum DevelopmentCertificates {
    /// The paths of the generated material.
    public struct Paths: Sendable, Hashable {
        /// The CA certificate, for clients' `--ca`.
        public var caCertificate: String
        /// The CA's private key.
        public var caKey: String
        /// The server's certificate chain.
        public var serverCertificate: String
        /// The server's private key.
        public var serverKey: String

        /// The paths inside `directory`.
        public init(directory: String) {
            let dir = directory as NSString
            caCertificate = dir.appendingPathComponent("ca.pem")
            caKey = dir.appendingPathComponent("ca-key.pem")
            serverCertificate = dir.appendingPathComponent("server.pem")
            serverKey = dir.appendingPathComponent("server-key.pem")
        }
    }

    /// Makes sure development certificates exist in `directory`, generating what is missing.
    ///
    /// - Returns: the paths, and whether anything was generated.
    /// - Throws: when the folder cannot be created or a file cannot be written.
    @discardableResult
    public static func ensure(in directory: String, now: Date = Date()) throws -> (paths: Paths, generated: Bool) {
        let paths = Paths(directory: directory)
        let files = FileManager.default
        if files.fileExists(atPath: paths.serverCertificate) && files.fileExists(atPath: paths.serverKey) {
            return (paths, false)
        }
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true)

        let caKey: P256.Signing.PrivateKey
        let caCertificate: Certificate
        let caName = try DistinguishedName {
            OrganizationName("Defence Rooms")
            CommonName("Defence Rooms development CA")
        }
        if files.fileExists(atPath: paths.caCertificate), files.fileExists(atPath: paths.caKey) {
            (caKey, caCertificate) = try loadAuthority(paths)
        } else {
            caKey = P256.Signing.PrivateKey()
            let issuerKey = Certificate.PrivateKey(caKey)
            caCertificate = try Certificate(
                version: .v3,
                serialNumber: .init(),
                publicKey: issuerKey.publicKey,
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
                issuer: caName,
                subject: caName,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: issuerKey.publicKey)
                },
                issuerPrivateKey: issuerKey
            )
            try write(caKey.pemRepresentation, to: paths.caKey, mode: 0o600)
            try write(caCertificate.serializeAsPEM().pemString, to: paths.caCertificate, mode: 0o644)
        }

        let (serverKey, serverCertificate) = try issueLeaf(
            commonName: "localhost", days: 825, now: now, caKey: caKey, caCertificate: caCertificate
        ) {
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames([
                .dnsName("localhost"),
                .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            ])
        }
        try write(serverKey.pemRepresentation, to: paths.serverKey, mode: 0o600)
        try write(serverCertificate.serializeAsPEM().pemString, to: paths.serverCertificate, mode: 0o644)
        return (paths, true)
    }

    /// Issues a client certificate for `user`, signed by the development CA of `directory` (which must exist:
    /// the server creates it at its first start). Writes `client-<user>.pem` and `client-<user>-key.pem` (0600)
    /// next to it; the subject common name is the user id, the extended key usage is client authentication.
    ///
    /// - Returns: the certificate and key paths.
    /// - Throws: ``ServerSetupError`` when the user id is not valid or the CA is missing; file errors.
    public static func issueClientCertificate(for user: String, in directory: String, now: Date = Date(), days: Int = 365) throws -> (certificate: String, key: String) {
        do {
            try AccountRules.validateUserID(user)
        } catch {
            throw ServerSetupError("not a valid user id: \(error.text)")
        }
        let paths = Paths(directory: directory)
        guard FileManager.default.fileExists(atPath: paths.caCertificate), FileManager.default.fileExists(atPath: paths.caKey) else {
            throw ServerSetupError("no development CA in \(directory) (ca.pem and ca-key.pem); start the server once to create it")
        }
        let (caKey, caCertificate) = try loadAuthority(paths)
        let (key, certificate) = try issueLeaf(commonName: user, days: days, now: now, caKey: caKey, caCertificate: caCertificate) {
            try ExtendedKeyUsage([.clientAuth])
        }
        let dir = directory as NSString
        let certificatePath = dir.appendingPathComponent("client-\(user).pem")
        let keyPath = dir.appendingPathComponent("client-\(user)-key.pem")
        try write(key.pemRepresentation, to: keyPath, mode: 0o600)
        try write(certificate.serializeAsPEM().pemString, to: certificatePath, mode: 0o644)
        return (certificatePath, keyPath)
    }

    /// The development CA's key and certificate, read from their files.
    private static func loadAuthority(_ paths: Paths) throws -> (key: P256.Signing.PrivateKey, certificate: Certificate) {
        (
            try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: paths.caKey, encoding: .utf8)),
            try Certificate(pemEncoded: String(contentsOfFile: paths.caCertificate, encoding: .utf8))
        )
    }

    /// A new P-256 key and its certificate signed by the CA: not a CA itself, for digital signatures, with the
    /// usages and names `usage` adds.
    private static func issueLeaf(
        commonName: String,
        days: Int,
        now: Date,
        caKey: P256.Signing.PrivateKey,
        caCertificate: Certificate,
        @ExtensionsBuilder usage: () throws -> Result<Certificate.Extensions, any Error>
    ) throws -> (key: P256.Signing.PrivateKey, certificate: Certificate) {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PrivateKey(key).publicKey
        var extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: try caCertificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        }
        for extensionValue in try Certificate.Extensions(builder: usage) { try extensions.append(extensionValue) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(TimeInterval(days) * 86_400),
            issuer: caCertificate.subject,
            subject: try DistinguishedName {
                OrganizationName("Defence Rooms")
                CommonName(commonName)
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(caKey)
        )
        return (key, certificate)
    }

    private static func write(_ text: String, to path: String, mode: Int) throws {
        let files = FileManager.default
        if files.fileExists(atPath: path) { try files.removeItem(atPath: path) }
        guard files.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
