import ArgumentParser
import DefenceServer
import Foundation

/// `defence-server certs client USER`: development client certificates for admins.
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Development certificates.",
        subcommands: [Client.self]
    )

    struct Client: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a client certificate for an admin, signed by the development CA.",
            discussion: """
                Writes client-<user>.pem and client-<user>-key.pem (0600) into --certs-dir. The certificate's subject \
                common name is the user id. With 'serve --admin-client-ca <certs-dir>/ca.pem' the server then accepts \
                that admin's token only from a client presenting this certificate:

                  defence --client-cert Certs/client-admin.pem --client-key Certs/client-admin-key.pem whoami

                In production, issue admins' certificates from a CA of your own, kept off the server, and give \
                its certificate to --admin-client-ca.
                """
        )

        @Argument(help: "The admin's user id (the certificate's common name).")
        var user: String

        @Option(help: "The folder of the development CA (ca.pem, ca-key.pem), where the files are written.")
        var certsDir: String = "Certs"

        @Option(help: "Days of validity.")
        var days: Int = 365

        func run() throws {
            guard days > 0 else { throw ValidationError("--days must be positive") }
            do {
                let paths = try DevelopmentCertificates.issueClientCertificate(for: user, in: certsDir, days: days)
                print("client certificate for \(user): \(paths.certificate) (key: \(paths.key))")
            } catch let error as ServerSetupError {
                throw ValidationError(error.description)
            }
        }
    }
}
