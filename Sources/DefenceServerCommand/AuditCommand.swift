import ArgumentParser
import DefenceStore
import Foundation

/// `defence-server audit verify`: recomputes the rooms' hash chains.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check that no stored room event was altered.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every room's hash chain and report the first broken link of each (exit status 1).",
            discussion: """
                Each stored room event is chained to the previous one by SHA-256; changing, removing or reordering \
                an event breaks the chain from that event on. The last link is the room's fingerprint, printed in \
                its PV. Safe to run while the server runs.
                """
        )

        @Option(help: "Check only this room.")
        var room: String?

        @Option(help: "The server's data folder.")
        var dataDir: String = "data"

        func run() async throws {
            let database = try openDatabase(dataDir)
            let report = try await RoomStore(database: database).verifyChains(room: room)
            if report.breaks.isEmpty {
                say("ok: \(report.rooms) room\(report.rooms == 1 ? "" : "s"), \(report.events) events, every hash chain intact")
            } else {
                for broken in report.breaks { say("BROKEN \(broken)") }
                say("\(report.breaks.count) of \(report.rooms) rooms have a broken chain")
                throw ExitCode(1)
            }
        }
    }
}
