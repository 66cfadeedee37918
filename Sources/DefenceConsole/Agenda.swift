import DefenceProtocol
import Foundation

/// One room of someone's day: when, where, as what, with whom.
public struct AgendaEntry: Equatable, Sendable {
    /// The room.
    public var room: String
    /// `team`, `individual` or `final`.
    public var kind: String
    /// The room's title, if any.
    public var title: String?
    /// The planned start and end.
    public var start: Date
    public var end: Date
    /// The room's state as the reader is told it.
    public var state: String
    /// The reader's part in it (`candidate`, `juror`, `president`), or nil for an admin's listing.
    public var role: String?
    /// The candidates and the jurors.
    public var candidates: [String]
    public var jurors: [String]
    /// The president.
    public var president: String
    /// A number that grows with every change of the room (its event count), so that a calendar takes an update.
    public var sequence: Int

    /// The entry of a `ROOM` line, for `me` (nil: nobody in particular).
    public init(_ line: RoomLine, me: String?) {
        room = line.room
        kind = line.kind
        title = line.title
        start = line.start
        end = line.end
        state = line.state.rawValue
        candidates = line.candidates
        jurors = line.jurors
        president = line.president
        sequence = line.details?.seq ?? 0
        if let me {
            role = me == line.president ? "president" : line.jurors.contains(me) ? "juror" : line.candidates.contains(me) ? "candidate" : nil
        } else {
            role = nil
        }
    }
}

/// Someone's rooms as a table in local time, or as an iCalendar file (RFC 5545) a calendar imports.
public enum Agenda {
    /// The entries, in order of start.
    public static func entries(_ lines: [RoomLine], me: String?) -> [AgendaEntry] {
        lines.map { AgendaEntry($0, me: me) }.sorted { ($0.start, $0.room) < ($1.start, $1.room) }
    }

    /// One row per room: local times, room, role, the others, state.
    public static func table(_ entries: [AgendaEntry], me: String?, language: Language, timeZone: TimeZone) -> [[String]] {
        let narrator = Narrator(language: language)
        return entries.map { entry in
            let others = (entry.candidates + entry.jurors).filter { $0 != me }
            return [
                localTime(entry.start, timeZone, withDay: true) + "–" + localTime(entry.end, timeZone, withDay: false),
                entry.room, roleName(entry.role, language), others.joined(separator: ", "), narrator.state(entry.state), entry.title ?? "",
            ]
        }
    }

    /// The table's header.
    public static func header(_ language: Language) -> [String] {
        [language.text("horaire", "time"), language.text("salle", "room"), language.text("rôle", "role"), language.text("avec", "with"),
         language.text("état", "state"), language.text("titre", "title")]
    }

    static func roleName(_ role: String?, _ l: Language) -> String {
        switch role {
        case "president": return l.text("président·e du jury", "jury president")
        case "juror": return l.text("juré·e", "juror")
        case "candidate": return l.text("candidat·e", "candidate")
        default: return "—"
        }
    }

    static func localTime(_ date: Date, _ zone: TimeZone, withDay: Bool) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: zone, from: date)
        let time = String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0)
        return withDay ? String(format: "%04d-%02d-%02d ", c.year ?? 0, c.month ?? 0, c.day ?? 0) + time : time
    }

    // MARK: iCalendar

    /// The iCalendar file: one `VEVENT` per room with a stable `UID` (the room's id and the server's host), its
    /// times in UTC, and a `SEQUENCE` that grows when the room changes, so that a rescheduled room updates the
    /// event already imported. Lines end with CRLF and are folded at 75 octets (RFC 5545 §3.1).
    public static func ics(_ entries: [AgendaEntry], host: String, me: String?, language: Language, now: Date) -> String {
        let l = language
        var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Defence Rooms//defence//\(l.rawValue.uppercased())", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
        for entry in entries {
            let kind = entry.kind == "team" ? l.text("soutenance d’équipe (MSPR)", "team defence (MSPR)")
                : entry.kind == "final" ? l.text("soutenance finale", "final defence") : l.text("soutenance individuelle", "individual defence")
            let summary = (entry.title ?? kind) + " — " + l.text("salle ", "room ") + entry.room
            var description = [
                kind,
                l.text("Candidats : ", "Candidates: ") + entry.candidates.joined(separator: ", "),
                l.text("Jury : ", "Jury: ") + entry.jurors.map { $0 == entry.president ? "\($0) (\(l.text("président·e", "president")))" : $0 }.joined(separator: ", "),
                l.text("Rejoindre : defence room ", "Join: defence room ") + entry.room,
            ]
            if let role = entry.role { description.insert(l.text("Votre rôle : ", "Your role: ") + roleName(role, l), at: 1) }
            lines += [
                "BEGIN:VEVENT",
                "UID:\(escape(entry.room))@\(escape(host))",
                "DTSTAMP:\(utc(now))",
                "DTSTART:\(utc(entry.start))",
                "DTEND:\(utc(entry.end))",
                "SEQUENCE:\(entry.sequence)",
                "SUMMARY:\(escape(summary))",
                "DESCRIPTION:\(escape(description.joined(separator: "\n")))",
                "LOCATION:\(escape("defence room " + entry.room))",
                "STATUS:\(entry.state == "cancelled" ? "CANCELLED" : "CONFIRMED")",
                "END:VEVENT",
            ]
        }
        lines.append("END:VCALENDAR")
        return lines.flatMap(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// A time in UTC, `YYYYMMDDTHHMMSSZ`.
    static func utc(_ date: Date) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC") ?? .gmt, from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, newline.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n": out += "\\n"
            case "\r": continue
            default: out.append(character)
            }
        }
        return out
    }

    /// Folds a content line into lines of at most 75 octets, never inside a UTF-8 character; continuation lines
    /// start with one space (RFC 5545 §3.1).
    public static func fold(_ line: String) -> [String] {
        var lines: [String] = []
        var current = ""
        var octets = 0
        for character in line {
            let size = String(character).utf8.count
            let limit = lines.isEmpty ? 75 : 74
            if octets + size > limit {
                lines.append(lines.isEmpty ? current : " " + current)
                current = ""
                octets = 0
            }
            current.append(character)
            octets += size
        }
        lines.append(lines.isEmpty ? current : " " + current)
        return lines
    }
}
