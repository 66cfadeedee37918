import DefenceConsole
import DefenceProtocol
import Foundation
import Testing

@Suite struct AgendaTests {
    static func rooms(start: String = "2026-12-01T08:00:00.000Z", end: String = "2026-12-01T08:30:00.000Z", seq: Int = 3) -> [RoomLine] {
        [
            RoomLine(line("ROOM mspr-a1 scheduled team \(start) \(end) candidates=lea,hugo jurors=camille,paul president=camille epreuve=2 competences=A1C1 phases=presentation:1200s,questions:600s warnings=300,60 visibility=live referential=ab seq=\(seq) :MSPR bloc A1, équipe 1; salle \\ B"))!,
            RoomLine(line("ROOM finale-lea cancelled final 2026-12-01T13:00:00.000Z 2026-12-01T13:45:00.000Z candidates=lea jurors=camille,ines president=ines"))!,
        ]
    }

    /// Unfolds RFC 5545 content lines: a CRLF followed by a space continues the line before.
    static func unfold(_ text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    @Test func theCalendarIsRFC5545() throws {
        let now = try #require(WireTime.parse("2026-11-30T10:00:00.000Z"))
        let text = Agenda.ics(Agenda.entries(Self.rooms(), me: "lea"), host: "defence.example.org", me: "lea", language: .fr, now: now)
        // CRLF everywhere, no bare LF, and no line over 75 octets.
        #expect(text.hasSuffix("\r\n") && !text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        let physical = text.components(separatedBy: "\r\n").dropLast()
        #expect(physical.allSatisfy { $0.utf8.count <= 75 }, "\(physical.map { $0.utf8.count }.max() ?? 0) octets")
        #expect(physical.contains { $0.hasPrefix(" ") }, "the long description is folded")
        let lines = Self.unfold(text)
        #expect(lines.first == "BEGIN:VCALENDAR" && lines.last == "END:VCALENDAR")
        #expect(lines.contains("VERSION:2.0") && lines.contains { $0.hasPrefix("PRODID:") })
        #expect(lines.filter { $0 == "BEGIN:VEVENT" }.count == 2 && lines.filter { $0 == "END:VEVENT" }.count == 2)
        #expect(lines.contains("UID:mspr-a1@defence.example.org") && lines.contains("UID:finale-lea@defence.example.org"))
        #expect(lines.contains("DTSTART:20261201T080000Z") && lines.contains("DTEND:20261201T083000Z"))
        #expect(lines.contains("DTSTAMP:20261130T100000Z"))
        #expect(lines.contains("SUMMARY:MSPR bloc A1\\, équipe 1\\; salle \\\\ B — salle mspr-a1"), "commas, semicolons and backslashes escaped")
        #expect(lines.contains { $0.hasPrefix("DESCRIPTION:soutenance d’équipe (MSPR)\\nVotre rôle : candidat·e\\nCandidats : lea\\, hugo") })
        #expect(lines.contains("STATUS:CANCELLED") && lines.contains("STATUS:CONFIRMED"))
        // A folded line never splits a UTF-8 character.
        #expect(physical.allSatisfy { String(data: Data($0.utf8), encoding: .utf8) != nil })
    }

    /// The same room keeps its UID; rescheduled, its SEQUENCE grows, so that a calendar updates the event.
    @Test func aRescheduledRoomUpdatesItsEvent() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let before = Self.unfold(Agenda.ics(Agenda.entries(Self.rooms(), me: nil), host: "h", me: nil, language: .en, now: now))
        let after = Self.unfold(Agenda.ics(Agenda.entries(Self.rooms(start: "2026-12-01T09:00:00.000Z", end: "2026-12-01T09:30:00.000Z", seq: 4), me: nil), host: "h", me: nil, language: .en, now: now))
        #expect(before.filter { $0.hasPrefix("UID:") } == after.filter { $0.hasPrefix("UID:") })
        #expect(before.contains("SEQUENCE:3") && after.contains("SEQUENCE:4"))
        #expect(after.contains("DTSTART:20261201T090000Z"))
        #expect(!before.contains { $0.hasPrefix("DESCRIPTION:") && $0.contains("Your role") }, "an admin's listing has no role")
    }

    @Test func theTableIsInLocalTime() throws {
        let paris = try #require(TimeZone(identifier: "Europe/Paris"))
        let rows = Agenda.table(Agenda.entries(Self.rooms(), me: "camille"), me: "camille", language: .en, timeZone: paris)
        #expect(rows[0] == ["2026-12-01 09:00–09:30", "mspr-a1", "jury president", "lea, hugo, paul", "scheduled", "MSPR bloc A1, équipe 1; salle \\ B"])
        #expect(rows[1][2] == "juror" && rows[1][4] == "cancelled")
        #expect(Agenda.fold(String(repeating: "é", count: 80)).allSatisfy { $0.utf8.count <= 75 })
    }
}
