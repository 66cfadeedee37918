import ArgumentParser
import DefenceClient
import DefenceProtocol
import Foundation

/// `defence login`: checks the connection and stores it as the profile every command uses.
struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: L("Vérifier serveur, AC ou empreinte, et jeton, puis les enregistrer comme profil de connexion (mode 0600).", "Check a server, CA or pin, and token, then store them as your connection profile (mode 0600)."),
        discussion: L(
            """
            Exemple : defence --server defence.example.org:7443 --token-file ~/jeton-jury.txt login
            Avec un serveur de développement : defence --ca Certs/ca.pem --token-file data/admin.token login
            Ensuite « defence room mspr-a1 » suffit.
            """,
            """
            Example: defence --server defence.example.org:7443 --token-file ~/jury-token.txt login
            With a development server: defence --ca Certs/ca.pem --token-file data/admin.token login
            Afterwards 'defence room mspr-a1' needs no other option.
            """
        )
    )

    @ParentCommand var root: DefenceCommand

    func run() async throws {
        let endpoint = try root.endpoint()
        let token = try root.readToken()
        let connection = try await root.connect()
        let who = try await connection.request(.whoami).terminal
        await connection.close()
        let path = root.profile ?? Profile.defaultPath
        let ca = endpoint.caFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let profile = Profile(
            server: "\(endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host):\(endpoint.port)",
            ca: ca, pin: endpoint.pin, token: token,
            user: WhoamiReply(who)?.user,
            role: WhoamiReply(who)?.role,
            identity: endpoint.identity.map {
                ClientIdentity(
                    certificateFile: URL(fileURLWithPath: $0.certificateFile).standardizedFileURL.path,
                    keyFile: URL(fileURLWithPath: $0.keyFile).standardizedFileURL.path
                )
            },
            postQuantum: endpoint.postQuantum ? true : nil
        )
        try profile.save(to: path)
        print("\(WhoamiReply(who)?.displayName ?? "") (\(profile.user ?? "?"), \(profile.role ?? "?")) — " + L("profil enregistré dans ", "profile saved to ") + path)
    }
}
