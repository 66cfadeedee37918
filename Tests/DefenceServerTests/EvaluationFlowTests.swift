import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
@testable import DefenceStore
import Foundation
import Testing

@Suite struct EvaluationFlowTests {
    /// The confidential event types and data lines a candidate must never receive.
    static let juryOnlyEvents: Set<String> = [
        "mark", "proposal", "grid-submitted", "decision", "signed", "signature-withdrawn", "locked", "reopened", "signal",
        "outage-started", "outage-ended", "outage-compensated",
    ]

    static func assertConfidential(_ client: RoomClient) throws {
        for line in client.lines {
            let message = try parsed(line)
            if message.verb == "EVENT" {
                #expect(!Self.juryOnlyEvents.contains(message.eventType ?? ""), "\(client.name) received \(line)")
                #expect(!(message.eventType == "message" && EventLine(message)?.arguments[1] == "jury"), "\(client.name) received \(line)")
            }
            #expect(!["MARK", "PROPOSAL", "DECISION", "REMAINING", "SIGNATURE", "DISAGREEMENT", "RESULT", "PV"].contains(message.verb), "\(client.name) received \(line)")
        }
    }

    @Test func aWholeDefenceFromSchedulingToSignedPV() async throws {
        let clock = ManualServerClock(start: Date(timeIntervalSince1970: 1_796_112_000))
        try await withServer({ $0.clock = clock }) { server in
            let candidateTokens = try await server.makeUsers(["lea", "hugo"], role: .candidate)
            let jurorTokens = try await server.makeUsers(["camille", "paul"], role: .juror)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea,hugo jurors=camille,paul president=camille competences=A1C1,A1C2 :Salle A")
            let lea = try await RoomClient.connect(server, name: "lea", token: candidateTokens[0])
            let hugo = try await RoomClient.connect(server, name: "hugo", token: candidateTokens[1])
            let camille = try await RoomClient.connect(server, name: "camille", token: jurorTokens[0])
            let paul = try await RoomClient.connect(server, name: "paul", token: jurorTokens[1])
            for client in [lea, hugo, camille, paul, admin] { try await client.ok("JOIN r1") }
            try await camille.ok("TIMER-START r1")

            // Both jurors mark at the same time; each sees the other's marks live.
            async let camilleMarks: Void = {
                for index in 1...5 { try await camille.ok("MARK r1 lea A1C1.\(index) met :critère \(index) vu") }
            }()
            async let paulMarks: Void = {
                for index in 1...5 { try await paul.ok("MARK r1 lea A1C1.\(index) \(index == 3 ? "partly-met" : "met")") }
            }()
            _ = try await (camilleMarks, paulMarks)
            try await camille.waitFor("paul's last mark") {
                if case .mark(juror: "paul", candidate: _, criterion: "A1C1.5", mark: _, comment: _)? = EventLine($0)?.body { true } else { false }
            }
            try await admin.waitFor("camille's last mark") {
                if case .mark(juror: "camille", candidate: _, criterion: "A1C1.5", mark: _, comment: _)? = EventLine($0)?.body { true } else { false }
            }
            try await camille.ok("MARK r1 lea A1C1.1 clear")
            #expect(try await camille.request("MARK r1 lea A1C1.99 met").failureCode == "NOT_FOUND")
            #expect(try await camille.request("MARK r1 lea A2C1.1 met").failureCode == "NOT_FOUND")
            #expect(try await lea.request("MARK r1 lea A1C1.1 met").failureCode == "FORBIDDEN")

            // Progress shows what is left when a warning fires.
            let progress = try await camille.ok("PROGRESS r1")
            #expect(progress.okArguments?.prefix(2) == ["r1", "running"])
            let remaining = camille.messages.filter { $0.verb == "REMAINING" && $0.parameters.prefix(3) == ["camille", "lea", "A1C1"] }
            #expect(remaining.last?.parameters == ["camille", "lea", "A1C1", "1", "A1C1.1"])

            // Proposals with a deliberate disagreement.
            for (candidate, competence) in [("lea", "A1C1"), ("lea", "A1C2"), ("hugo", "A1C1"), ("hugo", "A1C2")] {
                try await camille.ok("PROPOSE r1 \(candidate) \(competence) acquis")
                let paulSays = candidate == "hugo" && competence == "A1C2" ? "non-acquis :cahier des charges incomplet" : "acquis"
                try await paul.ok("PROPOSE r1 \(candidate) \(competence) \(paulSays)")
            }
            try await paul.ok("DELIBERATE r1")
            try await lea.event("deliberation")
            try await camille.ok("DISAGREEMENTS r1")
            let disagreements = camille.messages.filter { $0.verb == "DISAGREEMENT" }
            #expect(disagreements.map(\.parameters) == [["hugo", "A1C2", "camille=acquis", "paul=non-acquis"]])

            // Decisions, a signature withdrawn by a change, both signatures, the lock.
            #expect(try await camille.request("SIGN r1").failureCode == "INCOMPLETE")
            for candidate in ["lea", "hugo"] {
                for competence in ["A1C1", "A1C2"] { try await camille.ok("DECIDE r1 \(candidate) \(competence) acquis") }
            }
            try await camille.ok("SIGN r1")
            try await paul.ok("DECIDE r1 hugo A1C2 non-acquis :cahier des charges incomplet")
            try await camille.event("signature-withdrawn", "camille")
            try await paul.ok("SIGN r1")
            try await camille.ok("SIGN r1")
            try await admin.event("locked")
            #expect(try await paul.request("MARK r1 hugo A1C2.1 met").failureCode == "LOCKED")
            #expect(try await paul.request("DECIDE r1 hugo A1C2 acquis").failureCode == "LOCKED")

            // An admin reopens with a reason; the jury signs again.
            #expect(try await camille.request("REOPEN r1 :erreur").failureCode == "FORBIDDEN")
            try await admin.ok("REOPEN r1 :erreur de saisie signalée par le président")
            try await camille.ok("DECIDE r1 lea A1C2 acquis :soutenance convaincante")
            try await camille.ok("SIGN r1")
            try await paul.ok("SIGN r1")
            try await admin.waitFor("the second lock") { $0.eventType == "locked" && ($0.eventSeq ?? 0) > 30 }

            // Results and the PV.
            try await admin.ok("RESULTS room=r1")
            let results = admin.messages.filter { $0.verb == "RESULT" }
            #expect(results.count == 4)
            #expect(results.compactMap(ResultLine.init).contains { $0.candidate == "hugo" && $0.competence == "A1C2" && $0.decision == "non-acquis" && $0.status == "signed" })
            let pvReply = try await admin.ok("PV r1")
            let pv = admin.messages.filter { $0.verb == "PV" }.map { $0.parameters.last ?? "" }.joined(separator: "\n")
            for expected in [
                "# Procès-verbal de soutenance", "Camille (camille) — président(e) du jury", "Lea (lea)",
                "erreur de saisie signalée par le président", "NON ACQUIS — cahier des charges incomplet",
                "Signatures retirées (grille modifiée ou salle rouverte)", "empreinte SHA-256 du dernier maillon",
                "| A1C1.3 |", "partiellement atteint", "critère 2 vu", "Horaires prévus : 01/12/2026 09:00:00 (UTC+01:00)", "Heures en heure locale : Europe/Paris, UTC+01:00",
            ] {
                #expect(pv.contains(expected), "the PV lacks \(expected)")
            }
            let fingerprint = try #require(pvReply.parameters.last?.dropFirst("fingerprint=".count))
            #expect(pv.contains(String(fingerprint)))
            try await admin.ok("PV r1 format=html")
            #expect(admin.messages.contains { $0.verb == "PV" && $0.parameters.last == "<!DOCTYPE html>" })
            #expect(try await RoomStore(database: server.database).verifyChains(room: "r1").breaks.isEmpty)

            // Across the whole defence, the candidates received nothing reserved to the jury.
            for client in [lea, hugo] { try Self.assertConfidential(client) }
            #expect(lea.events.contains { $0.eventType == "deliberation" })
            for client in [lea, hugo, camille, paul, admin] { await client.close() }
        }
    }

    @Test func aBlindRoomHidesEachJurorsMarksUntilBothSubmitted() async throws {
        try await withServer { server in
            _ = try await server.makeUsers(["lea"], role: .candidate)
            let tokens = try await server.makeUsers(["camille", "paul"], role: .juror)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 individual start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=paul competences=A1C4 visibility=blind")
            let camille = try await RoomClient.connect(server, name: "camille", token: tokens[0])
            let paul = try await RoomClient.connect(server, name: "paul", token: tokens[1])
            try await camille.ok("JOIN r1")
            try await paul.ok("JOIN r1")
            try await camille.ok("MARK r1 lea A1C4.1 met :schéma clair")
            try await camille.ok("PROPOSE r1 lea A1C4 acquis")
            try await paul.ok("MARK r1 lea A1C4.1 not-met")
            try await paul.ok("SUBMIT r1")
            try await paul.ok("PROGRESS r1")
            #expect(!paul.lines.contains { $0.contains("camille lea A1C4.1") || $0.contains("schéma clair") }, "paul saw camille's grid early")
            #expect(!camille.lines.contains { $0.contains("paul lea A1C4.1") }, "camille saw paul's grid early")
            #expect(try await paul.request("DISAGREEMENTS r1").failureCode == "WRONG_STATE")
            try await camille.ok("SUBMIT r1")
            try await paul.ok("PROGRESS r1")
            #expect(paul.messages.contains { $0.verb == "MARK" && $0.parameters == ["camille", "lea", "A1C4.1", "met", "schéma clair"] })
            #expect(paul.messages.contains { $0.verb == "PROPOSAL" && $0.parameters.prefix(4) == ["camille", "lea", "A1C4", "acquis"] })
            // From now on marks are live.
            try await camille.ok("MARK r1 lea A1C4.2 partly-met")
            try await paul.event("mark", "camille")
            for client in [admin, camille, paul] { await client.close() }
        }
    }
}

/// `RESUME` replays each event as the line live subscribers received, whether the line was stored with the
/// event or (for events stored before lines were kept) rebuilt by folding the room's history.
@Suite struct ResumeReplayTests {
    @Test func replayedLinesAreTheLiveLinesForEachRole() async throws {
        try await withServer { server in
            let leaToken = try await server.makeUser("lea", role: .candidate)
            let tokens = try await server.makeUsers(["camille", "paul"], role: .juror)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 individual start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=paul competences=A1C4 visibility=blind")
            let lea = try await RoomClient.connect(server, name: "lea", token: leaToken)
            let camille = try await RoomClient.connect(server, name: "camille", token: tokens[0])
            let paul = try await RoomClient.connect(server, name: "paul", token: tokens[1])
            for client in [lea, camille, paul] { try await client.ok("JOIN r1") }
            let joinedAt = paul.lines.first { $0.hasPrefix("SNAPSHOT r1 ") }.flatMap { try? parsed($0) }.flatMap(SnapshotLine.init)
            let from = try #require(joinedAt).seq
            try await camille.ok("MARK r1 lea A1C4.1 met :schéma clair")
            try await camille.ok("SAY r1 jury :on en parle après")
            try await camille.ok("SAY r1 room :Merci, la parole est à vous")
            try await paul.ok("MARK r1 lea A1C4.1 not-met")
            try await paul.ok("SUBMIT r1")
            try await camille.ok("SUBMIT r1")
            try await camille.ok("MARK r1 lea A1C4.2 partly-met")
            try await paul.event("mark", "camille")
            try await lea.event("message", "camille")

            func eventLines(_ client: RoomClient) -> [String] { client.lines.filter { $0.hasPrefix("EVENT r1 ") } }
            func resumed(_ name: String, _ token: String) async throws -> [String] {
                let client = try await RoomClient.connect(server, name: name, token: token)
                let reply = try await client.ok("RESUME r1 \(from)")
                #expect(reply.parameters.last?.hasPrefix("replayed=") == true)
                defer { Task { await client.close() } }
                return eventLines(client)
            }
            let livePaul = eventLines(paul).filter { (try? parsed($0))?.eventSeq ?? 0 > from }
            let liveLea = eventLines(lea).filter { (try? parsed($0))?.eventSeq ?? 0 > from }
            #expect(!livePaul.contains { $0.contains(" mark camille ") && $0.contains("A1C4.1") }, "blind until both submitted")
            #expect(!liveLea.contains { $0.contains(" mark ") || $0.contains("on en parle") }, "candidates see no jury event")

            // Lines stored with the events.
            #expect(try await resumed("paul2", tokens[1]) == livePaul)
            #expect(try await resumed("lea2", leaToken) == liveLea)

            // As for a database from before lines were kept: rebuilt by folding, to the same lines.
            try await server.database.pool.write { db in try db.execute(sql: "UPDATE room_event SET line = NULL, grid_open = NULL") }
            // As migration v8 chained such rows: over the columns as they are.
            try await RoomStore(database: server.database).resealForTests()
            #expect(try await resumed("paul3", tokens[1]) == livePaul)
            #expect(try await resumed("lea3", leaToken) == liveLea)
            for client in [admin, lea, camille, paul] { await client.close() }
        }
    }
}
