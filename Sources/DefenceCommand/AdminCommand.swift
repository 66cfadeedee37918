import ArgumentParser
import DefenceConsole
import DefenceClient
import DefenceProtocol
import Foundation

/// `defence admin …`: scheduling from the command line.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: L("Planifier des salles et importer une journée (jeton administrateur requis).", "Schedule rooms and import a day (admin token required)."),
        discussion: L(
            """
            Exemples :
              defence --ca Certs/ca.pem --token-file data/admin.token admin create-room mspr-a1 --kind team \\
                --start 2026-12-01T08:00:00Z --candidates lea,hugo --jurors camille,paul --president camille --block A1
              defence --ca Certs/ca.pem --token-file data/admin.token admin rooms --day 2026-12-01
              defence --ca Certs/ca.pem --token-file data/admin.token admin import-day Protocol/examples/day.csv
            Chaque commande affiche la réponse du serveur en tableau (ou en JSON avec --json) ; un refus affiche \
            sa ligne FAIL et son explication, et le code de sortie est 1.
            """,
            """
            Examples:
              defence --ca Certs/ca.pem --token-file data/admin.token admin create-room mspr-a1 --kind team \\
                --start 2026-12-01T08:00:00Z --candidates lea,hugo --jurors camille,paul --president camille --block A1
              defence --ca Certs/ca.pem --token-file data/admin.token admin rooms --day 2026-12-01
              defence --ca Certs/ca.pem --token-file data/admin.token admin import-day Protocol/examples/day.csv
            Each command prints the server's answer lines; a refusal prints its FAIL line and exits with status 1.
            """
        ),
        subcommands: [
            Users.self, CreateUser.self, UpdateUser.self, DisableUser.self, EnableUser.self, Tokens.self, IssueToken.self, RevokeToken.self,
            Rooms.self, Room.self, CreateRoom.self, UpdateRoom.self, CancelRoom.self, ImportDay.self, Results.self, PV.self, Transcript.self,
            Reopen.self, Audit.self, Watch.self, Outcomes.self, Outcome.self,
        ]
    )

    /// Options shared by create-room and update-room.
    struct RoomOptionsGroup: ParsableArguments {
        @Option(help: H("Début, RFC 3339 (p. ex. 2026-12-01T08:00:00Z).", "Start, RFC 3339 (e.g. 2026-12-01T08:00:00Z)."))
        var start: String?
        @Option(help: H("Identifiants des candidats, séparés par des virgules (1 à 4 pour une équipe, 1 pour une soutenance individuelle).", "Candidate user ids, comma-separated (1 to 4 for a team, 1 for an individual defence)."))
        var candidates: String?
        @Option(help: H("Les identifiants des deux jurés, séparés par une virgule.", "The two jurors' user ids, comma-separated."))
        var jurors: String?
        @Option(help: H("Le juré qui préside.", "The juror who presides."))
        var president: String?
        @Option(help: H("Codes de compétences, séparés par des virgules.", "Competence codes, comma-separated."))
        var competences: String?
        @Option(help: H("Évaluer les compétences de l’épreuve pour ce bloc.", "Assess the épreuve's competences of this block."))
        var block: String?
        @Option(help: H("Évaluer les compétences de l’épreuve pour cette spécialisation.", "Assess the épreuve's competences of this specialisation."))
        var specialisation: String?
        @Option(help: H("Phases nom:minutes, séparées par des virgules (p. ex. presentation:20,questions:10).", "Phases as name:minutes, comma-separated (e.g. presentation:20,questions:10)."))
        var phases: String?
        @Option(help: H("Seuils d’alerte en secondes, séparés par des virgules (p. ex. 300,60).", "Warning thresholds in seconds, comma-separated (e.g. 300,60)."))
        var warnings: String?
        @Option(help: H("Visibilité des notes : live ou blind.", "Scoring visibility: live or blind."))
        var visibility: String?
        @Option(help: H("Un titre montré aux participants.", "A title shown to participants."))
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
        static let configuration = CommandConfiguration(abstract: L("Lister les salles.", "List rooms."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Option(help: H("Seulement les salles qui commencent ce jour (AAAA-MM-JJ, UTC).", "Only the rooms starting on this day (YYYY-MM-DD, UTC)."))
        var day: String?
        @Option(help: H("Seulement les salles dans cet état (scheduled, open, running, paused, deliberation, signed, cancelled, postponed).", "Only rooms in this state (scheduled, open, running, paused, deliberation, signed, cancelled, postponed)."))
        var state: String?
        @Flag(help: H("Un tableau en direct au lieu d’une liste (comme « defence admin watch »).", "A live board instead of a list (as 'defence admin watch')."))
        var watch = false
        @Flag(help: H("Écrire les salles en fichier iCalendar (RFC 5545), un événement par salle.", "Write the rooms as an iCalendar file (RFC 5545), one event per room."))
        var ics = false

        func validate() throws {
            if ics && (output.json || watch) {
                throw ValidationError(L("--ics écrit un agenda : sans --json ni --watch", "--ics writes a calendar: without --json or --watch"))
            }
        }

        func run() async throws {
            if ics {
                try await printAgenda(try await root.connect(), day: day, me: nil, ics: true, language: commandLanguage, host: try root.endpoint().host)
                return
            }
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
        static let configuration = CommandConfiguration(abstract: L("Afficher le planning et l’état d’une salle.", "Show one room's plan and state."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("L’identifiant de la salle.", "The room id.")) var room: String

        func run() async throws {
            try await send(root, .roomShow(room: room), json: output.json)
        }
    }

    struct CreateRoom: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-room", abstract: L("Planifier une salle.", "Schedule a room."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("L’identifiant de la nouvelle salle (a-z 0-9 . _ -).", "The new room's id (a-z 0-9 . _ -).")) var room: String
        @Option(help: H("team (MSPR, 1 à 4 candidats, 30 min), individual (dossier, 1 candidat, 45 min) ou final (soutenance finale, 1 candidat, 45 min, toute la filière).", "team (MSPR, 1–4 candidates, 30 min), individual (dossier, 1 candidate, 45 min) or final (final defence, 1 candidate, 45 min, the whole track)."))
        var kind: String
        @OptionGroup var plan: RoomOptionsGroup

        func run() async throws {
            try await send(root, .roomCreate(room: room, kind: kind, options: plan.options, title: plan.title), json: output.json)
        }
    }

    struct UpdateRoom: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update-room", abstract: L("Modifier une salle avant son début.", "Change a room before it starts."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("L’identifiant de la salle.", "The room id.")) var room: String
        @Option(help: H("team, individual ou final.", "team, individual or final.")) var kind: String?
        @OptionGroup var plan: RoomOptionsGroup

        func run() async throws {
            var options = plan.options
            if let kind { options["kind"] = kind }
            try await send(root, .roomUpdate(room: room, options: options, title: plan.title), json: output.json)
        }
    }

    struct CancelRoom: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel-room", abstract: L("Annuler une salle avant son début.", "Cancel a room before it starts."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("L’identifiant de la salle.", "The room id.")) var room: String
        @Option(help: H("Pourquoi, pour le procès-verbal.", "Why, for the record.")) var reason: String?

        func run() async throws {
            try await send(root, .roomCancel(room: room, reason: reason), json: output.json)
        }
    }

    struct ImportDay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-day",
            abstract: L("Créer les utilisateurs et les salles d’une journée depuis un CSV : tout, ou rien.", "Create a day's users and rooms from a CSV file: all of them, or none."),
            discussion: L(
            """
            Le format est décrit dans Protocol/PROTOCOL.md (§11.2) ; Protocol/examples/day.csv en est un exemple. \
            Le fichier doit commencer par l’en-tête du format, sinon il est refusé sans rien envoyer. Les fins de \
            ligne CRLF ou CR (Excel sous Windows) et une marque d’ordre des octets UTF-8 sont acceptées. Le client \
            annonce le nombre de lignes (DAY-IMPORT <n>), attend la réponse CONTINUE du serveur, puis envoie les \
            lignes, chacune précédée de « | » : une ligne du fichier n’est jamais lue comme une commande. Une seule \
            ligne fautive et rien n’est importé ; chaque ligne fautive est signalée avec son code.
            """,
            """
            The format is in Protocol/PROTOCOL.md (§11.2); Protocol/examples/day.csv is an example. The file must \
            start with the format's header, otherwise it is refused before anything is sent. CRLF or CR line ends \
            (as Excel on Windows saves them) and a UTF-8 byte order mark are accepted. The client announces the \
            number of lines (DAY-IMPORT <n>), waits for the server's CONTINUE, then sends the lines, each behind \
            '|': a line of the file is never read as a command. One faulty line and nothing is imported; every \
            faulty line is listed with its code.
            """
        )
        )
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("Le fichier CSV.", "The CSV file.")) var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError(L("impossible de lire \(file)", "cannot read \(file)"))
            }
            let lines: [String]
            do {
                lines = try DayFile.lines(of: data)
            } catch {
                throw ValidationError(L("\(file) n’est pas un fichier de journée : \(Self.french(error))", "\(file) is not a day file: \(error)"))
            }
            try await send(root, .dayImport(lines: lines.count), following: lines, json: output.json)
        }

        /// The problem in French.
        static func french(_ problem: DayFile.Problem) -> String {
            switch problem {
            case .notText: "ce n’est pas du texte UTF-8"
            case .empty: "il est vide"
            case .notTheHeader: "la première ligne doit être l’en-tête \(DayFile.columns.joined(separator: ","))"
            case .tooManyLines(let count): "\(count) lignes, un import en porte au plus \(Command.maxImportLines)"
            case .controlCharacter(let line): "la ligne \(line) contient un caractère de contrôle"
            case .lineTooLong(let line): "la ligne \(line) dépasse \(Limits.standard.maxLineBytes - 1) octets"
            }
        }
    }
}

extension AdminCommand {
    struct Results: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Décisions finales par salle, candidat et compétence.", "Final decisions per room, candidate and competence."),
            discussion: L(
            "Les résultats « signed » sont verrouillés ; les « provisional » peuvent encore changer. « - » : pas encore décidé.",
            "'signed' results are locked; 'provisional' ones may still change. '-' means not decided yet."
        )
        )
        @ParentCommand var root: DefenceCommand
        @Option(help: H("Une salle.", "One room.")) var room: String?
        @Option(help: H("Les salles qui commencent ce jour (AAAA-MM-JJ, UTC).", "The rooms starting on this day (YYYY-MM-DD, UTC).")) var day: String?
        @Option(help: H("table (par défaut), csv ou json.", "table (default), csv or json.")) var format: String = "table"

        func validate() throws {
            guard ["table", "csv", "json"].contains(format) else { throw ValidationError(L("--format vaut table, csv ou json", "--format is table, csv or json")) }
            guard room != nil || day != nil else { throw ValidationError(L("précisez --room ou --day", "give --room or --day")) }
        }

        func run() async throws {
            let connection = try await root.connect()
            let reply = try await connection.exchange(.results(room: room, day: day))
            await connection.close()
            guard reply.terminal.verb == "OK" else {
                AdminOutput.printTerminal(reply.terminal)
                throw ExitCode(1)
            }
            let header = ["room", "candidate", "competence", "decision", "status", "comment"]
            // A line the server should never send is refused with its text, never indexed past its end.
            let rows = try reply.data.map { line -> [String] in
                guard let result = ResultLine(line) else {
                    throw ValidationError(L("ligne inattendue du serveur : \(line.serialized)", "unexpected line from the server: \(line.serialized)"))
                }
                return [result.room, result.candidate, result.competence, result.decision, result.status, result.comment ?? ""]
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
            abstract: L("Écrire le procès-verbal d’une salle en Markdown et en page HTML prête à imprimer.", "Write a room's procès-verbal as Markdown and as a print-ready HTML page."),
            discussion: L(
            "Écrit <sortie>.md et <sortie>.html (par défaut pv-<salle>) et affiche l’empreinte du journal.",
            "Writes <output>.md and <output>.html (default: pv-<room>), and prints the log's fingerprint."
        )
        )
        @ParentCommand var root: DefenceCommand
        @Option(help: H("La salle.", "The room.")) var room: String
        @OptionGroup var document: DocumentOptions

        func run() async throws {
            try await writeDocument(root, base: document.output ?? "pv-\(room)") { format in .pv(room: room, format: format, lang: document.lang) }
        }
    }

    /// `defence admin transcript <candidate>`: the candidate's relevé, Markdown and HTML.
    struct Transcript: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "transcript",
            abstract: L("Écrire le relevé de compétences d’un candidat en Markdown et en page HTML prête à imprimer.", "Write a candidate's transcript of competences as Markdown and as a print-ready HTML page."),
            discussion: L(
                "Écrit <sortie>.md et <sortie>.html (par défaut releve-<candidat>) : le résultat, puis chaque bloc de la filière, chaque compétence, sa décision signée, la salle, la date et le jury.",
                "Writes <output>.md and <output>.html (default: transcript-<candidate>): the result, then every block of the track, every competence, its signed decision, room, date and jury."
            )
        )
        @ParentCommand var root: DefenceCommand
        @Argument(help: H("Le candidat.", "The candidate.")) var candidate: String
        @OptionGroup var document: DocumentOptions

        func run() async throws {
            let base = document.output ?? (document.lang == "en" ? "transcript-" : "releve-") + candidate
            try await writeDocument(root, base: base) { format in .transcript(candidate: candidate, format: format, lang: document.lang) }
        }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: L("Rouvrir une salle signée ; le motif figure au PV.", "Reopen a signed room; the reason goes into the PV."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("L’identifiant de la salle.", "The room id.")) var room: String
        @Option(help: H("Pourquoi (obligatoire).", "Why (required).")) var reason: String

        func run() async throws {
            try await send(root, .reopen(room: room, reason: reason), json: output.json)
        }
    }
}

/// Where a document (PV, transcript) is written and in which language.
struct DocumentOptions: ParsableArguments {
    @Option(help: H("Le chemin des fichiers, sans extension.", "The files' path without extension.")) var output: String?
    @Option(help: H("La langue du document : fr (par défaut) ou en.", "The document's language: fr (default) or en.")) var lang: String = "fr"

    func validate() throws {
        guard lang == "fr" || lang == "en" else { throw ValidationError(L("--lang vaut fr ou en", "--lang is fr or en")) }
    }
}

/// Asks for a document (PV or transcript) in Markdown then HTML, and writes `<base>.md` and `<base>.html`.
func writeDocument(_ root: DefenceCommand, base: String, command: (String) -> Command) async throws {
    let connection = try await root.connect()
    for format in ["markdown", "html"] {
        let reply = try await connection.exchange(command(format))
        guard reply.terminal.verb == "OK" else {
            AdminOutput.printTerminal(reply.terminal)
            await connection.close()
            throw ExitCode(1)
        }
        let text = reply.data.compactMap { DocumentLine($0)?.text }.joined(separator: "\n") + "\n"
        let path = base + (format == "html" ? ".html" : ".md")
        let folder = (path as NSString).deletingLastPathComponent
        do {
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            await connection.close()
            throw ValidationError(L("impossible d’écrire \(path) : vérifiez le dossier et ses droits", "cannot write \(path): check the folder and its permissions"))
        }
        print(L("écrit : ", "written ") + path)
        if format == "html", let fingerprint = DocumentReply(reply.terminal)?.fingerprint { print("fingerprint=\(fingerprint)") }
        if format == "html", let transcript = TranscriptReply(reply.terminal) { print("outcome=\(transcript.status)") }
    }
    await connection.close()
}

/// Sends one command, prints the answer as a table (or JSON), and fails with status 1 on a `FAIL`.
func send(_ root: DefenceCommand, _ command: Command, following: [String] = [], json: Bool = false) async throws {
    let connection = try await root.connect()
    let reply = try await connection.exchange(command, payload: following)
    await connection.close()
    AdminOutput.print(reply, json: json)
    if reply.terminal.verb == "FAIL" { throw ExitCode(1) }
}

extension AdminCommand {
    struct Users: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: L("Lister les utilisateurs.", "List users."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Option(help: H("candidate, juror ou admin.", "candidate, juror or admin.")) var role: String?
        @Option(help: H("active ou disabled.", "active or disabled.")) var state: String?
        func run() async throws { try await send(root, .userList(role: role, state: state), json: output.json) }
    }

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-user", abstract: L("Créer un utilisateur.", "Create a user."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("L’identifiant (a-z 0-9 . _ -).", "The user id (a-z 0-9 . _ -).")) var user: String
        @Option(help: H("candidate, juror ou admin.", "candidate, juror or admin.")) var role: String
        @Option(help: H("Le nom montré aux autres.", "The name shown to others.")) var name: String
        @Option(help: H("Une adresse e-mail.", "An e-mail address.")) var email: String?
        @OptionGroup var certification: CertificationFields
        func run() async throws {
            let fields = AccountFields(track: certification.track, number: certification.number, legalName: certification.legalName, capacity: certification.capacity)
            try await send(root, .userCreate(user: user, role: role, email: email, fields: fields, displayName: name), json: output.json)
        }
    }

    /// A candidate's track, number and legal name, a juror's capacity.
    struct CertificationFields: ParsableArguments {
        @Option(help: H("Candidats : la filière, dev (A1–A4 + A5) ou infra (A1–A4 + A6 + A7).", "Candidates: the track, dev (A1–A4 + A5) or infra (A1–A4 + A6 + A7)."))
        var track: String?
        @Option(help: H("Candidats : le numéro de candidat.", "Candidates: the candidate number."))
        var number: String?
        @Option(name: .customLong("legal-name"), help: H("Candidats : le nom à l’état civil, imprimé sur les PV et relevés.", "Candidates: the legal name, printed on PVs and transcripts."))
        var legalName: String?
        @Option(help: H("Jurés : la qualité imprimée au PV (p. ex. « Architecte SI, société X »).", "Jurors: the capacity printed on the PV (e.g. \"Architecte SI, société X\")."))
        var capacity: String?

        func validate() throws {
            // A number travels as one word: a space would split it on the wire.
            if let number, number.contains(where: \.isWhitespace) {
                throw ValidationError(L("--number : un numéro de candidat s’écrit sans espace (A-Z a-z 0-9 . _ - /)", "--number: a candidate number has no spaces (A-Z a-z 0-9 . _ - /)"))
            }
        }
    }

    struct UpdateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update-user",
            abstract: L("Modifier la filière, le numéro, le nom, l’e-mail ou la qualité d’un utilisateur.", "Change a user's track, number, names, e-mail or capacity."),
            discussion: L("Seul ce qui est donné change ; « - » efface un champ (--email -).", "Only what is given changes; '-' clears a field (--email -).")
        )
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("L’identifiant.", "The user id.")) var user: String
        @Option(help: H("Le nom montré aux autres.", "The name shown to others.")) var name: String?
        @Option(help: H("Une adresse e-mail, ou - pour l’effacer.", "An e-mail address, or - to clear it.")) var email: String?
        @OptionGroup var certification: CertificationFields

        func run() async throws {
            func change(_ value: String?) -> FieldChange? { value.map { $0 == "-" ? .clear : .set($0) } }
            let changes = AccountChanges(
                track: change(certification.track), number: change(certification.number), legalName: change(certification.legalName),
                email: change(email), capacity: change(certification.capacity), displayName: name
            )
            guard !changes.isEmpty else { throw ValidationError(L("rien à modifier", "nothing to change")) }
            try await send(root, .userUpdate(user: user, changes: changes), json: output.json)
        }
    }

    struct DisableUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disable-user", abstract: L("Désactiver un utilisateur ; ses sessions sont fermées.", "Disable a user; their sessions are closed."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("L’identifiant de l’utilisateur.", "The user id.")) var user: String
        @Option(help: H("Pourquoi.", "Why.")) var reason: String?
        func run() async throws { try await send(root, .userDisable(user: user, reason: reason), json: output.json) }
    }

    struct EnableUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enable-user", abstract: L("Réactiver un utilisateur.", "Enable a disabled user."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("L’identifiant de l’utilisateur.", "The user id.")) var user: String
        func run() async throws { try await send(root, .userEnable(user: user), json: output.json) }
    }

    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: L("Lister les jetons d’accès (jamais leurs secrets).", "List access tokens (never their secrets)."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Option(help: H("Seulement ceux de cet utilisateur.", "Only this user's.")) var user: String?
        func run() async throws { try await send(root, .tokenList(user: user), json: output.json) }
    }

    struct IssueToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-token",
            abstract: L("Émettre un jeton pour un utilisateur ; le jeton n’est affiché qu’une fois.", "Issue a token for a user; the token is printed once.")
        )
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("L’identifiant de l’utilisateur.", "The user id.")) var user: String
        @Option(help: H("Valable ce nombre de secondes.", "Valid for this many seconds.")) var ttl: Int64?
        @Option(help: H("Valable jusqu’à cette heure RFC 3339.", "Valid until this RFC 3339 time.")) var expires: String?
        @Option(help: H("Un libellé d’un mot.", "A one-word label.")) var label: String?
        func run() async throws {
            let expiry: Command.TokenExpiry? = ttl.map { .after(seconds: $0) } ?? expires.map { .at($0) }
            try await send(root, .tokenIssue(user: user, expiry: expiry, label: label), json: output.json)
        }
    }

    struct RevokeToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke-token", abstract: L("Révoquer un jeton ; ses sessions sont fermées.", "Revoke a token; its sessions are closed."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Argument(help: H("Le numéro du jeton.", "The token id.")) var id: Int64
        func run() async throws { try await send(root, .tokenRevoke(id: id), json: output.json) }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: L("Vérifier sur le serveur qu’aucun événement enregistré n’a été modifié.", "Check on the server that no stored room event was altered."))
        @ParentCommand var root: DefenceCommand
        @OptionGroup var output: OutputOptions
        @Option(help: H("Seulement cette salle.", "Only this room.")) var room: String?
        func run() async throws { try await send(root, .audit(room: room), json: output.json) }
    }
}

extension AdminCommand {
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch",
            abstract: L("Un tableau en direct des salles : état, phase, temps restant, présents, notes, signatures.", "A live board of the rooms: state, phase, time left, who is connected, marks, signatures."),
            discussion: L(
            "Rafraîchi chaque seconde jusqu’à Ctrl-C ; les salles créées, modifiées ou annulées entre-temps apparaissent dans les 5 secondes. --once l’affiche une seule fois (pour les scripts).",
            "Refreshes every second until Ctrl-C; rooms created, updated or cancelled meanwhile show within 5 seconds. --once prints the board once (for scripts)."
        )
        )
        @ParentCommand var root: DefenceCommand
        @Option(help: H("Seulement les salles qui commencent ce jour (AAAA-MM-JJ, UTC).", "Only the rooms starting on this day (YYYY-MM-DD, UTC).")) var day: String?
        @Option(help: H("fr ou en (par défaut : selon la locale).", "fr or en (default: from the locale).")) var lang: String?
        @Flag(help: H("Afficher le tableau une fois et quitter.", "Print the board once and exit.")) var once = false

        /// How many one-second refreshes between two listings of the rooms.
        static let relistEvery = 5

        func run() async throws {
            let language = Language.resolve(lang)
            let session = LiveSession(endpoint: try root.endpoint(), token: try root.readToken())
            try await session.start()
            let board = BoardState(views: [:])
            let listener = Task {
                for await event in session.events {
                    if case .room(let line) = event { await board.apply(line) }
                }
            }
            // Rooms created, updated or cancelled while the board runs are picked up at the next listing.
            var order: [String] = []
            var tick = 0
            repeat {
                if tick % Self.relistEvery == 0 {
                    let listed = try await session.request(.roomList(day: day, state: nil)).data.compactMap(RoomLine.init)
                    for line in listed {
                        guard await board.plan(line) else { continue }
                        // A new room: follow it, and take the marks made before we arrived from PROGRESS.
                        order.append(line.room)
                        _ = try await session.join(line.room)
                        let progress = try await session.request(.progress(room: line.room))
                        await board.applyProgress(line.room, progress.data)
                    }
                    let kept = Set(listed.map(\.room))
                    order.removeAll { !kept.contains($0) }
                }
                tick += 1
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
        guard let room = EventLine(line)?.room ?? SnapshotLine(line)?.room else { return }
        views[room]?.apply(line)
    }

    /// Takes a room's plan from a listing; true when the room is new to the board.
    func plan(_ line: RoomLine) -> Bool {
        if views[line.room] != nil {
            views[line.room]?.applyPlan(line)
            return false
        }
        var view = RoomView(room: line.room)
        view.applyPlan(line)
        views[line.room] = view
        return true
    }

    func applyProgress(_ room: String, _ data: [Message]) {
        for grid in data.compactMap(GridLine.init) {
            guard case .mark(let mark) = grid.value else { continue }
            views[room]?.marks[grid.juror, default: [:]]["\(grid.candidate) \(grid.item)"] = mark.rawValue
        }
    }
}
