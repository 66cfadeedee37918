import DefenceProtocol
import Testing

/// The typed replies and data lines the clients read: each line of §9–§12 read by name, odd ones refused.
@Suite struct ReplyLinesTests {
    func line(_ text: String) throws -> Message { try #require(try LineParser().parse(text)) }

    @Test func whoamiWithAndWithoutAnEmail() throws {
        let plain = try #require(WhoamiReply(try line("@id=1 OK WHOAMI lea candidate :Léa Dupont")))
        #expect(plain.user == "lea" && plain.role == "candidate" && plain.email == nil && plain.displayName == "Léa Dupont")
        let mailed = try #require(WhoamiReply(try line("OK WHOAMI camille juror email=c@example.org :Camille Martin")))
        #expect(mailed.email == "c@example.org" && mailed.displayName == "Camille Martin")
        #expect(WhoamiReply(try line("OK WHOAMI lea")) == nil)
        #expect(WhoamiReply(try line("OK WHOAMI lea candidate extra more :x")) == nil)
        #expect(WhoamiReply(try line("FAIL WHOAMI AUTH_REQUIRED :authenticate first")) == nil)
    }

    @Test func failuresTokensGridsAndResults() throws {
        let failure = try #require(FailureLine(try line("@id=3 FAIL JOIN WRONG_STATE r1 :already joined")))
        #expect(failure.verb == "JOIN" && failure.code == "WRONG_STATE" && failure.knownCode == .wrongState && failure.context == ["r1"])
        #expect(failure.text == "already joined")
        #expect(FailureLine(try line("FAIL * LATER_CODE"))?.knownCode == nil)
        #expect(FailureLine(try line("FAIL *")) == nil)
        let token = try #require(TokenIssuedReply(try line("OK TOKEN-ISSUE 7 lea drt_abc expires=2026-12-02T09:00:00.000Z")))
        #expect(token.id == 7 && token.user == "lea" && token.token == "drt_abc")
        let mark = try #require(GridLine(try line("MARK camille lea A1C1.2 partly-met :sources")))
        #expect(mark.value == .mark(.partlyMet) && mark.item == "A1C1.2" && mark.comment == "sources")
        #expect(GridLine(try line("PROPOSAL paul lea A1C1 non-acquis"))?.value == .proposal(.nonAcquis))
        #expect(GridLine(try line("MARK camille lea A1C1.2 good")) == nil)
        let result = try #require(ResultLine(try line("RESULT r1 lea A1C1 acquis signed :solide")))
        #expect(result.decision == "acquis" && result.status == "signed" && result.comment == "solide")
        #expect(ResultLine(try line("RESULT r1 lea")) == nil)
        let snapshot = try #require(SnapshotLine(try line("SNAPSHOT r1 5 2026-12-01T08:00:00.000Z running phase=1 present=lea,hugo :Salle A")))
        let outage = try #require(OutageLine(try line("OUTAGE 2 *server* 2026-12-01T08:00:00.000Z 2026-12-01T08:00:12.000Z 12 not-compensated")))
        #expect(outage.id == 2 && outage.user == nil && outage.seconds == 12 && outage.status == "not-compensated")
        #expect(OutageLine(try line("OUTAGE 1 lea 2026-12-01T08:00:00.000Z - - open"))?.to == nil)
        #expect(snapshot.seq == 5 && snapshot.state == "running" && snapshot.items["present"] == "lea,hugo" && snapshot.title == "Salle A")
    }
}
