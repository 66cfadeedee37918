import ArgumentParser
import DefenceProtocol

/// `defence-server`: the Defence Rooms server and its maintenance commands.
@main
struct DefenceServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defence-server",
        abstract: "The Defence Rooms server: remote oral defences over a TLS line protocol.",
        discussion: """
            Without a subcommand, runs the server ('serve'). On a fresh checkout it needs nothing else: \
            it creates ./data/defence.sqlite, generates development certificates into ./Certs, creates a \
            first admin whose token is printed once and written to ./data/admin.token, and listens on \
            127.0.0.1:7443.

            Every option of the server: defence-server serve --help
            """,
        version: ProductVersion.current,
        subcommands: [Serve.self, ReferentialCommand.self, AuditCommand.self, BackupCommand.self, CertsCommand.self],
        defaultSubcommand: Serve.self
    )
}
