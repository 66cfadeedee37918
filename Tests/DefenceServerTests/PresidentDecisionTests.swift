import DefenceClient
import DefenceCore
import DefenceProtocol
import Foundation
import Testing

/// The president's decisions on incidents, the MSPR's written parts and the jury's observations, end to end: each
/// is refused to the other juror, hidden from candidates where the spec says so, and printed in the PV with its
/// reason (PROTOCOL.md §11.3, §12.1, §12.3).
@Suite struct PresidentDecisionTests {
    @Test func thePresidentDeclinesRestartsAndPostponesAndThePVSaysSo() async throws {
        try await withServer { server in
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok(#"USER-CREATE lea candidate track=dev number=2026-0042 legal-name=DUPONT\sLéa :Léa"#)
            try await admin.ok(#"USER-CREATE camille juror capacity=Architecte\sSI :Camille Martin"#)
            try await admin.ok("USER-CREATE paul juror :Paul Bernard")
            func token(_ user: String) async throws -> String { try #require(TokenIssuedReply(try await admin.ok("TOKEN-ISSUE \(user)"))).token }
            let camille = try await RoomClient.connect(server, name: "camille", token: try await token("camille"))
            let paul = try await RoomClient.connect(server, name: "paul", token: try await token("paul"))
            let leaToken = try await token("lea")
            var lea = try await RoomClient.connect(server, name: "lea", token: leaToken)
            try await admin.ok("ROOM-CREATE mspr team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=camille competences=A1C1,A1C2")
            for client in [camille, paul, lea] { try await client.ok("JOIN mspr") }
            try await camille.ok("TIMER-START mspr")

            // Léa's connection drops, then comes back: outage 1.
            await lea.close()
            try await camille.event("outage-started", "1")
            lea = try await RoomClient.connect(server, name: "lea", token: leaToken)
            try await lea.ok("JOIN mspr")
            try await camille.event("outage-ended", "1")
            #expect(try await paul.request("OUTAGE-DECLINE mspr 1 :non").failureCode == "FORBIDDEN")
            #expect(try await camille.request("OUTAGE-DECLINE mspr 1 :   ").failureCode == "INVALID")
            #expect(try await camille.request("OUTAGE-DECLINE mspr 9 :x").failureCode == "NOT_FOUND")
            try await camille.ok("OUTAGE-DECLINE mspr 1 :coupure brève, sans effet sur la soutenance")
            #expect(try await camille.request("OUTAGE-EXTEND mspr 1").failureCode == "WRONG_STATE")
            #expect(try await camille.request("OUTAGE-DECLINE mspr 1 :encore").failureCode == "WRONG_STATE")
            try await camille.ok("OUTAGES mspr")
            #expect(camille.messages.compactMap(OutageLine.init).last { $0.id == 1 }?.status == "declined", "the ledger says it was declined")

            // The MSPR's individual written parts, recorded by either juror.
            try await camille.ok("EVIDENCE mspr lea written :production claire et documentée")
            try await paul.ok("EVIDENCE mspr lea test :14/20, solide en SQL")
            #expect(try await paul.request("EVIDENCE mspr ghost test :x").failureCode == "NOT_FOUND")
            #expect(try await lea.request("EVIDENCE mspr lea test :20/20").failureCode == "FORBIDDEN")

            // A restart: a new clock, everyone told.
            #expect(try await paul.request("RESTART mspr :non").failureCode == "FORBIDDEN")
            try await camille.ok("RESTART mspr :micro du jury hors service")
            try await lea.event("restarted")
            #expect(try await lea.ok("TIME mspr").okArguments?.dropFirst().first == "open")
            try await camille.ok("TIMER-START mspr")

            // A postponement: the room waits for its new date.
            try await camille.ok("POSTPONE mspr :candidate souffrante")
            try await lea.event("postponed")
            #expect(try await camille.request("TIMER-START mspr").failureCode == "WRONG_STATE")
            try await admin.ok("ROOM-UPDATE mspr start=2026-12-02T08:00:00Z")
            #expect(try await camille.ok("TIME mspr").okArguments?.dropFirst().first == "open")

            // The defence, the observations, the signatures.
            try await camille.ok("TIMER-START mspr")
            try await camille.ok("DELIBERATE mspr")
            try await camille.ok("OBSERVATIONS mspr :équipe soudée ; démonstration convaincante")
            #expect(try await paul.request("OBSERVATIONS mspr :autre").failureCode == "FORBIDDEN")
            for code in ["A1C1", "A1C2"] { try await camille.ok("DECIDE mspr lea \(code) acquis") }
            try await camille.ok("SIGN mspr")
            try await paul.ok("SIGN mspr")
            #expect(try await camille.request("OBSERVATIONS mspr :après coup").failureCode == "LOCKED")
            #expect(try await paul.request("EVIDENCE mspr lea test :15/20").failureCode == "LOCKED")

            // Candidates saw the restart and the postponement, never the jury's records.
            let seen = Set(lea.events.compactMap(\.eventType))
            #expect(seen.isSuperset(of: ["restarted", "postponed"]))
            #expect(seen.isDisjoint(with: ["outage-declined", "evidence", "observations"]), "\(seen)")

            func pv(_ lang: String) async throws -> String {
                let reply = try await admin.ok("PV mspr lang=\(lang)")
                return admin.messages.filter { $0.id == reply.id }.compactMap(DocumentLine.init).map(\.text).joined(separator: "\n")
            }
            let french = try await pv("fr")
            for expected in [
                "## Décisions du président du jury", "ne pas prolonger le temps pour la coupure n°1",
                "motif : coupure brève, sans effet sur la soutenance", "reprendre la soutenance à zéro", "micro du jury hors service",
                "reporter la soutenance", "candidate souffrante", "Nouvelle date : début 02/12/2026 09:00:00 (UTC+01:00)",
                "pas de prolongation", "production écrite individuelle", "production claire et documentée", "14/20, solide en SQL",
                "## Observations du jury", "équipe soudée ; démonstration convaincante", "| DUPONT Léa | lea | 2026-0042 | Etudes & Développement (dev) |",
                "Camille Martin (camille) — Architecte SI — président(e) du jury", "Heures en heure locale : Europe/Paris", "État : signée et verrouillée",
            ] {
                #expect(french.contains(expected), "the French PV lacks \(expected)")
            }
            let english = try await pv("en")
            for expected in [
                "# Defence report (procès-verbal)", "## Decisions of the jury's president", "not to extend the time for outage #1",
                "to restart the defence", "to postpone the defence", "## The jury's observations", "State: signed and locked",
                "Times are local: Europe/Paris",
            ] {
                #expect(english.contains(expected), "the English PV lacks \(expected)")
            }
            #expect(!english.contains("Décision"), "no French label in the English PV")
            for client in [admin, camille, paul, lea] { await client.close() }
        }
    }
}
