import DefenceClient
import DefenceCore
import DefenceProtocol
import Foundation
import Testing

/// Candidates as certification candidates (track, number, legal name), rooms that keep to a track, final
/// defences, and the outcomes computed from signed rooms (PROTOCOL.md §9 USER-CREATE, §11.1, §12.5).
@Suite struct CertificationTests {
    /// Runs a room from join to signature: every competence of `decisions` decided as given.
    func sign(_ room: String, candidate: String, _ decisions: [String: Decision], jury: (RoomClient, RoomClient)) async throws {
        let (president, other) = jury
        try await president.ok("JOIN \(room)")
        try await other.ok("JOIN \(room)")
        try await president.ok("TIMER-START \(room)")
        try await president.ok("DELIBERATE \(room)")
        for (code, decision) in decisions.sorted(by: { $0.key < $1.key }) {
            try await president.ok("DECIDE \(room) \(candidate) \(code) \(decision.rawValue)")
        }
        try await president.ok("SIGN \(room)")
        try await other.ok("SIGN \(room)")
        try await president.ok("LEAVE \(room)")
        try await other.ok("LEAVE \(room)")
    }

    /// The `OUTCOME` reply's lines: competences by code, blocks by code, and the summary.
    func outcome(_ client: RoomClient, _ candidate: String) async throws -> (competences: [String: OutcomeCompetenceLine], blocks: [String: OutcomeBlockLine], summary: OutcomeSummary) {
        let reply = try await client.ok("OUTCOME \(candidate)")
        let data = client.messages.filter { $0.id == reply.id && $0.verb != "OK" }
        let competences = Dictionary(data.compactMap(OutcomeCompetenceLine.init).map { ($0.code, $0) }, uniquingKeysWith: { $1 })
        let blocks = Dictionary(data.compactMap(OutcomeBlockLine.init).map { ($0.code, $0) }, uniquingKeysWith: { $1 })
        return (competences, blocks, try #require(OutcomeSummary(reply)))
    }

    @Test func candidatesCarryTheirTrackNumberAndLegalName() async throws {
        try await withServer { server in
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok(#"USER-CREATE lea candidate track=dev number=2026-0042 legal-name=DUPONT\sLéa\sMarie email=lea@example.org :Léa Dupont"#)
            try await admin.ok(#"USER-CREATE camille juror capacity=Architecte\sSI,\ssociété\sX :Camille Martin"#)
            #expect(try await admin.request("USER-CREATE zoe candidate number=2026-0042 :Zoé").failureCode == "ALREADY_EXISTS")
            #expect(try await admin.request("USER-CREATE zoe candidate track=cobol :Zoé").failureCode == "INVALID")
            #expect(try await admin.request("USER-CREATE paul juror track=dev :Paul").failureCode == "INVALID")
            #expect(try await admin.request("USER-CREATE ines candidate capacity=x :Inès").failureCode == "INVALID")
            // The specialisation's id names the same track.
            try await admin.ok("USER-CREATE zoe candidate track=infrastructure-cloud-virtualisation number=2026-0043 :Zoé Garnier")
            try await admin.ok("USER-LIST role=candidate")
            let users = admin.messages.filter { $0.verb == "USER" }
            let lea = try #require(users.first { $0.parameters.first == "lea" })
            #expect(lea.serialized.hasSuffix(#"USER lea candidate active email=lea@example.org track=dev number=2026-0042 legal-name=DUPONT\sLéa\sMarie :Léa Dupont"#))
            #expect(users.first { $0.parameters.first == "zoe" }?.serialized.contains("track=infra ") == true)
            // USER-UPDATE changes what it is given, and `-` clears.
            try await admin.ok("USER-UPDATE lea email=- number=2026-0044 :Léa D.")
            let updated = try #require(admin.messages.last { $0.verb == "USER" })
            #expect(updated.serialized.hasSuffix(#"USER lea candidate active track=dev number=2026-0044 legal-name=DUPONT\sLéa\sMarie :Léa D."#))
            #expect(try await admin.request("USER-UPDATE lea number=2026-0043").failureCode == "ALREADY_EXISTS")
            #expect(try await admin.request("USER-UPDATE camille track=dev").failureCode == "INVALID")
            #expect(try await admin.request("USER-UPDATE ghost number=1").failureCode == "NOT_FOUND")
            // And the candidate sees their own fields.
            let token = try #require(TokenIssuedReply(try await admin.ok("TOKEN-ISSUE lea"))).token
            let candidate = try await RoomClient.connect(server, name: "lea", token: token)
            let whoami = try #require(WhoamiReply(try await candidate.ok("WHOAMI")))
            #expect(whoami.displayName == "Léa D.")
            #expect(candidate.messages.last?.serialized.contains("track=dev number=2026-0044") == true, "\(candidate.lines.suffix(2))")
            #expect(try await candidate.request("USER-UPDATE lea number=9").failureCode == "FORBIDDEN")
            await candidate.close()
            await admin.close()
        }
    }

    @Test func roomsKeepToTheCandidatesTrackAndAFinalDefenceTakesItWhole() async throws {
        try await withServer { server in
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("USER-CREATE zoe candidate track=infra :Zoé")
            try await admin.ok("USER-CREATE old candidate :Sans filière")
            _ = try await server.makeUsers(["camille", "paul"], role: .juror)
            let jury = "jurors=camille,paul president=camille"
            // A5 is the other track's option.
            let wrong = try await admin.request("ROOM-CREATE r1 individual start=2026-12-01T08:00:00Z candidates=zoe \(jury) competences=A5C1")
            #expect(wrong.failureCode == "WRONG_TRACK" && FailureLine(wrong)?.context == ["zoe", "A5C1"], "\(wrong.serialized)")
            try await admin.ok("ROOM-CREATE r1 individual start=2026-12-01T08:00:00Z candidates=zoe \(jury) competences=A6C1")
            // A specialisation is named by its id or by its track's short name.
            try await admin.ok("ROOM-CREATE s1 individual start=2026-12-05T08:00:00Z candidates=zoe \(jury) specialisation=infra")
            try await admin.ok("ROOM-CREATE s2 individual start=2026-12-05T10:00:00Z candidates=zoe \(jury) specialisation=infrastructure-cloud-virtualisation")
            #expect(try await admin.request("ROOM-CREATE s3 individual start=2026-12-05T12:00:00Z candidates=zoe \(jury) specialisation=cobol").failureCode == "NOT_FOUND")
            // A final defence: 45 minutes, the whole track whatever the épreuve.
            try await admin.ok("ROOM-CREATE f1 final start=2026-12-01T10:00:00Z candidates=zoe \(jury) :Soutenance finale")
            let final = try #require(admin.messages.compactMap(RoomLine.init).last { $0.room == "f1" })
            let details = try #require(final.details)
            #expect(final.kind == "final")
            #expect(details.phases.reduce(0) { $0 + $1.seconds } == 45 * 60)
            #expect(details.competences.contains("A1C1") && details.competences.contains("A1C4") && details.competences.contains("A7C1"))
            #expect(!details.competences.contains { $0.hasPrefix("A5") })
            // A1 (7), A2 (8), A3 (8), A4 (9), A6 (5), A7 (2).
            #expect(details.competences.count == 39)
            // A final defence assesses épreuve 2 competences too; an individual one does not.
            try await admin.ok("ROOM-CREATE f2 final start=2026-12-02T10:00:00Z candidates=zoe \(jury) competences=A1C1")
            #expect(try await admin.request("ROOM-CREATE r2 individual start=2026-12-03T10:00:00Z candidates=zoe \(jury) competences=A1C1").failureCode == "WRONG_EPREUVE")
            // Without a track, a final defence needs its competences named; with them, any is assessed.
            #expect(try await admin.request("ROOM-CREATE f3 final start=2026-12-04T10:00:00Z candidates=old \(jury)").failureCode == "BAD_ARGUMENTS")
            try await admin.ok("ROOM-CREATE f3 final start=2026-12-04T10:00:00Z candidates=old \(jury) competences=A5C1")
            // Zoé's rooms to come hold infra competences: her track cannot become dev.
            let moved = try await admin.request("USER-UPDATE zoe track=dev")
            #expect(moved.failureCode == "WRONG_TRACK", "\(moved.serialized)")
            try await admin.ok("USER-LIST role=candidate")
            #expect(admin.messages.last { $0.verb == "USER" && $0.parameters.first == "zoe" }?.serialized.contains("track=infra") == true)
            await admin.close()
        }
    }

    @Test func outcomesComeFromSignedRoomsOnlyWithReSitsAndEachCandidateReadsTheirOwn() async throws {
        try await withServer { server in
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("USER-CREATE lea candidate track=dev number=D-1 legal-name=DUPONT\\sLéa :Léa")
            try await admin.ok("USER-CREATE zoe candidate track=infra number=I-1 :Zoé")
            let tokens = try await server.makeUsers(["camille", "paul"], role: .juror)
            let camille = try await RoomClient.connect(server, name: "camille", token: tokens[0])
            let paul = try await RoomClient.connect(server, name: "paul", token: tokens[1])
            let leaToken = try #require(TokenIssuedReply(try await admin.ok("TOKEN-ISSUE lea"))).token
            let lea = try await RoomClient.connect(server, name: "lea", token: leaToken)
            let jury = "jurors=camille,paul president=camille"

            // The MSPR of A1 (its five épreuve 2 competences), with A1C1 not acquired.
            try await admin.ok("ROOM-CREATE mspr team start=2026-12-01T08:00:00Z candidates=lea \(jury) block=A1")
            var first: [String: Decision] = ["A1C1": .nonAcquis, "A1C2": .acquis, "A1C3": .acquis, "A1C6": .acquis, "A1C7": .acquis]
            // Before the room is signed, nothing counts.
            try await camille.ok("JOIN mspr")
            try await camille.ok("TIMER-START mspr")
            try await camille.ok("DELIBERATE mspr")
            try await camille.ok("DECIDE mspr lea A1C2 acquis")
            #expect(try await outcome(lea, "lea").competences["A1C2"]?.decision == nil)
            try await camille.ok("LEAVE mspr")
            first["A1C2"] = nil
            try await camille.ok("JOIN mspr")
            try await paul.ok("JOIN mspr")
            for (code, decision) in first.sorted(by: { $0.key < $1.key }) { try await camille.ok("DECIDE mspr lea \(code) \(decision.rawValue)") }
            try await camille.ok("SIGN mspr")
            try await paul.ok("SIGN mspr")
            try await camille.ok("LEAVE mspr")
            try await paul.ok("LEAVE mspr")

            let afterMSPR = try await outcome(lea, "lea")
            #expect(afterMSPR.competences["A1C1"]?.decision == .nonAcquis && afterMSPR.competences["A1C1"]?.room == "mspr")
            #expect(afterMSPR.competences["A1C2"]?.decision == .acquis && afterMSPR.competences["A1C2"]?.at != nil)
            #expect(afterMSPR.competences["A1C4"]?.decision == nil, "épreuve 1, not assessed yet")
            #expect(afterMSPR.blocks["A1"]?.status == "not-validated" && afterMSPR.blocks["A1"]?.acquired == 4)
            #expect(afterMSPR.blocks["A2"]?.status == "incomplete")
            #expect(afterMSPR.summary.status == "not-certified" && afterMSPR.summary.track == "dev" && afterMSPR.summary.total == 5)
            #expect(!afterMSPR.competences.keys.contains { $0.hasPrefix("A6") }, "only the track's competences")

            // The final defence takes the whole track, A1C1 again among it, all acquired.
            try await admin.ok("ROOM-CREATE final-lea final start=2026-12-08T08:00:00Z candidates=lea \(jury)")
            let final = try #require(admin.messages.compactMap(RoomLine.init).last { $0.room == "final-lea" }?.details)
            try await sign("final-lea", candidate: "lea", Dictionary(uniqueKeysWithValues: final.competences.map { ($0, Decision.acquis) }), jury: (camille, paul))
            let certified = try await outcome(lea, "lea")
            #expect(certified.competences["A1C1"]?.decision == .acquis && certified.competences["A1C1"]?.room == "final-lea")
            #expect(certified.competences["A1C1"]?.earlier == [.init(room: "mspr", decision: .nonAcquis)])
            #expect(certified.blocks.values.allSatisfy { $0.status == "validated" })
            #expect(certified.summary.status == "certified" && certified.summary.validated == 5)

            // A candidate reads their own outcome only; jurors read none; admins read all.
            #expect(try await lea.request("OUTCOME zoe").failureCode == "FORBIDDEN")
            #expect(try await camille.request("OUTCOME lea").failureCode == "FORBIDDEN")
            #expect(try await admin.request("OUTCOME camille").failureCode == "NOT_FOUND")
            #expect(try await outcome(admin, "zoe").summary.status == "incomplete")

            // The staff's list.
            try await admin.ok("USER-CREATE old candidate :Sans filière")
            let listed = try await admin.ok("OUTCOMES")
            let lines = admin.messages.filter { $0.id == listed.id }.compactMap(OutcomeSummary.init).filter { $0.name != nil }
            #expect(lines.map(\.candidate) == ["lea", "old", "zoe"])
            #expect(lines.first { $0.candidate == "lea" } == OutcomeSummary(candidate: "lea", status: "certified", track: "dev", validated: 5, total: 5, needed: 5, number: "D-1", name: "DUPONT Léa"))
            #expect(lines.first { $0.candidate == "old" }?.track == nil)
            #expect(try await admin.ok("OUTCOMES state=certified").okArguments == ["1"])
            #expect(try await admin.ok("OUTCOMES track=infra").okArguments == ["1"])
            #expect(try await admin.ok("OUTCOMES day=2026-12-08").okArguments == ["1"])
            #expect(try await admin.request("OUTCOMES state=maybe").failureCode == "INVALID")
            #expect(try await admin.request("OUTCOME old").failureCode == "WRONG_STATE")
            for client in [admin, camille, paul, lea] { await client.close() }
        }
    }

    @Test func aDayFileMayCarryTracksNumbersAndLegalNames() async throws {
        try await withServer { server in
            let admin = try await DefenceConnection.connect(host: "127.0.0.1", port: server.port, tls: server.tls)
            try await admin.authenticate(token: server.adminToken)
            let header = DayFile.columns.joined(separator: ",") + ",track,number,legal-name"
            /// A user line: record, id, role, name, email, 8 room fields, then track, number, legal name.
            func user(_ id: String, _ role: String, _ name: String, _ extra: [String]) -> String {
                (["user", id, role, name, ""] + Array(repeating: "", count: 8) + extra).joined(separator: ",")
            }
            /// A room line: 5 user fields, then kind … title, then 3 empty user fields.
            func room(_ id: String, _ fields: [String]) -> String {
                (["room", id, "", "", ""] + fields + ["", "", ""]).joined(separator: ",")
            }
            let lines = [
                header,
                user("lea", "candidate", "Léa", ["dev", "N-1", "DUPONT Léa"]),
                user("camille", "juror", "Camille", ["", "", ""]),
                user("paul", "juror", "Paul", ["", "", ""]),
                room("final-lea", ["final", "2026-12-01T08:00:00Z", "lea", "camille;paul", "camille", "", "live", "Finale"]),
            ]
            let reply = try await admin.exchange(.dayImport(lines: lines.count), payload: lines)
            #expect(reply.terminal.serialized.contains("OK DAY-IMPORT users=3 rooms=1"), "\(reply.data.map(\.serialized)) \(reply.terminal.serialized)")
            let users = try await admin.request(.userList(role: "candidate", state: nil))
            #expect(users.data.first?.serialized.contains(#"track=dev number=N-1 legal-name=DUPONT\sLéa"#) == true)
            // A wrong track, a taken number and a competence outside the track are each the line's fault.
            let faulty = [
                header,
                user("zoe", "candidate", "Zoé", ["cobol", "", ""]),
                user("hugo", "candidate", "Hugo", ["infra", "N-1", ""]),
                user("malo", "candidate", "Malo", ["infra", "N-2", ""]),
                room("r2", ["individual", "2026-12-02T08:00:00Z", "malo", "camille;paul", "camille", "A5C1", "live", ""]),
            ]
            let refused = try await admin.exchange(.dayImport(lines: faulty.count), payload: faulty)
            let errors = refused.data.map(\.serialized)
            #expect(refused.failure?.code == "IMPORT_FAILED", "\(errors)")
            #expect(errors.contains { $0.contains("IMPORT-ERROR 2 INVALID") }, "\(errors)")
            #expect(errors.contains { $0.contains("IMPORT-ERROR 3 ALREADY_EXISTS") }, "\(errors)")
            #expect(errors.contains { $0.contains("IMPORT-ERROR 5 WRONG_TRACK") }, "\(errors)")
            // A file of the first version still imports.
            let old = [DayFile.columns.joined(separator: ","), (["user", "ines", "candidate", "Inès", ""] + Array(repeating: "", count: 8)).joined(separator: ",")]
            #expect(try await admin.exchange(.dayImport(lines: old.count), payload: old).terminal.verb == "OK")
            await admin.close()
        }
    }
}
