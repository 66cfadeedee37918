import ArgumentParser
import DefenceClient
import DefenceProtocol
import Foundation

extension AdminCommand {
    /// `defence admin outcomes`: every candidate's outcome, as a table, CSV or JSON.
    struct Outcomes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Qui est certifié : une ligne par candidat, à partir des salles signées.", "Who is certified: one line per candidate, from the signed rooms."),
            discussion: L(
                "certified : tous les blocs de la filière sont validés ; not-certified : un bloc ne peut plus l’être avec les décisions signées ; incomplete : il reste des compétences à évaluer. Le détail d’un candidat : defence admin outcome <candidat>.",
                "certified: every block of the track is validated; not-certified: a block can no longer be with the signed decisions; incomplete: competences are still to be assessed. One candidate in detail: defence admin outcome <candidate>."
            )
        )
        @ParentCommand var root: DefenceCommand
        @Option(help: H("Les candidats qui ont une salle ce jour (AAAA-MM-JJ, UTC).", "The candidates with a room on this day (YYYY-MM-DD, UTC).")) var day: String?
        @Option(help: H("dev ou infra.", "dev or infra.")) var track: String?
        @Option(help: H("certified, not-certified ou incomplete.", "certified, not-certified or incomplete.")) var state: String?
        @Option(help: H("table (par défaut), csv ou json.", "table (default), csv or json.")) var format: String = "table"

        func validate() throws {
            guard ["table", "csv", "json"].contains(format) else { throw ValidationError(L("--format vaut table, csv ou json", "--format is table, csv or json")) }
        }

        func run() async throws {
            let connection = try await root.connect()
            let reply = try await connection.exchange(.outcomes(day: day, track: track, state: state))
            await connection.close()
            guard reply.failure == nil else {
                AdminOutput.printTerminal(reply.terminal)
                throw ExitCode(1)
            }
            let header = ["candidate", "number", "name", "track", "state", "blocks", "needed"]
            var rows = try reply.data.map { line -> [String] in
                guard let outcome = OutcomeSummary(line) else {
                    throw ValidationError(L("ligne inattendue du serveur : \(line.serialized)", "unexpected line from the server: \(line.serialized)"))
                }
                return [outcome.candidate, outcome.number ?? "", outcome.name ?? "", outcome.track ?? "-", outcome.status, "\(outcome.validated)/\(outcome.total)", String(outcome.needed)]
            }
            if format == "table" { rows = rows.map { row in row.enumerated().map { $0.offset == 4 ? outcomeWord($0.element) : $0.element } } }
            Table.print(header: header, rows: rows, format: format)
        }
    }

    /// `defence admin outcome <candidate>`: one candidate's competences and blocks.
    struct Outcome: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Les compétences et les blocs d’un candidat, à partir des salles signées.", "A candidate's competences and blocks, from the signed rooms."),
            discussion: L(
                "Aussi « defence outcome » : sans argument, un candidat voit son propre résultat, une fois ses salles signées.",
                "Also 'defence outcome': without an argument a candidate sees their own outcome, once their rooms are signed."
            )
        )
        @ParentCommand var root: DefenceCommand
        @Argument(help: H("Le candidat (un candidat connecté peut l’omettre : le sien).", "The candidate (a signed-in candidate may leave it out: their own).")) var candidate: String?
        @Option(help: H("table (par défaut), csv ou json.", "table (default), csv or json.")) var format: String = "table"

        func validate() throws {
            guard ["table", "csv", "json"].contains(format) else { throw ValidationError(L("--format vaut table, csv ou json", "--format is table, csv or json")) }
        }

        func run() async throws {
            let connection = try await root.connect()
            var candidate = self.candidate ?? ""
            if self.candidate == nil {
                let me = try await connection.exchange(.whoami)
                guard let whoami = WhoamiReply(me.terminal) else {
                    AdminOutput.printTerminal(me.terminal)
                    await connection.close()
                    throw ExitCode(1)
                }
                candidate = whoami.user
            }
            let reply = try await connection.exchange(.outcome(candidate: candidate))
            await connection.close()
            guard reply.failure == nil, let summary = OutcomeSummary(reply.terminal) else {
                AdminOutput.printTerminal(reply.terminal)
                throw ExitCode(1)
            }
            let header = ["item", "code", "result", "room", "at", "earlier"]
            var rows: [[String]] = []
            for line in reply.data {
                if let competence = OutcomeCompetenceLine(line) {
                    rows.append([
                        "competence", competence.code, competence.decision?.rawValue ?? "-", competence.room ?? "", competence.at.map(WireTime.format) ?? "",
                        competence.earlier.map { "\($0.room):\($0.decision.rawValue)" }.joined(separator: " "),
                    ])
                } else if let block = OutcomeBlockLine(line) {
                    rows.append(["block", block.code, block.status, "", "", "\(block.acquired)/\(block.total) (\(block.needed))"])
                }
            }
            rows.append(["certification", summary.track ?? "-", summary.status, "", "", "\(summary.validated)/\(summary.total) (\(summary.needed))"])
            if format == "table" { rows = rows.map { [outcomeWord($0[0]), $0[1], outcomeWord($0[2])] + $0.dropFirst(3) } }
            Table.print(header: header, rows: rows, format: format)
        }
    }
}

/// The protocol's outcome words, for a table a person reads (CSV and JSON keep them as the protocol writes them).
func outcomeWord(_ word: String) -> String {
    switch word {
    case "competence": return L("compétence", "competence")
    case "block": return L("bloc", "block")
    case "certification": return L("certification", "certification")
    case "acquis": return L("acquis", "acquired")
    case "non-acquis": return L("non acquis", "not acquired")
    case "-": return L("à évaluer", "to be assessed")
    case "validated": return L("validé", "validated")
    case "not-validated": return L("non validé", "not validated")
    case "incomplete": return L("incomplet", "incomplete")
    case "certified": return L("certifié", "certified")
    case "not-certified": return L("non certifié", "not certified")
    default: return word
    }
}

/// Rows printed as an aligned table, CSV (RFC 4180 quoting) or JSON objects.
enum Table {
    static func print(header: [String], rows: [[String]], format: String) {
        switch format {
        case "csv":
            func field(_ text: String) -> String {
                text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
            }
            Swift.print(header.joined(separator: ","))
            for row in rows { Swift.print(row.map(field).joined(separator: ",")) }
        case "json":
            // Counts are numbers for scripts; "blocks" (validated/total) stays text.
            let numeric: Set<String> = ["needed", "validated", "total"]
            let objects = rows.map { row in
                Dictionary(uniqueKeysWithValues: zip(header, row).map { key, value -> (String, Any) in
                    (key, numeric.contains(key) ? (Int(value).map { $0 as Any } ?? value) : value)
                })
            }
            let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])) ?? Data("[]".utf8)
            Swift.print(String(decoding: data, as: UTF8.self))
        default:
            let header = header.map(AdminOutput.heading)
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            for row in [header] + rows {
                Swift.print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
        }
    }
}
