import ArgumentParser
import DefenceConsole
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
            Users.self, CreateUser.self, DisableUser.self, EnableUser.self, Tokens.self, IssueToken.self, RevokeToken.self,
            Rooms.self, Room.self, CreateRoom.self, UpdateRoom.self, CancelRoom.self, ImportDay.self, Results.self, PV.self,
            Reopen.self, Audit.self, Watch.self,
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
        @OptionGroup var output: OutputOptions
        @Option(help: "Only the rooms starting on this day (YYYY-MM-DD, UTC).")
        var day: String?
        @Option(help: "Only rooms in this state (scheduled, open, running, paused, deliberation, signed, cancelled).")
        var state: String?
        @Flag(help: "A live board instead of a list (as 'defence admin watch').")
        var watch = false

        func run() async throws {
            if watch {
                var board = Watch()
                board.root = root
                board.day = day
                board.lang = nil
                board.once = false
                try await board.run()
                return
            }
            try await send(root, .roomList(day: day, state: state), json: output.json)
        }
    }

    struct Room: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one room's plan and state.")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: "The room id.") var room: String

        func run() async throws {
            try await send(root, .roomShow(room: room), json: output.json)
        }
    }

    struct CreateRoom: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-room", abstract: "Schedule a room.")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: "The new room's id (a-z 0-9 . _ -).") var room: String
        @Option(help: "team (MSPR, 1–4 candidates, 30 min) or individual (dossier, 1 candidate, 45 min).")
        var kind: String
        @OptionGroup var plan: RoomOptionsGroup

        func run() async throws {
            try await send(root, .roomCreate(room: room, kind: kind, options: plan.options, title: plan.title), json: output.json)
        }
    }

    struct UpdateRoom: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update-room", abstract: "Change a room before it starts.")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: "The room id.") var room: String
        @Option(help: "team or individual.") var kind: String?
        @OptionGroup var plan: RoomOptionsGroup

        func run() async throws {
            var options = plan.options
            if let kind { options["kind"] = kind }
            try await send(root, .roomUpdate(room: room, options: options, title: plan.title), json: output.json)
        }
    }

    struct CancelRoom: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel-room", abstract: "Cancel a room before it starts.")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: "The room id.") var room: String
        @Option(help: "Why, for the record.") var reason: String?

        func run() async throws {
            try await send(root, .roomCancel(room: room, reason: reason), json: output.json)
        }
    }

    struct ImportDay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-day",
            abstract: "Create a day's users and rooms from a CSV file: all of them, or none.",
            discussion: "The format is in Protocol/PROTOCOL.md; Protocol/examples/day.csv is an example. Every faulty line is listed."
        )
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
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
            try await send(root, .dayImport(lines: lines.count), following: lines, json: output.json)
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
        @OptionGroup var output: OutputOptions
        @Argument(help: "The room id.") var room: String
        @Option(help: "Why (required).") var reason: String

        func run() async throws {
            try await send(root, .reopen(room: room, reason: reason), json: output.json)
        }
    }
}

/// Sends one command, prints the answer as a table (or JSON), and fails with status 1 on a `FAIL`.
func send(_ root: DefenceCommand, _ command: Command, following: [String] = [], json: Bool = false) async throws {
    let connection = try await root.connect()
    let reply = try await connection.exchange(command, followingLines: following)
    await connection.close()
    AdminOutput.print(reply, json: json)
    if reply.terminal.verb == "FAIL" { throw ExitCode(1) }
}

extension AdminCommand {
    struct Users: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Option(help: "candidate, juror or admin.") var role: String?
        @Option(help: "active or disabled.") var state: String?
        func run() async throws { try await send(root, .userList(role: role, state: state), json: output.json) }
    }

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-user", abstract: "Create a user.")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: "The user id (a-z 0-9 . _ -).") var user: String
        @Option(help: "candidate, juror or admin.") var role: String
        @Option(help: "The name shown to others.") var name: String
        @Option(help: "An e-mail address.") var email: String?
        func run() async throws {
            try await send(root, .userCreate(user: user, role: role, email: email, displayName: name), json: output.json)
        }
    }

    struct DisableUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disable-user", abstract: "Disable a user; their sessions are closed.")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: "The user id.") var user: String
        @Option(help: "Why.") var reason: String?
        func run() async throws { try await send(root, .userDisable(user: user, reason: reason), json: output.json) }
    }

    struct EnableUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enable-user", abstract: "Enable a disabled user.")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: "The user id.") var user: String
        func run() async throws { try await send(root, .userEnable(user: user), json: output.json) }
    }

    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List access tokens (never their secrets).")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this user's.") var user: String?
        func run() async throws { try await send(root, .tokenList(user: user), json: output.json) }
    }

    struct IssueToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-token",
            abstract: "Issue a token for a user; the token is printed once."
        )
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: "The user id.") var user: String
        @Option(help: "Valid for this many seconds.") var ttl: Int64?
        @Option(help: "Valid until this RFC 3339 time.") var expires: String?
        @Option(help: "A one-word label.") var label: String?
        func run() async throws {
            let expiry: Command.TokenExpiry? = ttl.map { .after(seconds: $0) } ?? expires.map { .at($0) }
            try await send(root, .tokenIssue(user: user, expiry: expiry, label: label), json: output.json)
        }
    }

    struct RevokeToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke-token", abstract: "Revoke a token; its sessions are closed.")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: "The token id.") var id: Int64
        func run() async throws { try await send(root, .tokenRevoke(id: id), json: output.json) }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check on the server that no stored room event was altered.")
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this room.") var room: String?
        func run() async throws { try await send(root, .audit(room: room), json: output.json) }
    }
}

extension AdminCommand {
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch",
            abstract: "A live board of the rooms: state, phase, time left, who is connected, marks, signatures.",
            discussion: "Refreshes every second until Ctrl-C; --once prints the board once (for scripts)."
        )
        @ParentCommand var root: DefenceCommand
        @Option(help: "Only the rooms starting on this day (YYYY-MM-DD, UTC).") var day: String?
        @Option(help: "fr or en (default: from the locale).") var lang: String?
        @Flag(help: "Print the board once and exit.") var once = false

        func run() async throws {
            let language = Language.resolve(lang)
            let session = LiveSession(endpoint: try root.endpoint(), token: try root.readToken())
            try await session.start()
            let rooms = try await session.request(.roomList(day: day, state: nil)).data
            var views: [String: RoomView] = [:]
            var order: [String] = []
            for line in rooms {
                let id = line.parameters[0]
                var view = RoomView(room: id)
                view.applyPlan(line)
                views[id] = view
                order.append(id)
            }
            let board = BoardState(views: views)
            let listener = Task {
                for await event in session.events {
                    if case .room(let line) = event { await board.apply(line) }
                }
            }
            for id in order { _ = try await session.join(id) }
            // Marks made before we joined come from PROGRESS.
            for id in order {
                let progress = try await session.request(.progress(room: id))
                await board.applyProgress(id, progress.data)
            }
            repeat {
                let now = Date().addingTimeInterval(await session.clockOffset)
                let current = await board.views
                let lines = RoomBoard.render(order.compactMap { current[$0] }, serverNow: now, language: language)
                let clear = once ? "" : "\u{1B}[H\u{1B}[2J"
                FileHandle.standardOutput.write(Data((clear + lines.joined(separator: "\n") + "\n").utf8))
                if !once { try await Task.sleep(for: .seconds(1)) }
            } while !once
            listener.cancel()
            await session.close()
        }
    }
}

/// The rooms of the board, updated from the live session.
actor BoardState {
    var views: [String: RoomView]

    init(views: [String: RoomView]) {
        self.views = views
    }

    func apply(_ line: Message) {
        guard let room = line.parameters.first else { return }
        views[room]?.apply(line)
    }

    func applyProgress(_ room: String, _ data: [Message]) {
        for line in data where line.verb == "MARK" && line.parameters.count >= 4 {
            views[room]?.marks[line.parameters[0], default: [:]]["\(line.parameters[1]) \(line.parameters[2])"] = line.parameters[3]
        }
    }
}
