import DefenceCore
import DefenceStore
import Foundation
import Logging

/// The steps that make a fresh checkout runnable: folders, certificates, the first admin.
public enum ServerSetup {
    /// What ``prepare(_:certificate:key:logger:)`` did.
    public struct Prepared: Sendable {
        /// Whether development certificates were generated now.
        public var generatedCertificates: Bool
        /// The CA clients should trust, when development certificates are used.
        public var caPath: String?
    }

    /// Creates the data folder (mode 0700) and sets the certificate paths: the given ones, or development
    /// certificates generated in the certificates folder when none are given.
    ///
    /// - Throws: ``ServerSetupError`` when a folder or a file cannot be made, or a given file is missing.
    public static func prepare(
        _ configuration: inout ServerConfiguration,
        certificate: String?,
        key: String?,
        logger: Logger
    ) throws -> Prepared {
        let files = FileManager.default
        do {
            try files.createDirectory(
                atPath: configuration.dataDirectory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw ServerSetupError("cannot create the data folder \(configuration.dataDirectory): \(error)")
        }
        if let certificate, let key {
            for path in [certificate, key] where !files.fileExists(atPath: path) {
                throw ServerSetupError("\(path) does not exist")
            }
            configuration.certificatePath = certificate
            configuration.privateKeyPath = key
            return Prepared(generatedCertificates: false, caPath: nil)
        }
        do {
            let (paths, generated) = try DevelopmentCertificates.ensure(in: configuration.certsDirectory)
            if generated {
                logger.notice("generated development certificates", metadata: ["folder": "\(configuration.certsDirectory)"])
            }
            configuration.certificatePath = paths.serverCertificate
            configuration.privateKeyPath = paths.serverKey
            return Prepared(generatedCertificates: generated, caPath: paths.caCertificate)
        } catch {
            throw ServerSetupError("cannot generate development certificates in \(configuration.certsDirectory): \(error)")
        }
    }

    /// Stores the bundled referential if this version is new, and activates it unless an imported one is active.
    /// - Returns: the bundled version, and whether it became active now.
    @discardableResult
    public static func installBundledReferential(database: DefenceDatabase, now: Date) async throws -> (LoadedReferential, Bool) {
        let bundled = try ReferentialLoader.bundled()
        let activated = try await ReferentialStore(database: database).installBundled(bundled, now: now)
        return (bundled, activated)
    }

    /// On an empty database, creates the first admin and writes its token to `admin.token` (mode 0600).
    ///
    /// - Returns: the token's secret, to print once, or `nil` when the database already had users.
    public static func bootstrapAdmin(database: DefenceDatabase, configuration: ServerConfiguration) async throws -> String? {
        let accounts = AccountStore(database: database)
        guard let (_, _, secret) = try await accounts.bootstrapFirstAdmin(now: configuration.now()) else { return nil }
        let path = configuration.adminTokenPath
        let files = FileManager.default
        if files.fileExists(atPath: path) { try files.removeItem(atPath: path) }
        guard files.createFile(atPath: path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw ServerSetupError("cannot write \(path)")
        }
        return secret
    }
}
