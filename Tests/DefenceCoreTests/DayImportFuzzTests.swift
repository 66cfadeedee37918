import DefenceCore
import DefenceProtocol
import Foundation
import Testing

/// A bounded fuzz of day files: random bytes through the client's cutting of a file (``DayFile``), and random CSV
/// lines made of the pieces that trip CSV readers through the server's reading (``DayImport``). Either gives lines,
/// records or faults; nothing crashes.
@Suite struct DayImportFuzzTests {
    static let pieces = [
        "user", "room", "meeting", "lea", "camille", "Bad Id", "candidate", "juror", "admin", "team", "individual", "live", "blind",
        "2026-12-01T08:00:00Z", "2026-02-30T10:00:00Z", "10000-01-01T00:00:00Z", "block:A1", "specialisation:dev", "A1C1;A1C2",
        "lea;hugo", "camille;paul", "\"", "\"\"", "\"a,b\"", ",", ";", " ", "", "é", "🇫🇷", "\u{301}", "\u{0602} ", "\t", "\u{7f}",
        String(repeating: "x", count: 300), "USER-CREATE x admin :x", "|", "@id=1",
    ]

    @Test func randomLinesNeverCrashTheReader() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var lines = [DayFile.columns.joined(separator: ",")]
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let fields = (0..<Int.random(in: 0...15, using: &random)).map { _ in
                    (0..<Int.random(in: 1...3, using: &random)).map { _ in Self.pieces.randomElement(using: &random) ?? "" }.joined()
                }
                lines.append(fields.joined(separator: ","))
            }
            if Bool.random(using: &random) { lines[0] = Self.pieces.randomElement(using: &random) ?? "" }
            let day = DayImport(lines: lines)
            // Every fault names a line of the file.
            #expect(day.faults.allSatisfy { (1...lines.count).contains($0.line) }, "\(lines)")
            #expect(day.users.count + day.rooms.count <= lines.count)
        }
    }

    @Test func randomBytesNeverCrashTheFileCutting() throws {
        var random = SystemRandomNumberGenerator()
        let header = Array((DayFile.columns.joined(separator: ",") + "\r\n").utf8)
        for round in 0..<3000 {
            var bytes = round % 2 == 0 ? header : []
            if round % 3 == 0 { bytes = [0xEF, 0xBB, 0xBF] + bytes }
            bytes += (0..<Int.random(in: 0...200, using: &random)).map { _ in
                [UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: ","), UInt8(ascii: "\""), 0xC3, 0xA9, 0xFF, UInt8.random(in: 0...255, using: &random)]
                    .randomElement(using: &random) ?? 0
            }
            if let lines = try? DayFile.lines(of: Data(bytes)) {
                #expect(lines.first.map { $0.lowercased().contains("record") } == true)
                #expect(lines.allSatisfy { !$0.contains("\r") && !$0.contains("\n") })
            }
        }
    }

    /// Files as spreadsheets save them: CRLF, a byte order mark, a CR alone, trailing empty lines.
    @Test func spreadsheetFilesAreCutAsTheirLinesSay() throws {
        let header = DayFile.columns.joined(separator: ",")
        let expected = [header, "user,lea,candidate,Léa,,,,,,,,,", "user,hugo,candidate,Hugo,,,,,,,,,"]
        for ending in ["\n", "\r\n", "\r"] {
            for bom in [Data(), Data([0xEF, 0xBB, 0xBF])] {
                let text = expected.joined(separator: ending) + ending + ending
                #expect(try DayFile.lines(of: bom + Data(text.utf8)) == expected, "\(ending.debugDescription)")
            }
        }
        #expect(throws: DayFile.Problem.notTheHeader("USER-CREATE x admin :x")) {
            try DayFile.lines(of: Data("USER-CREATE x admin :x\n".utf8))
        }
        #expect(throws: DayFile.Problem.notText) { try DayFile.lines(of: Data([0xff, 0xfe, 0x41])) }
        #expect(throws: DayFile.Problem.empty) { try DayFile.lines(of: Data("\r\n\n".utf8)) }
        #expect(throws: DayFile.Problem.controlCharacter(line: 2)) {
            try DayFile.lines(of: Data((header + "\nuser,lea\tx,candidate,L,,,,,,,,,\n").utf8))
        }
        // A line the server would refuse as too long once behind its `|`.
        let long = "user,lea,candidate," + String(repeating: "é", count: 2040) + ",,,,,,,,,"
        #expect(throws: DayFile.Problem.lineTooLong(line: 2)) { try DayFile.lines(of: Data((header + "\n" + long + "\n").utf8)) }
    }
}
