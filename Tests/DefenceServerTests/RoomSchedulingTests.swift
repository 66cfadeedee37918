import DefenceClient
import DefenceCore
import DefenceProtocol
import Foundation
import Testing

@Suite struct RoomSchedulingTests {
    func setUp(_ server: TestServer) async throws -> RoomClient {
        _ = try await server.makeUsers(["lea", "hugo", "ines", "malo", "zoe"], role: .candidate)
        _ = try await server.makeUsers(["camille", "paul", "remi"], role: .juror)
        return try await RoomClient.connect(server, name: "admin", token: server.adminToken)
    }

    static let base = "start=2026-12-01T08:00:00Z candidates=lea,hugo jurors=camille,paul president=camille block=A1"

    @Test(arguments: [
        ("ROOM-CREATE r9 team start=2026-12-01T08:00:00Z candidates=lea,hugo,ines,malo,zoe jurors=camille,paul president=camille block=A1", "TEAM_SIZE"),
        ("ROOM-CREATE r9 individual start=2026-12-01T08:00:00Z candidates=lea,hugo jurors=camille,paul president=camille block=A1", "TEAM_SIZE"),
        ("ROOM-CREATE r9 team start=2026-12-01T08:00:00Z candidates=lea jurors=camille president=camille block=A1", "JURY_COMPOSITION"),
        ("ROOM-CREATE r9 team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=remi block=A1", "JURY_COMPOSITION"),
        ("ROOM-CREATE r9 team start=2026-12-01T08:15:00Z candidates=zoe jurors=camille,remi president=remi block=A1", "DOUBLE_BOOKED"),
        ("ROOM-CREATE r9 team start=2026-12-01T09:00:00Z candidates=zoe,remi jurors=camille,remi president=remi block=A1", "ROLE_CONFLICT"),
        ("ROOM-CREATE r9 team start=2026-12-01T09:00:00Z candidates=zoe jurors=camille,paul president=paul competences=A1C99", "UNKNOWN_COMPETENCE"),
        ("ROOM-CREATE r9 team start=2026-12-01T09:00:00Z candidates=zoe jurors=camille,paul president=paul competences=A1C1,A1C4", "WRONG_EPREUVE"),
        ("ROOM-CREATE r9 team start=2026-12-01T09:00:00Z candidates=zoe,ghost jurors=camille,paul president=paul block=A1", "UNKNOWN_USER"),
        ("ROOM-CREATE r9 team start=2026-12-01T09:00:00Z candidates=zoe jurors=camille,malo president=camille block=A1", "WRONG_ROLE"),
        ("ROOM-CREATE r9 team start=2026-12-01T09:00:00Z candidates=zoe jurors=camille,paul president=paul block=A1 phases=presentation:25,questions:10", "BAD_PHASES"),
        ("ROOM-CREATE r1 team start=2026-12-01T12:00:00Z candidates=zoe jurors=remi,paul president=paul block=A1", "ALREADY_EXISTS"),
        ("ROOM-CREATE r9 team start=noon candidates=zoe jurors=remi,paul president=paul block=A1", "INVALID"),
        ("ROOM-CREATE r9 team candidates=zoe jurors=remi,paul president=paul block=A1", "BAD_ARGUMENTS"),
        ("ROOM-CREATE r9 team start=2026-12-01T09:00:00Z candidates=zoe jurors=remi,paul president=paul block=A1 competences=A1C1", "BAD_ARGUMENTS"),
        ("ROOM-CREATE r9 team start=2026-12-01T09:00:00Z candidates=zoe jurors=remi,paul president=paul block=A1 :" + String(repeating: "t", count: 121), "INVALID"),
        ("ROOM-CREATE r9 team start=2026-12-01T09:00:00Z candidates=zoe jurors=remi,paul president=paul block=A1 :\u{00A0}\u{200B}", "INVALID"),
    ])
    func eachRuleHasItsCode(_ line: String, _ code: String) async throws {
        try await withServer { server in
            let admin = try await setUp(server)
            try await admin.ok("ROOM-CREATE r1 team \(Self.base)")
            let reply = try await admin.request(line)
            #expect(reply.verb == "FAIL" && reply.failureCode == code, "\(reply.serialized)")
            #expect(try await admin.ok("ROOM-LIST").parameters == ["ROOM-LIST", "1"], "nothing was created")
            await admin.close()
        }
    }

    @Test func updateCancelListAndShow() async throws {
        try await withServer { server in
            let admin = try await setUp(server)
            try await admin.ok("ROOM-CREATE r1 team \(Self.base) :Salle A")
            try await admin.ok("ROOM-CREATE r2 individual start=2026-12-02T08:00:00Z candidates=zoe jurors=remi,paul president=remi block=A1")
            try await admin.ok("ROOM-UPDATE r1 phases=demo:15,questions:15 warnings=120 visibility=blind :Salle B")
            try await admin.ok("ROOM-SHOW r1")
            let room = try #require(admin.lines.compactMap { try? parsed($0) }.last { $0.verb == "ROOM" && $0.parameters.first == "r1" })
            #expect(room.parameters.contains("phases=demo:900s,questions:900s"))
            #expect(room.parameters.contains("warnings=120"))
            #expect(room.parameters.contains("visibility=blind"))
            #expect(room.parameters.last == "Salle B")
            #expect(try await admin.request("ROOM-UPDATE r1 candidates=lea,hugo,ines,malo,zoe").failureCode == "TEAM_SIZE")
            #expect(try await admin.ok("ROOM-LIST day=2026-12-01").parameters == ["ROOM-LIST", "1"])
            #expect(try await admin.ok("ROOM-LIST state=scheduled").parameters == ["ROOM-LIST", "2"])
            try await admin.ok("ROOM-CANCEL r2 :jury indisponible")
            #expect(try await admin.ok("ROOM-LIST state=cancelled").parameters == ["ROOM-LIST", "1"])
            #expect(try await admin.request("ROOM-UPDATE r2 warnings=60").failureCode == "WRONG_STATE")
            // A cancelled room no longer books its people.
            try await admin.ok("ROOM-CREATE r3 individual start=2026-12-02T08:00:00Z candidates=zoe jurors=remi,paul president=remi block=A1")
            #expect(try await admin.request("ROOM-LIST day=tomorrow").failureCode == "INVALID")
            await admin.close()
        }
    }

    /// Scheduling changes run one at a time (RoomPlanner): two rooms created at once that book the same juror at
    /// the same hour are never both accepted.
    @Test func twoRoomsCreatedAtOnceNeverBookTheSamePerson() async throws {
        try await withServer { server in
            let first = try await setUp(server)
            let second = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            for hour in 10...15 {
                let start = "start=2026-12-01T\(hour):00:00Z jurors=camille,paul president=camille block=A1"
                async let a = first.request("ROOM-CREATE a\(hour) individual \(start) candidates=lea")
                async let b = second.request("ROOM-CREATE b\(hour) individual \(start) candidates=hugo")
                let codes = [try await a, try await b].map { $0.verb == "OK" ? "OK" : $0.failureCode ?? $0.verb }
                #expect(codes.sorted() == ["DOUBLE_BOOKED", "OK"], "\(hour): \(codes)")
            }
            #expect(try await first.ok("ROOM-LIST").parameters == ["ROOM-LIST", "6"])
            await first.close()
            await second.close()
        }
    }
}
