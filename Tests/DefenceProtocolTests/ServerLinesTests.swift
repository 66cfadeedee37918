import DefenceProtocol
import Foundation
import Testing

/// The clients' one reply correlator, and the room and referential lines written and read through one type.
@Suite struct ServerLinesTests {
    func line(_ text: String) throws -> Message { try #require(try LineParser(limits: .serverLines).parse(text)) }

    @Test func repliesGoToTheirRequestWithTheirDataLines() throws {
        var correlator = ReplyCorrelator()
        correlator.expect("c1")
        correlator.expect("c2")
        #expect(correlator.read("@id=c1 ROOM r1 scheduled team 2026-12-01T08:00:00.000Z 2026-12-01T08:30:00.000Z candidates=a jurors=b,c president=b") == .data(id: "c1"))
        #expect(correlator.read("@id=c2 CONTINUE DAY-IMPORT 2 :send 2 lines") == .payloadWanted(id: "c2"))
        guard case .reply("c1", let reply) = correlator.read("@id=c1 OK ROOM-LIST 1") else {
            Issue.record("no reply for c1")
            return
        }
        let data = try #require(reply.data.first)
        #expect(reply.data.count == 1 && RoomLine(data)?.room == "r1")
        #expect(reply.failure == nil)
        // Its reply taken, the request is no longer pending: a late line with its id is not its data.
        #expect(correlator.read("@id=c1 OK ROOM-LIST 1") == .other("@id=c1 OK ROOM-LIST 1"))
        guard case .reply("c2", let refused) = correlator.read("@id=c2 FAIL DAY-IMPORT IMPORT_FAILED 1 :nothing was imported") else {
            Issue.record("no reply for c2")
            return
        }
        #expect(refused.failure?.knownCode == .importFailed)
        #expect(correlator.pendingIDs.isEmpty)
    }

    @Test func everyOtherLineIsToldApartByWhatItIs() throws {
        var correlator = ReplyCorrelator()
        #expect(correlator.read("PING s1") == .ping(token: "s1"))
        #expect(correlator.read("PING") == .other("PING"))
        guard case .event(let event, _) = correlator.read("EVENT r1 7 2026-12-01T08:00:00.000Z said room camille :bonjour") else {
            Issue.record("not an event")
            return
        }
        #expect(event.room == "r1" && event.seq == 7)
        guard case .snapshot(let snapshot, _) = correlator.read(
            "SNAPSHOT r1 9 2026-12-01T08:10:00.000Z running phase=0 phase-name=presentation remaining-ms=1200000 overtime=no present=-"
        ) else {
            Issue.record("not a snapshot")
            return
        }
        #expect(snapshot.seq == 9)
        #expect(correlator.read("FAIL * REVOKED :token revoked") == .sessionFailure(try #require(FailureLine(try line("FAIL * REVOKED :token revoked")))))
        // A FAIL of a verb, for no pending request, ends nothing.
        #expect(correlator.read("@id=zz FAIL JOIN NOT_FOUND r9 :no room r9") == .other("@id=zz FAIL JOIN NOT_FOUND r9 :no room r9"))
        #expect(correlator.read("EVENT r1 x") == .other("EVENT r1 x"))
        #expect(correlator.read("\u{1}") == .other("\u{1}"))
        #expect(correlator.read("FUTURE-LINE a b") == .other("FUTURE-LINE a b"))
    }

    @Test func aForgottenRequestTakesNoMoreLines() {
        var correlator = ReplyCorrelator()
        correlator.expect("s1")
        let forgotten = correlator.forget("s1")
        let again = correlator.forget("s1")
        #expect(forgotten && !again)
        #expect(correlator.read("@id=s1 OK WHOAMI a candidate :A") == .other("@id=s1 OK WHOAMI a candidate :A"))
        // A server line longer than a request's 4,096 bytes is read.
        correlator.expect("p")
        let long = String(repeating: "é", count: 3000)
        #expect(correlator.read("@id=p PV :\(long)") == .data(id: "p"))
    }

    @Test func theGreetingIsThisVersionsOrNothing() {
        #expect(ReplyCorrelator.greeting("HELLO defence/1 server=x max-line=4096")?.verb == "HELLO")
        #expect(ReplyCorrelator.greeting("HELLO defence/2 server=x") == nil)
        #expect(ReplyCorrelator.greeting("OK HELLO defence/1") == nil)
    }

    @Test func roomLinesRoundTrip() throws {
        let start = Date(timeIntervalSince1970: 1_796_112_000)
        let listed = RoomLine(
            room: "mspr-a1", state: .running, kind: "team", start: start, end: start.addingTimeInterval(1800), candidates: ["lea", "hugo"],
            jurors: ["camille", "paul"], president: "camille", details: nil, title: "Salle A"
        )
        #expect(RoomLine(listed.message(id: "1")) == listed)
        var detailed = listed
        detailed.title = nil
        detailed.details = .init(
            epreuve: 2, competences: ["A1C1", "A1C2"], phases: [.init(name: "presentation", seconds: 1200), .init(name: "q:a", seconds: 600)],
            warnings: [300, 60], visibility: "blind", referential: "ab12", seq: 14
        )
        #expect(RoomLine(detailed.message(id: nil)) == detailed)
        detailed.details?.warnings = []
        #expect(RoomLine(detailed.message(id: nil)) == detailed)
        // A later version's items are skipped; a line missing a field is no room line.
        #expect(RoomLine(try line(listed.message(id: nil).serialized.replacingOccurrences(of: " president=", with: " colour=blue president=")))?.president == "camille")
        #expect(RoomLine(try line("ROOM r1 running team 2026-12-01T08:00:00.000Z 2026-12-01T08:30:00.000Z candidates=a jurors=b")) == nil)
        #expect(RoomLine(try line("ROOM r1 sleeping team 2026-12-01T08:00:00.000Z 2026-12-01T08:30:00.000Z candidates=a jurors=b president=b")) == nil)
        #expect(RoomLine(try line("ROOM r1 running team 2026-12-01T08:00:00.000Z 2026-12-01T08:30:00.000Z candidates=a jurors=b president=b competences=A1C1 phases=x")) == nil)
    }

    @Test func competencesCriteriaDocumentsAndPongs() throws {
        let brief = CompetenceLine(code: "A1C4", block: "A1", epreuve: 1, epreuveStated: true, criteria: 6, title: "Cartographier")
        #expect(try line(brief.message(id: nil).serialized).serialized == "COMPETENCE A1C4 A1 1 stated criteria=6 :Cartographier")
        #expect(CompetenceLine(brief.message(id: "x")) == brief)
        let full = CompetenceLine(code: "A1C2", block: "A1", epreuve: 2, epreuveStated: false, task: "A1T2", subtask: "A1T2S1", hours: "30", criteria: 3, title: "Collecter")
        #expect(CompetenceLine(full.message(id: nil)) == full)
        #expect(CompetenceLine(try line("COMPETENCE A1C2 A1 two stated criteria=3 :x")) == nil)
        let criterion = CriterionLine(id: "A1C2.1", group: 1, text: "l’interview-type")
        #expect(criterion.message(id: "r").serialized == "@id=r CRITERION A1C2.1 1 :l’interview-type")
        #expect(CriterionLine(criterion.message(id: nil)) == criterion)
        #expect(DocumentLine(try line("PV :# Procès-verbal"))?.text == "# Procès-verbal")
        #expect(DocumentLine(try line("PV"))?.text == "")
        #expect(DocumentReply(try line("OK PV r1 html 120 fingerprint=ab12"))?.fingerprint == "ab12")
        #expect(DocumentReply(try line("OK PV r1 html 120")) == nil)
        let pong = try #require(PongReply(try line("@id=p1 PONG 2026-12-01T09:00:00.012Z t-1")))
        #expect(pong.token == "t-1" && WireTime.format(pong.serverTime) == "2026-12-01T09:00:00.012Z")
        #expect(PongReply(try line("PONG soon")) == nil)
    }

    @Test func theJurysProgressLinesAndTranscriptsRoundTrip() throws {
        let evidence = EvidenceLine(candidate: "lea", part: .written, by: "paul", text: "production claire")
        #expect(evidence.message(id: "p").serialized == "@id=p EVIDENCE lea written by=paul :production claire")
        #expect(EvidenceLine(try line(evidence.message(id: nil).serialized)) == evidence)
        #expect(EvidenceLine(try line("EVIDENCE lea oral by=paul :x")) == nil)
        #expect(EvidenceLine(try line("EVIDENCE lea test paul :x")) == nil)
        let observations = ObservationsLine(by: "camille", text: "Équipe soudée")
        #expect(ObservationsLine(try line(observations.message(id: "q").serialized)) == observations)
        #expect(ObservationsLine(try line("OBSERVATIONS camille :x")) == nil)
        let at = try #require(WireTime.parse("2026-11-20T09:00:00.000Z"))
        let earlier = EarlierLine(candidate: "lea", competence: "A1C1", decision: .nonAcquis, room: "r0", at: at)
        #expect(earlier.message(id: nil).serialized == "EARLIER lea A1C1 non-acquis room=r0 at=2026-11-20T09:00:00.000Z")
        #expect(EarlierLine(try line(earlier.message(id: "e").serialized)) == earlier)
        #expect(EarlierLine(try line("EARLIER lea A1C1 maybe room=r0 at=2026-11-20T09:00:00.000Z")) == nil)
        #expect(EarlierLine(try line("EARLIER lea A1C1 acquis room=r0 at=yesterday")) == nil)
        let transcript = try #require(TranscriptReply(try line("@id=t OK TRANSCRIPT lea markdown 80 certified")))
        #expect(transcript.candidate == "lea" && transcript.format == "markdown" && transcript.status == "certified")
        #expect(TranscriptReply(try line("OK PV r1 html 120 fingerprint=ab12")) == nil)
    }
}
