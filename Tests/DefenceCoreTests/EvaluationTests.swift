@testable import DefenceCore
import DefenceProtocol
import Foundation
import Testing

@Suite struct EvaluationTests {
    typealias H = RoomHarness

    func deliberating(_ plan: RoomPlan = RoomHarness.plan) throws -> RoomHarness {
        var room = H(plan: plan)
        try room.run(.join, by: H.c1)
        try room.run(.startTimer, by: H.j1)
        try room.run(.deliberate, by: H.j1)
        return room
    }

    func decideAll(_ room: inout RoomHarness, _ decision: Decision = .acquis) throws {
        for candidate in room.state.plan.candidates {
            for competence in room.state.plan.competences {
                try room.run(.decide(candidate: candidate, competence: competence, decision: decision, comment: nil), by: H.j1)
            }
        }
    }

    @Test func jurorsMarkChangeAndClearCriteria() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        #expect(try room.run(.mark(candidate: "c1", criterion: "A1C1.2", mark: .met, comment: "sources variées"), by: H.j1)
            == [.marked(juror: "j1", candidate: "c1", criterion: "A1C1.2", mark: .met, comment: "sources variées")])
        #expect(try room.run(.mark(candidate: "c1", criterion: "A1C1.2", mark: .met, comment: "sources variées"), by: H.j1) == [], "no change, no event")
        try room.run(.mark(candidate: "c1", criterion: "A1C1.2", mark: .partlyMet, comment: nil), by: H.j1)
        #expect(room.state.marks["j1"]?[GridKey(candidate: "c1", item: "A1C1.2")]?.value == .partlyMet)
        try room.run(.mark(candidate: "c1", criterion: "A1C1.2", mark: nil, comment: nil), by: H.j1)
        #expect(room.state.marks["j1"]?[GridKey(candidate: "c1", item: "A1C1.2")] == nil)
        #expect(room.code(.mark(candidate: "c1", criterion: "A1C1.2", mark: .met, comment: nil), by: H.c1) == "FORBIDDEN")
        #expect(room.code(.mark(candidate: "c1", criterion: "A1C1.2", mark: .met, comment: nil), by: H.admin) == "FORBIDDEN")
        #expect(room.code(.mark(candidate: "zz", criterion: "A1C1.2", mark: .met, comment: nil), by: H.j1) == "NOT_FOUND")
        #expect(room.code(.mark(candidate: "c1", criterion: "A2C1.1", mark: .met, comment: nil), by: H.j1) == "NOT_FOUND")
        #expect(H().code(.mark(candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil), by: H.j1) == "WRONG_STATE", "not before the lobby opens")
        // The room checks the criterion against its checklist itself: a sixth criterion of A1C1 does not exist.
        #expect(H.checklist.criteria.count == 5)
        #expect(room.code(.mark(candidate: "c1", criterion: "A1C1.6", mark: .met, comment: nil), by: H.j1) == "NOT_FOUND")
        #expect(room.code(.mark(candidate: "c1", criterion: "A1C1.", mark: .met, comment: nil), by: H.j1) == "NOT_FOUND")
        // Without its checklist a room refuses a mark rather than record it unchecked.
        do {
            _ = try room.state.decide(.mark(candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil), by: H.j1, at: room.now)
            Issue.record("a mark was accepted without a checklist")
        } catch {
            #expect(error.code == .internal)
        }
    }

    @Test func blindGridsOpenOnceBothAreSubmitted() throws {
        var plan = H.plan
        plan.visibility = .blind
        var room = H(plan: plan)
        try room.run(.join, by: H.c1)
        #expect(room.state.gridVisible(of: "j1", to: H.j1))
        #expect(!room.state.gridVisible(of: "j1", to: H.j2))
        #expect(room.state.gridVisible(of: "j1", to: H.admin))
        #expect(!room.state.gridVisible(of: "j1", to: H.c1))
        try room.run(.submitGrid, by: H.j1)
        #expect(!room.state.gridVisible(of: "j1", to: H.j2))
        try room.run(.submitGrid, by: H.j2)
        #expect(room.state.gridVisible(of: "j1", to: H.j2))
        #expect(try room.run(.submitGrid, by: H.j2) == [])
        #expect(H().state.gridVisible(of: "j1", to: H.j2), "live rooms show grids at once")
    }

    @Test func disagreementsListDifferentAndMissingProposals() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        try room.run(.propose(candidate: "c1", competence: "A1C1", decision: .acquis, comment: nil), by: H.j1)
        try room.run(.propose(candidate: "c1", competence: "A1C1", decision: .nonAcquis, comment: "veille trop courte"), by: H.j2)
        try room.run(.propose(candidate: "c2", competence: "A1C1", decision: .acquis, comment: nil), by: H.j1)
        try room.run(.propose(candidate: "c2", competence: "A1C1", decision: .acquis, comment: nil), by: H.j2)
        let found = room.state.disagreements
        #expect(found.map(\.candidate) == ["c1"])
        #expect(found.first?.proposals == ["j1": .acquis, "j2": .nonAcquis])
        try room.run(.propose(candidate: "c2", competence: "A1C1", decision: nil, comment: nil), by: H.j2)
        #expect(room.state.disagreements.map(\.candidate) == ["c1", "c2"])
    }

    @Test func signingNeedsEveryDecisionAndBothSignaturesLock() throws {
        var room = try deliberating()
        #expect(room.code(.sign, by: H.j1) == "INCOMPLETE")
        try decideAll(&room)
        #expect(try room.run(.sign, by: H.j1).count == 1)
        #expect(room.state.lifecycle == .deliberation)
        let kinds = try room.run(.sign, by: H.j2)
        #expect(kinds.last == .locked)
        #expect(room.state.lifecycle == .signed)
        #expect(room.code(.decide(candidate: "c1", competence: "A1C1", decision: .nonAcquis, comment: nil), by: H.j1) == "LOCKED")
        #expect(room.code(.mark(candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil), by: H.j1) == "LOCKED")
        #expect(room.code(.propose(candidate: "c1", competence: "A1C1", decision: .acquis, comment: nil), by: H.j2) == "LOCKED")
        #expect(room.code(.sign, by: H.j1) == "LOCKED")
    }

    @Test func aChangeAfterOneSignatureWithdrawsIt() throws {
        var room = try deliberating()
        try decideAll(&room)
        try room.run(.sign, by: H.j1)
        let kinds = try room.run(.decide(candidate: "c2", competence: "A1C1", decision: .nonAcquis, comment: "oral insuffisant"), by: H.j2)
        #expect(kinds.last == .signatureWithdrawn(juror: "j1"))
        #expect(room.state.signatures.isEmpty)
        #expect(try room.run(.sign, by: H.j2) == [.signed(juror: "j2", gridHash: RoomState.gridHash(decisions: room.state.decisions, marks: room.state.marks))])
        #expect(room.state.lifecycle == .deliberation, "j1's signature was of another grid")
        #expect(try room.run(.sign, by: H.j1).last == .locked)
        #expect(room.state.signatureHistory.count == 3)
    }

    /// The signed grid covers the marks and their comments: a mark changed after a signature withdraws it, so a
    /// signed PV never shows a mark its first signer did not see.
    @Test func aMarkChangedAfterASignatureWithdrawsIt() throws {
        var room = try deliberating()
        try room.run(.mark(candidate: "c1", criterion: "A1C1.1", mark: .met, comment: "clair"), by: H.j1)
        try decideAll(&room)
        try room.run(.sign, by: H.j1)
        let signed = try #require(room.state.signatures["j1"]?.gridHash)
        let kinds = try room.run(.mark(candidate: "c1", criterion: "A1C1.1", mark: .met, comment: "clair, mais court"), by: H.j2)
        #expect(kinds == [
            .marked(juror: "j2", candidate: "c1", criterion: "A1C1.1", mark: .met, comment: "clair, mais court"), .signatureWithdrawn(juror: "j1"),
        ])
        #expect(room.state.signatures.isEmpty)
        try room.run(.sign, by: H.j1)
        #expect(room.state.signatures["j1"]?.gridHash != signed, "the grid signed now holds j2's mark")
        #expect(try room.run(.sign, by: H.j2).last == .locked)
        // A comment alone changes the hash; so does any juror's mark.
        let decisions = room.state.decisions
        let key = GridKey(candidate: "c1", item: "A1C1.1")
        let at = Date(timeIntervalSince1970: 0)
        let one = RoomState.gridHash(decisions: decisions, marks: ["j1": [key: Assessment(value: .met, comment: "a", by: "j1", at: at)]])
        let other = RoomState.gridHash(decisions: decisions, marks: ["j1": [key: Assessment(value: .met, comment: "b", by: "j1", at: at)]])
        let none = RoomState.gridHash(decisions: decisions, marks: [:])
        #expect(Set([one, other, none]).count == 3)
    }

    /// The grid hash is SHA-256 of the lines PROTOCOL.md §12.2 describes (vector computed outside Swift).
    @Test func theGridHashFollowsTheDocumentedLines() {
        let at = Date(timeIntervalSince1970: 0)
        let decisions = [
            GridKey(candidate: "lea", item: "A1C2"): Assessment(value: Decision.nonAcquis, comment: nil, by: "j1", at: at),
            GridKey(candidate: "lea", item: "A1C1"): Assessment(value: Decision.acquis, comment: "bien", by: "j1", at: at),
        ]
        let marks = [
            "paul": [GridKey(candidate: "lea", item: "A1C1.1"): Assessment(value: Mark.notMet, comment: nil, by: "paul", at: at)],
            "camille": [GridKey(candidate: "lea", item: "A1C1.1"): Assessment(value: Mark.partlyMet, comment: "sources", by: "camille", at: at)],
        ]
        #expect(RoomState.gridHash(decisions: decisions, marks: marks) == "977051c1fe8454bde1f964170303ce3198a8037450ecbd20fcb7ac229697357a")
    }

    @Test func onlyAnAdminReopensAndOnlyWithAReason() throws {
        var room = try deliberating()
        try decideAll(&room)
        try room.run(.sign, by: H.j1)
        try room.run(.sign, by: H.j2)
        #expect(room.code(.reopen(reason: "erreur de saisie"), by: H.j1) == "FORBIDDEN")
        #expect(room.code(.reopen(reason: " "), by: H.admin) == "INVALID")
        try room.run(.reopen(reason: "erreur de saisie sur c2"), by: H.admin)
        #expect(room.state.lifecycle == .deliberation)
        #expect(room.state.signatures.isEmpty)
        #expect(room.state.reopenings.map(\.reason) == ["erreur de saisie sur c2"])
        #expect(try RoomState.fold(room.events) == room.state)
    }

    @Test func evaluationEventsAreJuryOnly() {
        let kinds: [RoomEventKind] = [
            .marked(juror: "j1", candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil),
            .proposed(juror: "j1", candidate: "c1", competence: "A1C1", decision: .acquis, comment: nil),
            .gridSubmitted(juror: "j1"), .decided(by: "j1", candidate: "c1", competence: "A1C1", decision: .acquis, comment: nil),
            .signed(juror: "j1", gridHash: "h"), .signatureWithdrawn(juror: "j1"), .locked, .reopened(by: "a", reason: "r"),
        ]
        #expect(kinds.allSatisfy { $0.isJuryOnly })
    }
}
