import ArgumentParser
import DefenceClient
import DefenceProtocol
import Foundation

/// `defence`: the Defence Rooms terminal client.
@main
struct DefenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defence",
        abstract: L("Le client Defence Rooms : se connecter à un defence-server en TLS.", "The Defence Rooms client: connect to a defence-server over TLS."),
        discussion: L(
            """
            Exemple, avec un serveur lancé par « swift run defence-server » :

              defence --server 127.0.0.1:7443 --ca Certs/ca.pem --token-file data/admin.token whoami

            Le jeton vient de --token-file, --token, de la variable DEFENCE_TOKEN ou du profil écrit par \
            « defence login ». Le certificat du serveur est toujours vérifié : par --ca, par --pin, ou par les \
            racines de confiance du système. La langue suit la locale (LANG).
            """,
            """
            Example, against a server started with 'swift run defence-server':

              defence --server 127.0.0.1:7443 --ca Certs/ca.pem --token-file data/admin.token whoami

            The token comes from --token-file, --token or the DEFENCE_TOKEN environment variable. The \
            server certificate is always verified, against --ca or the system's trusted roots.
            """
        ),
        version: ProductVersion.current,
        subcommands: [Login.self, WhoAmI.self, Ping.self, RoomCommand.self, AgendaCommand.self, AdminCommand.Outcome.self, AdminCommand.self]
    )

    @Option(help: H("Le serveur, hôte:port (par défaut : celui du profil, sinon 127.0.0.1:7443).", "The server, as host:port (default: the profile's, else 127.0.0.1:7443)."))
    var server: String?

    @Option(help: H("Un fichier PEM de l’autorité de certification de confiance (Certs/ca.pem du serveur en développement).", "A PEM file of the certificate authority to trust (the server's Certs/ca.pem in development)."))
    var ca: String?

    @Option(help: H("L’empreinte SHA-256 (hex) du certificat du serveur, pour l’épingler au lieu de faire confiance à une AC.", "The SHA-256 fingerprint (hex) of the server certificate, to pin it instead of trusting a CA."))
    var pin: String?

    @Option(help: H("Un certificat client (PEM) à présenter : exigé des admins quand le serveur est lancé avec --admin-client-ca.", "A client certificate (PEM) to present: required from admins when the server runs with --admin-client-ca."))
    var clientCert: String?

    @Option(help: H("La clé privée (PEM) de --client-cert.", "The private key (PEM) of --client-cert."))
    var clientKey: String?

    @Flag(help: H("Proposer d’abord l’échange de clés hybride post-quantique X25519MLKEM768 (serveurs lancés avec --post-quantum).", "Offer the post-quantum hybrid key exchange X25519MLKEM768 first (servers started with --post-quantum)."))
    var postQuantum = false

    @Option(help: H("Un fichier dont la première ligne est le jeton d’accès.", "A file whose first line is the access token."))
    var tokenFile: String?

    @Option(help: H("Le jeton lui-même (préférez --token-file ou DEFENCE_TOKEN : les arguments sont visibles des autres utilisateurs).", "The access token itself (prefer --token-file or DEFENCE_TOKEN: arguments are visible to other users)."))
    var token: String?

    @Option(help: H("Le profil de connexion (par défaut : ~/.config/defence/profile.json, écrit par « defence login »).", "The connection profile to use (default: ~/.config/defence/profile.json, written by 'defence login')."))
    var profile: String?

    /// The stored profile, if any.
    var storedProfile: Profile? { Profile.load(from: profile ?? Profile.defaultPath) }

    /// Where to connect: flags first, then the profile, then 127.0.0.1:7443.
    func endpoint() throws -> ServerEndpoint {
        let stored = storedProfile
        let address = server ?? stored?.server ?? "127.0.0.1:7443"
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw ValidationError(L("--server s’écrit hôte:port, p. ex. 127.0.0.1:7443", "--server must be host:port, e.g. 127.0.0.1:7443"))
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let explicitTrust = ca != nil || pin != nil
        let identity: ClientIdentity?
        switch (clientCert, clientKey) {
        case (let certificate?, let key?):
            identity = ClientIdentity(certificateFile: certificate, keyFile: key)
        case (nil, nil):
            identity = stored?.identity
        default:
            throw ValidationError(L("--client-cert et --client-key vont ensemble", "--client-cert and --client-key go together"))
        }
        let endpoint = ServerEndpoint(
            host: host,
            port: port,
            caFile: explicitTrust ? ca : stored?.ca,
            pin: explicitTrust ? pin : stored?.pin,
            identity: identity,
            postQuantum: postQuantum || stored?.postQuantum == true
        )
        try ClientTLS.checkFiles(caFile: endpoint.pin == nil ? endpoint.caFile : nil, identity: identity)
        return endpoint
    }

    /// Connects and authenticates with the options given.
    func connect() async throws -> DefenceConnection {
        let endpoint = try endpoint()
        let secret = try readToken()
        let connection = try await DefenceConnection.connect(host: endpoint.host, port: endpoint.port, tls: endpoint.tls, pin: endpoint.pin)
        do {
            try await connection.authenticate(token: secret)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// The token: --token, --token-file, DEFENCE_TOKEN, then the profile's.
    func readToken() throws -> String {
        if let token { return token }
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ValidationError(L("impossible de lire --token-file \(tokenFile)", "cannot read --token-file \(tokenFile)"))
            }
            let first = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            guard !first.isEmpty else { throw ValidationError(L("--token-file \(tokenFile) est vide", "--token-file \(tokenFile) is empty")) }
            return first.trimmingCharacters(in: .whitespaces)
        }
        if let token = ProcessInfo.processInfo.environment["DEFENCE_TOKEN"], !token.isEmpty { return token }
        if let stored = storedProfile { return stored.token }
        throw ValidationError(L("pas de jeton : utilisez --token-file, --token, DEFENCE_TOKEN, ou lancez d’abord « defence login »", "no token: give --token-file, --token, DEFENCE_TOKEN, or run 'defence login' first"))
    }
}

/// `defence whoami`: prints who the token authenticates as.
struct WhoAmI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: L("Afficher la réponse WHOAMI : utilisateur, rôle et nom.", "Print the server's WHOAMI reply: user, role and display name.")
    )

    @ParentCommand var parent: DefenceCommand

    func run() async throws {
        let connection = try await parent.connect()
        defer { Task { await connection.close() } }
        let reply = try await connection.request(.whoami)
        var line = reply.terminal
        line.tags = []
        print(line.serialized)
        await connection.close()
    }
}

/// `defence ping`: measures the round trip and the clock offset to the server.
struct Ping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: L("Envoyer PING et afficher PONG avec le temps d’aller-retour.", "Send PING and print the PONG reply with the round-trip time.")
    )

    @ParentCommand var parent: DefenceCommand

    func run() async throws {
        let connection = try await parent.connect()
        let start = ContinuousClock.now
        let reply = try await connection.request(.ping(token: "cli"))
        let elapsed = ContinuousClock.now - start
        var line = reply.terminal
        line.tags = []
        print(line.serialized)
        print(L("aller-retour : ", "round trip: ") + elapsed.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1))))
        await connection.close()
    }
}
