import ArgumentParser
import DefenceClient
import DefenceProtocol
import Foundation

/// `defence admin …`: scheduling from the command line.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Schedule rooms and import a day (admin token required).",
        discussion: """
            Examples:
              defence --ca Certs/ca.pem --token-file data/admin.token admin create-room mspr-a1 --kind team \\
                --start 2026-12-01T08:00:00Z --candidates lea,hugo --jurors camille,paul --president camille --block A1
              defence --ca Certs/ca.pem --token-file data/admin.token admin rooms --day 2026-12-01
              defence --ca Certs/ca.pem --token-file data/admin.token admin import-day Protocol/examples/day.csv
            Each command prints the server's answer lines; a refusal prints its FAIL line and exits with status 1.
            """,
        subcommands: [
            Rooms.self, Room.self, CreateRoom.self, UpdateRoom.self, CancelRoom.self, ImportDay.self, Results.self, PV.self,
            Reopen.self,
        ]
    )

    /// Options shared by create-room and update-room.
    struct RoomOptionsGroup: ParsableArguments {
        @Option(help: "Start, RFC 3339 (e.g. 2026-12-01T08:00:00Z).")
        var start: String?
        @Option(help: "Candidate user ids, comma-separated (1 to 4 for a team, 1 for an individual defence).")
        var candidates: String?
        @Option(help: "The two jurors' user ids, comma-separated.")
        var jurors: String?
        @Option(help: "The juror who presides.")
        var president: String?
        @Option(help: "Competence codes, comma-separated.")
        var competences: String?
        @Option(help: "Assess the épreuve's competences of this block.")
        var block: String?
        @Option(help: "Assess the épreuve's competences of this specialisation.")
        var specialisation: String?
        @Option(help: "Phases as name:minutes, comma-separated (e.g. presentation:20,questions:10).")
        var phases: String?
        @Option(help: "Warning thresholds in seconds, comma-separated (e.g. 300,60).")
        var warnings: String?
        @Option(help: "Scoring visibility: live or blind.")
        var visibility: String?
        @Option(help: "A title shown to participants.")
        var title: String?

        var options: [String: String] {
            var options: [String: String] = [:]
            for (key, value) in [
                ("start", start), ("candidates", candidates), ("jurors", jurors), ("president", president),
                ("competences", competences), ("block", block), ("specialisation", specialisation), ("phases", phases),
                ("warnings", warnings), ("visibility", visibility),
            ] {
                if let value { options[key] = value }
            }
            return options
        }
    }

    struct Rooms: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List rooms.")
        @ParentCommand var root: DefenceCommand
        @Option(help: "Only the rooms starting on this day (YYYY-MM-DD, UTC).")
        var day: String?
        @Option(help: "Only rooms in this state (scheduled, open, running, paused, deliberation, signed, cancelled).")
        var state: String?

        func run() async throws {
            try await send(root, .roomList(day: day, state: state))
        }
    }

    struct Room: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one room's plan and state.")
        @ParentCommand var root: DefenceCommand
        @Argument(help: "The room id.") var room: String

        func run() async throws {
            try await send(root, .roomShow(room: room))
        }
    }

    struct CreateRoom: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-room", abstract: "Schedule a room.")
        @ParentCommand var root: DefenceCommand
        @Argument(help: "The new room's id (a-z 0-9 . _ -).") var room: String
        @Option(help: "team (MSPR, 1–4 candidates, 30 min) or individual (dossier, 1 candidate, 45 min).")
        var kind: String
        @OptionGroup var plan: RoomOptionsGroup

        func run() async throws {
            try await send(root, .roomCreate(room: room, kind: kind, options: plan.options, title: plan.title))
        }
    }

    struct UpdateRoom: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update-room", abstract: "Change a room before it starts.")
        @ParentCommand var root: DefenceCommand
        @Argument(help: "The room id.") var room: String
        @Option(help: "team or individual.") var kind: String?
        @OptionGroup var plan: RoomOptionsGroup

        func run() async throws {
            var options = plan.options
            if let kind { options["kind"] = kind }
            try await send(root, .roomUpdate(room: room, options: options, title: plan.title))
        }
    }

    struct CancelRoom: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel-room", abstract: "Cancel a room before it starts.")
        @ParentCommand var root: DefenceCommand
        @Argument(help: "The room id.") var room: String
        @Option(help: "Why, for the record.") var reason: String?

        func run() async throws {
            try await send(root, .roomCancel(room: room, reason: reason))
        }
    }

    struct ImportDay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-day",
            abstract: "Create a day's users and rooms from a CSV file: all of them, or none.",
            discussion: "The format is in Protocol/PROTOCOL.md; Protocol/examples/day.csv is an example. Every faulty line is listed."
        )
        @ParentCommand var root: DefenceCommand
        @Argument(help: "The CSV file.") var file: String

        func run() async throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ValidationError("cannot read \(file) as UTF-8 text")
            }
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
            while lines.last?.isEmpty == true { lines.removeLast() }
            guard !lines.isEmpty, lines.count <= Command.maxImportLines else {
                throw ValidationError("the file must have 1 to \(Command.maxImportLines) lines")
            }
            try await send(root, .dayImport(lines: lines.count), following: lines)
        }
    }
}

extension AdminCommand {
    struct Results: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Final decisions per room, candidate and competence.",
            discussion: "'signed' results are locked; 'provisional' ones may still change. '-' means not decided yet."
        )
        @ParentCommand var root: DefenceCommand
        @Option(help: "One room.") var room: String?
        @Option(help: "The rooms starting on this day (YYYY-MM-DD, UTC).") var day: String?
        @Option(help: "table (default), csv or json.") var format: String = "table"

        func validate() throws {
            guard ["table", "csv", "json"].contains(format) else { throw ValidationError("--format is table, csv or json") }
            guard room != nil || day != nil else { throw ValidationError("give --room or --day") }
        }

        func run() async throws {
            let connection = try await root.connect()
            let reply = try await connection.exchange(.results(room: room, day: day))
            await connection.close()
            guard reply.terminal.verb == "OK" else {
                print(reply.terminal.serialized)
                throw ExitCode(1)
            }
            let header = ["room", "candidate", "competence", "decision", "status", "comment"]
            let rows = reply.data.map { line -> [String] in
                let p = line.parameters
                return [p[0], p[1], p[2], p[3], p[4], p.count > 5 ? p[5] : ""]
            }
            switch format {
            case "csv":
                func field(_ text: String) -> String {
                    text.contains(where: { ",\"".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
                }
                print(header.joined(separator: ","))
                for row in rows { print(row.map(field).joined(separator: ",")) }
            case "json":
                let objects = rows.map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
                let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            default:
                let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
                for row in [header] + rows {
                    print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
                }
            }
        }
    }

    struct PV: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pv",
            abstract: "Write a room's procès-verbal as Markdown and as a print-ready HTML page.",
            discussion: "Writes <output>.md and <output>.html (default: pv-<room>), and prints the log's fingerprint."
        )
        @ParentCommand var root: DefenceCommand
        @Option(help: "The room.") var room: String
        @Option(help: "The files' path without extension.") var output: String?

        func run() async throws {
            let connection = try await root.connect()
            let base = output ?? "pv-\(room)"
            for format in ["markdown", "html"] {
                let reply = try await connection.exchange(.pv(room: room, format: format))
                guard reply.terminal.verb == "OK" else {
                    print(reply.terminal.serialized)
                    await connection.close()
                    throw ExitCode(1)
                }
                let text = reply.data.map { $0.parameters.last ?? "" }.joined(separator: "\n") + "\n"
                let path = base + (format == "html" ? ".html" : ".md")
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                print("written \(path)")
                if format == "html", let fingerprint = reply.terminal.parameters.last { print(fingerprint) }
            }
            await connection.close()
        }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reopen a signed room; the reason goes into the PV.")
        @ParentCommand var root: DefenceCommand
        @Argument(help: "The room id.") var room: String
        @Option(help: "Why (required).") var reason: String

        func run() async throws {
            try await send(root, .reopen(room: room, reason: reason))
        }
    }
}

/// Sends one command, prints the answer, and fails with status 1 on a `FAIL`.
func send(_ root: DefenceCommand, _ command: Command, following: [String] = []) async throws {
    let connection = try await root.connect()
    let reply = try await connection.exchange(command, followingLines: following)
    await connection.close()
    for line in reply.data + [reply.terminal] {
        var shown = line
        shown.tags = []
        print(shown.serialized)
    }
    if reply.terminal.verb == "FAIL" { throw ExitCode(1) }
}
