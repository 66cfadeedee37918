import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
import Foundation
import Testing

/// A person who leaves cleanly (`LEAVE`, or `QUIT` as a closing console sends) has left; only a connection that
/// ends without a word is lost, and opens an outage (PROTOCOL.md §11.3).
@Suite struct CleanLeaveTests {
    @Test func aCleanLeaveIsNoOutageAndADropIsOne() async throws {
        try await withServer { server in
            let tokens = try await server.makeUsers(["lea", "hugo", "zoe"], role: .candidate)
            let jurors = try await server.makeUsers(["camille", "paul"], role: .juror)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea,hugo,zoe jurors=camille,paul president=camille competences=A1C1")
            let camille = try await RoomClient.connect(server, name: "camille", token: jurors[0])
            try await camille.ok("JOIN r1")
            var candidates: [RoomClient] = []
            for (name, token) in zip(["lea", "hugo", "zoe"], tokens) {
                let client = try await RoomClient.connect(server, name: name, token: token)
                try await client.ok("JOIN r1")
                try await camille.event("joined", name)
                candidates.append(client)
            }
            try await camille.ok("TIMER-START r1")

            // Léa's console closes: it says QUIT.
            #expect(try await candidates[0].request("QUIT").parameters == ["QUIT", "bye"])
            // At once, though Léa's client has not closed its socket yet (the server waits for that up to 5 s).
            try await camille.waitFor("lea's left", timeout: .seconds(2)) { $0.eventType == "left" && EventLine($0)?.arguments.first == "lea" }
            // Hugo leaves the room and stays connected.
            try await candidates[1].ok("LEAVE r1")
            try await camille.event("left", "hugo")
            // Zoé's connection drops.
            await candidates[2].close()
            try await camille.event("connection-lost", "zoe")
            try await camille.event("outage-started")

            let outages = try await camille.ok("OUTAGES r1")
            let ledger = camille.messages.compactMap(OutageLine.init)
            #expect(ledger.compactMap(\.user) == ["zoe"], "only the dropped connection is an outage: \(ledger)")
            #expect(outages.parameters.last == "1")
            #expect(camille.events.filter { $0.eventType == "connection-lost" }.count == 1)
            await camille.close()
            await admin.close()
        }
    }

    /// Hands go up, come down, and are acknowledged; `HISTORY` gives a console that starts again what it missed,
    /// as the reader saw it.
    @Test func handsAndHistory() async throws {
        try await withServer { server in
            let tokens = try await server.makeUsers(["lea"], role: .candidate)
            let jurors = try await server.makeUsers(["camille", "paul"], role: .juror)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=camille competences=A1C1")
            let camille = try await RoomClient.connect(server, name: "camille", token: jurors[0])
            try await camille.ok("JOIN r1")
            let lea = try await RoomClient.connect(server, name: "lea", token: tokens[0])
            try await lea.ok("JOIN r1")
            try await camille.ok("SAY r1 room :Bonjour")
            try await camille.ok("SAY r1 jury :note pour Paul")
            try await lea.ok("SIGNAL r1 hand")
            try await camille.event("signal", "lea")
            try await lea.ok("SIGNAL r1 lower")
            try await lea.ok("SIGNAL r1 hand")
            #expect(try await lea.request("ACKNOWLEDGE r1 lea").failureCode == "FORBIDDEN")
            #expect(try await camille.request("ACKNOWLEDGE r1 hugo").failureCode == "NOT_FOUND")
            try await camille.ok("ACKNOWLEDGE r1 lea")
            let seen = try await lea.event("acknowledged", "camille")
            #expect(EventLine(seen)?.body == .acknowledged(juror: "camille", candidate: "lea"), "the candidate is told")

            // The jury's history: every message and signal, in the room's numbering.
            let jury = try await camille.ok("HISTORY r1")
            let juryPast = camille.messages.compactMap { EventLine(past: $0) }.filter { !["joined", "left", "connection-lost"].contains($0.type) }
            #expect(juryPast.compactMap(\.body) == [
                .message(from: "camille", audience: .room, text: "Bonjour"), .message(from: "camille", audience: .jury, text: "note pour Paul"),
                .signal(from: "lea", kind: .hand), .signal(from: "lea", kind: .lower), .signal(from: "lea", kind: .hand),
                .acknowledged(juror: "camille", candidate: "lea"),
            ])
            #expect(jury.parameters == ["HISTORY", "r1", "8"], "and the two arrivals")
            // The candidate's: the room's messages and the acknowledgement only, numbered as the candidate knows them.
            try await lea.ok("HISTORY r1 limit=1")
            #expect(lea.messages.compactMap { EventLine(past: $0) }.map(\.type) == ["acknowledged"])
            try await lea.ok("HISTORY r1")
            let candidatePast = lea.messages.compactMap { EventLine(past: $0) }.dropFirst().filter { $0.type != "joined" }
            #expect(candidatePast.map(\.type) == ["message", "acknowledged"])
            let live = lea.events.compactMap { EventLine($0) }
            #expect(candidatePast.map(\.seq) == live.filter { ["message", "acknowledged"].contains($0.type) }.map(\.seq), "the same numbers as delivered")
            #expect(try await lea.request("HISTORY r1 limit=0").failureCode == "BAD_ARGUMENTS")
            await lea.close()
            await camille.close()
            await admin.close()
        }
    }
}
