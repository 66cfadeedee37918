import ArgumentParser
import DefenceClient
import DefenceConsole
import DefenceProtocol
import Foundation

/// `defence agenda`: the signed-in person's rooms of a day, as a table in local time or as an iCalendar file.
struct AgendaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agenda",
        abstract: L("Vos salles d’un jour : heure locale, salle, rôle, avec qui, état ; --ics pour un agenda.", "Your rooms of a day: local time, room, role, with whom, state; --ics for a calendar."),
        discussion: L(
            "Pour les candidats, les jurés et les admins. --ics écrit un fichier iCalendar (RFC 5545) que les agendas importent : un événement par salle, au même identifiant d’un import à l’autre, mis à jour quand la salle est replanifiée. Exemple : defence agenda --day 2026-12-01 --ics > salles.ics",
            "For candidates, jurors and admins. --ics writes an iCalendar file (RFC 5545) that calendars import: one event per room, with the same identifier from one import to the next, updated when the room is rescheduled. Example: defence agenda --day 2026-12-01 --ics > rooms.ics"
        )
    )
    @ParentCommand var root: DefenceCommand
    @Option(help: H("Le jour (AAAA-MM-JJ, UTC) ; par défaut, toutes vos salles.", "The day (YYYY-MM-DD, UTC); default: all your rooms.")) var day: String?
    @Flag(help: H("Écrire un fichier iCalendar (RFC 5545) sur la sortie standard.", "Write an iCalendar file (RFC 5545) to standard output.")) var ics = false
    @Option(help: H("fr ou en (par défaut : selon la locale).", "fr or en (default: from the locale).")) var lang: String?

    func run() async throws {
        let connection = try await root.connect()
        let me = try await connection.exchange(.whoami)
        guard let whoami = WhoamiReply(me.terminal) else {
            AdminOutput.printTerminal(me.terminal)
            await connection.close()
            throw ExitCode(1)
        }
        let person = whoami.role == "admin" ? nil : whoami.user
        try await printAgenda(connection, day: day, me: person, ics: ics, language: Language.resolve(lang), host: try root.endpoint().host)
    }
}

/// Lists the rooms (of a day) the connection may see, then prints them as a table or an iCalendar file, and
/// closes the connection.
func printAgenda(_ connection: DefenceConnection, day: String?, me: String?, ics: Bool, language: Language, host: String) async throws {
    let listed = try await connection.exchange(.roomList(day: day, state: nil))
    guard listed.failure == nil else {
        AdminOutput.printTerminal(listed.terminal)
        await connection.close()
        throw ExitCode(1)
    }
    var lines = listed.data.compactMap(RoomLine.init)
    if ics {
        // The detailed line carries the room's sequence number: the calendar's SEQUENCE, which grows with changes.
        lines = try await lines.asyncMap { line in
            let shown = try await connection.exchange(.roomShow(room: line.room))
            return shown.data.lazy.compactMap(RoomLine.init).first { $0.room == line.room } ?? line
        }
    }
    await connection.close()
    let entries = Agenda.entries(lines, me: me)
    if ics {
        FileHandle.standardOutput.write(Data(Agenda.ics(entries, host: host, me: me, language: language, now: Date()).utf8))
    } else {
        Table.print(header: Agenda.header(language), rows: Agenda.table(entries, me: me, language: language, timeZone: .current), format: "table")
    }
}

extension Array {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        results.reserveCapacity(count)
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
