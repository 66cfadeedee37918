import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
import Foundation
import NIOSSL
import Testing

/// `--admin-client-ca`: admins authenticate with their token **and** their client certificate; candidates and
/// jurors connect as before.
@Suite struct ClientCertificateTests {
    static func requireAdminCertificates(_ configuration: inout ServerConfiguration) {
        configuration.adminClientCAPath = configuration.certsDirectory + "/ca.pem"
    }

    static func connect(_ server: TestServer, identity: ClientIdentity?) async throws -> DefenceConnection {
        try await DefenceConnection.connect(host: "127.0.0.1", port: server.port, tls: ClientTLS.configuration(caFile: server.caPath, identity: identity))
    }

    static func identity(_ paths: (certificate: String, key: String)) -> ClientIdentity {
        ClientIdentity(certificateFile: paths.certificate, keyFile: paths.key)
    }

    static func authCode(_ connection: DefenceConnection, token: String) async -> String? {
        do {
            try await connection.authenticate(token: token)
            return nil
        } catch ClientError.failed(let code, _, _) {
            return code
        } catch {
            return "\(error)"
        }
    }

    @Test func anAdminNeedsTheirOwnCertificateAndOthersNeedNone() async throws {
        try await withServer(Self.requireAdminCertificates) { server in
        let certs = server.configuration.certsDirectory
        let adminIdentity = Self.identity(try DevelopmentCertificates.issueClientCertificate(for: "admin", in: certs))

        // The admin's token with the admin's certificate: accepted, and the admin can work.
        let admin = try await Self.connect(server, identity: adminIdentity)
        #expect(await Self.authCode(admin, token: server.adminToken) == nil)
        _ = try await admin.request(.userCreate(user: "j1", role: "juror", email: nil, displayName: "Juror One"))
        let issued = try await admin.request(.tokenIssue(user: "j1", expiry: nil, label: nil)).terminal
        let jurorToken = try #require(TokenIssuedReply(issued)).token
        await admin.close()

        // The admin's token without a certificate: refused with its own code; the connection stays usable.
        let bare = try await Self.connect(server, identity: nil)
        #expect(await Self.authCode(bare, token: server.adminToken) == "CLIENT_CERT_REQUIRED")
        #expect(try await bare.request(.ping(token: "still-open")).terminal.verb == "PONG")
        await bare.close()

        // The admin's token with someone else's certificate from the same CA: refused.
        let otherIdentity = Self.identity(try DevelopmentCertificates.issueClientCertificate(for: "mallory", in: certs))
        let other = try await Self.connect(server, identity: otherIdentity)
        #expect(await Self.authCode(other, token: server.adminToken) == "CLIENT_CERT_REQUIRED")
        await other.close()

        // The server's own certificate (same CA, but for server authentication) is refused by the TLS layer.
        let serverIdentity = ClientIdentity(certificateFile: certs + "/server.pem", keyFile: certs + "/server-key.pem")
        await #expect(throws: (any Error).self) {
            let connection = try await Self.connect(server, identity: serverIdentity)
            defer { Task { await connection.close() } }
            try await connection.authenticate(token: server.adminToken)
        }

        // A juror connects without any certificate, as before.
        let juror = try await Self.connect(server, identity: nil)
        #expect(await Self.authCode(juror, token: jurorToken) == nil)
        await juror.close()
        }
    }

    @Test func aCertificateFromAnotherAuthorityFailsTheHandshake() async throws {
        try await withServer(Self.requireAdminCertificates) { server in
        let foreign = FileManager.default.temporaryDirectory.appendingPathComponent("defence-foreign-ca-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: foreign) }
        try DevelopmentCertificates.ensure(in: foreign)
        let forged = Self.identity(try DevelopmentCertificates.issueClientCertificate(for: "admin", in: foreign))
        await #expect(throws: (any Error).self) {
            let connection = try await Self.connect(server, identity: forged)
            defer { Task { await connection.close() } }
            try await connection.authenticate(token: server.adminToken)
        }
        }
    }

    @Test func issuingNeedsAValidUserAndAnExistingAuthority() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("defence-no-ca-\(UUID().uuidString)").path
        #expect(throws: ServerSetupError.self) { try DevelopmentCertificates.issueClientCertificate(for: "admin", in: empty) }
        try DevelopmentCertificates.ensure(in: empty)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: ServerSetupError.self) { try DevelopmentCertificates.issueClientCertificate(for: "../escape", in: empty) }
        let paths = try DevelopmentCertificates.issueClientCertificate(for: "admin", in: empty)
        let mode = try FileManager.default.attributesOfItem(atPath: paths.key)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
