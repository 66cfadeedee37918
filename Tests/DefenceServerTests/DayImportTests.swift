import DefenceClient
import DefenceCore
import DefenceProtocol
import Foundation
import Testing

@Suite struct DayImportTests {
    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/examples/day.csv")

    /// Sends `DAY-IMPORT`, then, once asked (`CONTINUE`), the lines behind `|`; returns every line of the answer
    /// after `CONTINUE`.
    func upload(_ lines: [String], on connection: LineConnection) async throws -> [String] {
        try await connection.send("@id=day DAY-IMPORT \(lines.count)")
        let go = try await connection.nextLine()
        #expect(go == "@id=day CONTINUE DAY-IMPORT \(lines.count) :send \(lines.count) lines, each starting with |", "\(go)")
        for line in lines { try await connection.send("|" + line) }
        var answer: [String] = []
        while true {
            let line = try await connection.nextLine()
            answer.append(line)
            if line.hasPrefix("@id=day OK ") || line.hasPrefix("@id=day FAIL ") { return answer }
        }
    }

    @Test func theExampleDayImports() async throws {
        try await withServer { server in
            let lines = try String(contentsOf: Self.example, encoding: .utf8).split(separator: "\n").map(String.init)
            let admin = try await server.connect(token: server.adminToken)
            let answer = try await upload(lines, on: admin)
            #expect(answer == ["@id=day OK DAY-IMPORT users=7 rooms=3"], "\(answer)")
            let client = try await RoomClient.connect(server, name: "admin2", token: server.adminToken)
            #expect(try await client.ok("ROOM-LIST day=2026-12-01").parameters == ["ROOM-LIST", "3"])
            let shown = try await client.ok("ROOM-SHOW dossier-zoe-1000")
            #expect(shown.parameters == ["ROOM-SHOW", "dossier-zoe-1000"])
            let room = try #require(client.lines.compactMap { try? parsed($0) }.last { $0.verb == "ROOM" && $0.parameters.first == "dossier-zoe-1000" })
            #expect(room.parameters.contains("visibility=blind"))
            #expect(room.parameters.contains("competences=A1C4,A1C5,A4C6,A5C1,A5C2,A5C3,A5C5,A5C6,A5C7,A5C8"))
            #expect(room.parameters.last == "Soutenance finale")
            try await admin.send("@id=u USER-LIST role=candidate")
            var listing: [String] = []
            while true {
                let line = try await admin.nextLine()
                listing.append(line)
                if line.hasPrefix("@id=u OK") { break }
            }
            #expect(listing.contains("@id=u USER zoe.garnier candidate active :Zoé Garnier, dite \"Zo\""))
            await admin.close()
            await client.close()
        }
    }

    @Test func aFaultyDayImportsNothingAndNamesEveryFaultyLine() async throws {
        try await withServer { server in
            let admin = try await server.connect(token: server.adminToken)
            let lines = [
                "record,id,role,name,email,kind,start,candidates,jurors,president,competences,visibility,title",
                "user,camille,juror,Camille,,,,,,,,,",                       // 2: fine
                "user,paul,juror,Paul,,,,,,,,,",                             // 3: fine
                "user,lea,candidate,Léa,,,,,,,,,",                           // 4: fine
                "user,Bad Id,candidate,X,,,,,,,,,",                          // 5: INVALID
                "user,lea,candidate,Léa again,,,,,,,,,",                     // 6: twice in the file
                "room,r1,,,,team,2026-12-01T08:00:00Z,lea,camille;paul,camille,block:A1,live,",   // 7: fine
                "room,r2,,,,team,2026-12-01T08:10:00Z,lea,camille;paul,paul,block:A2,live,",      // 8: DOUBLE_BOOKED
                "room,r3,,,,team,2026-12-01T10:00:00Z,lea,camille,camille,block:A1,live,",        // 9: JURY_COMPOSITION
                "room,r4,,,,individual,2026-12-01T11:00:00Z,lea,camille;paul,paul,A1C1,live,",    // 10: WRONG_EPREUVE
                "room,r5,,,,team,tomorrow,lea,camille;paul,paul,block:A1,live,",                  // 11: bad start
                "meeting,x,,,,,,,,,,,",                                                           // 12: unknown record
                "room,r6,,,,team,2026-12-01T12:00:00Z,lea;ghost,camille;paul,paul,block:A1,live,", // 13: UNKNOWN_USER
            ]
            let answer = try await upload(lines, on: admin)
            let errors = try answer.dropLast().map { try parsed($0) }
            #expect(errors.allSatisfy { $0.verb == "IMPORT-ERROR" })
            #expect(errors.map { $0.parameters.first } == ["5", "6", "8", "9", "10", "11", "12", "13"])
            #expect(errors.map { $0.parameters.dropLast() } == [
                ["5", "INVALID"], ["6", "ALREADY_EXISTS"], ["8", "DOUBLE_BOOKED"], ["9", "JURY_COMPOSITION"], ["10", "WRONG_EPREUVE"],
                ["11", "BAD_ARGUMENTS"], ["12", "BAD_ARGUMENTS"], ["13", "UNKNOWN_USER"],
            ])
            #expect(answer.last?.hasPrefix("@id=day FAIL DAY-IMPORT IMPORT_FAILED 8 :nothing was imported") == true)
            // Nothing was imported: not even the good lines.
            try await admin.send("@id=c USER-LIST")
            #expect(try await admin.nextLine() == "@id=c USER admin admin active :Administrator")
            #expect(try await admin.nextLine() == "@id=c OK USER-LIST 1")
            try await admin.send("@id=r ROOM-LIST")
            #expect(try await admin.nextLine() == "@id=r OK ROOM-LIST 0")
            // The session is usable afterwards.
            try await admin.send("@id=w WHOAMI")
            #expect(try await admin.nextLine().hasPrefix("@id=w OK WHOAMI"))
            await admin.close()
        }
    }

    @Test func onlyAdminsImport() async throws {
        try await withServer { server in
            let token = try await server.makeUser("camille", role: .juror)
            let juror = try await server.connect(token: token)
            try await juror.send("DAY-IMPORT 2")
            // Refused, and no CONTINUE: a client sends no line.
            #expect(try await juror.nextLine().hasPrefix("FAIL DAY-IMPORT FORBIDDEN"))
            // A payload line sent anyway is never a command.
            try await juror.send("|USER-CREATE x admin :x")
            #expect(try await juror.nextLine().hasPrefix("FAIL * MALFORMED"))
            await juror.close()
        }
    }
}
