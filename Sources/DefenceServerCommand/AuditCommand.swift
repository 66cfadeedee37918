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
            abstract: "Recompute every room's hash chain and report what does not match (exit status 1).",
            discussion: """
                Each stored room event is chained to the previous one by SHA-256 over every column of its row (its \
                payload, the line RESUME replays, who may see it, its time and type), and each room's last event is \
                marked as such: changing, removing or reordering an event, or removing the last ones, breaks the \
                chain. The room's listing row and its snapshot are checked against what its events fold into. Safe \
                to run while the server runs.

                With --room, the last line is the room's fingerprint (the link of its last event, or of event --at): \
                a PV prints the fingerprint of the event it stops at, so \
                'defence-server audit verify --room R --at N' checks a printed PV later.

                Exit status: 0 intact, 1 something does not match, 2 no database in --data-dir, or no such room or \
                event.
                """
        )

        @Option(help: "Check only this room.")
        var room: String?

        @Option(help: "With --room: print the fingerprint of this event (the one a PV names) instead of the last.")
        var at: Int?

        @Option(help: "The server's data folder.")
        var dataDir: String = "data"

        func validate() throws {
            if at != nil, room == nil { throw ValidationError("--at needs --room") }
            if let at, at < 1 { throw ValidationError("--at is an event's sequence number, 1 or more") }
        }

        func run() async throws {
            let path = (dataDir as NSString).appendingPathComponent("defence.sqlite")
            // Auditing must never create what it audits.
            guard FileManager.default.fileExists(atPath: path) else {
                sayError("no database at \(path): give the server's data folder with --data-dir")
                throw ExitCode(2)
            }
            // Opening a database migrates it: an audit must not upgrade (and re-seal) the data it audits.
            let pending: [String]
            do {
                pending = try DefenceDatabase.pendingMigrations(at: path)
            } catch {
                sayError("\(path) cannot be read as a Defence Rooms database: \(error)")
                throw ExitCode(2)
            }
            guard pending.isEmpty else {
                sayError("the database is not at this version's schema (missing \(pending.joined(separator: ", "))): audit it with the version that wrote it, or start this version's server to upgrade it first")
                throw ExitCode(2)
            }
            let database = try DefenceDatabase(path: path)
            let report: RoomStore.AuditReport
            do {
                report = try await RoomStore(database: database).verifyChains(room: room, at: at)
            } catch let error as RoomStore.AuditError {
                sayError("\(error)")
                throw ExitCode(2)
            }
            for broken in report.breaks { say("BROKEN \(broken)") }
            if report.breaks.isEmpty {
                say("ok: \(report.rooms) room\(report.rooms == 1 ? "" : "s"), \(report.events) events, every hash chain intact")
            } else {
                let damaged = Set(report.breaks.map(\.room)).count
                say("\(damaged) of \(report.rooms) room\(report.rooms == 1 ? "" : "s") do not match their chain")
            }
            if let fingerprint = report.fingerprint {
                say("fingerprint of room \(fingerprint.room) at event \(fingerprint.seq): \(fingerprint.link)")
            }
            if !report.breaks.isEmpty { throw ExitCode(1) }
        }
    }
}
