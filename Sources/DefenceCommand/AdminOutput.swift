import ArgumentParser
import DefenceClient
import DefenceConsole
import DefenceProtocol
import Foundation

/// `--json` for the admin subcommands.
struct OutputOptions: ParsableArguments {
    @Flag(help: H("Afficher du JSON pour les scripts au lieu d’un tableau.", "Print JSON for scripts instead of a table."))
    var json = false
}

/// Readable tables (default) or JSON of a reply's data lines.
enum AdminOutput {
    /// Column names of the data lines each verb produces.
    static let columns: [String: [String]] = [
        "USER": ["user", "role", "state", "email", "track", "number", "legal-name", "capacity", "name"],
        "OUTCOME": ["candidate", "state", "track", "blocks", "needed", "number", "name"],
        "TOKEN": ["id", "user", "state", "created", "expires", "last-used", "label"],
        "ROOM": ["room", "state", "kind", "start", "end", "candidates", "jurors", "president", "epreuve", "competences", "phases", "warnings", "visibility", "referential", "seq", "title"],
        "IMPORT-ERROR": ["line", "code", "problem"],
        "RESULT": ["room", "candidate", "competence", "decision", "status", "comment"],
        "BROKEN": ["room", "event", "problem"],
    ]

    /// A data line as named fields: positional parameters in order, `key=value` ones by key, free text last.
    static func fields(_ line: Message) -> [(String, String)] {
        let names = columns[line.verb] ?? []
        var positional: [String] = []
        var named: [String: String] = [:]
        for (index, parameter) in line.parameters.enumerated() {
            let isText = line.hasText && index == line.parameters.count - 1
            if !isText, let equals = parameter.firstIndex(of: "="), names.contains(String(parameter[..<equals])) {
                let key = String(parameter[..<equals])
                let value = String(parameter[parameter.index(after: equals)...])
                // Text values of the certification fields travel escaped (PROTOCOL.md §9 USER-CREATE).
                named[key] = ["legal-name", "capacity"].contains(key) ? TagEscaping.unescape(value) : value
            } else if !isText {
                positional.append(parameter)
            }
        }
        var result: [(String, String)] = []
        var nextPositional = 0
        let text = line.hasText ? line.parameters.last : nil
        for (index, name) in names.enumerated() {
            if let value = named[name] {
                result.append((name, value))
            } else if index == names.count - 1, let text {
                result.append((name, text))
            } else if nextPositional < positional.count, !(named.keys.contains(name)) {
                result.append((name, positional[nextPositional]))
                nextPositional += 1
            } else {
                result.append((name, ""))
            }
        }
        if names.isEmpty { result = positional.enumerated().map { ("\($0.offset + 1)", $0.element) } + (text.map { [("text", $0)] } ?? []) }
        return result
    }

    /// Prints a reply: the data as a table or JSON, then the terminal line (to standard error in JSON mode).
    static func print(_ reply: Reply, json: Bool) {
        if json {
            var objects: [[String: Any]] = reply.data.map { line -> [String: Any] in
                var object: [String: Any] = Dictionary(uniqueKeysWithValues: fields(line))
                object["type"] = line.verb.lowercased()
                return object
            }
            if objects.isEmpty, let issued = TokenIssuedReply(reply.terminal) {
                // The token by name: a script must not find it by position.
                var object: [String: Any] = ["type": "token", "id": issued.id, "user": issued.user, "token": issued.token]
                if let expires = issued.expires { object["expires"] = WireTime.format(expires) }
                objects = [object]
            } else if objects.isEmpty {
                // A command whose answer is its reply line (TOKEN-ISSUE, ROOM-CANCEL…): the reply's words.
                var object: [String: Any] = ["type": reply.terminal.verb.lowercased()]
                object["verb"] = reply.terminal.parameters.first ?? ""
                object["args"] = Array(reply.terminal.parameters.dropFirst())
                objects = [object]
            }
            let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])) ?? Data("[]".utf8)
            Swift.print(String(decoding: data, as: UTF8.self))
            var terminal = reply.terminal
            terminal.tags = []
            FileHandle.standardError.write(Data((terminal.serialized + "\n").utf8))
            return
        }
        var groups: [(verb: String, lines: [Message])] = []
        for line in reply.data {
            if groups.last?.verb == line.verb { groups[groups.count - 1].lines.append(line) } else { groups.append((line.verb, [line])) }
        }
        for group in groups {
            let rows = group.lines.map(fields)
            guard let header = rows.first?.map(\.0) else { continue }
            // Drop columns empty in every row.
            let keep = header.indices.filter { column in rows.contains { !$0[column].1.isEmpty } }
            let table = [keep.map { heading(header[$0]) }] + rows.map { row in keep.map { row[$0].1 } }
            let widths = keep.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
            for (index, row) in table.enumerated() {
                Swift.print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces))
                if index == 0 { Swift.print(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) }
            }
            Swift.print("")
        }
        printTerminal(reply.terminal)
    }

    /// Prints a terminal line without its tag, then, for a refusal, its sentence in the reader's language.
    static func printTerminal(_ terminal: Message) {
        var line = terminal
        line.tags = []
        Swift.print(line.serialized)
        if let failure = FailureLine(line) {
            Swift.print(ErrorText.refusal(code: failure.code, serverText: failure.text, language: commandLanguage))
        }
    }

    /// Column headings in the command line's language (JSON keys stay as they are).
    static func heading(_ key: String) -> String {
        let french = [
            "user": "utilisateur", "role": "rôle", "state": "état", "name": "nom", "created": "créé", "expires": "expire",
            "last-used": "dernier usage", "label": "libellé", "room": "salle", "kind": "type", "start": "début", "end": "fin",
            "candidates": "candidats", "jurors": "jurés", "president": "président", "title": "titre", "line": "ligne",
            "problem": "problème", "candidate": "candidat", "competence": "compétence", "decision": "décision",
            "status": "statut", "comment": "commentaire", "event": "événement", "id": "n°", "competences": "compétences",
            "visibility": "visibilité", "referential": "référentiel", "warnings": "alertes", "epreuve": "épreuve",
            "track": "filière", "number": "numéro", "legal-name": "nom légal", "capacity": "qualité", "blocks": "blocs",
            "needed": "requis", "item": "élément", "result": "résultat", "at": "signé le", "earlier": "antérieures",
        ]
        return commandLanguage == .fr ? (french[key] ?? key) : key
    }
}
