import DefenceCore
import DefenceProtocol
import Foundation
import Testing

/// Outcomes computed from signed rooms, by the referential's rule (PROTOCOL.md §12.5), as values.
@Suite struct CandidateOutcomeTests {
    typealias H = RoomHarness
    static let referential = (try? ReferentialLoader.bundled().referential)

    /// A room for candidate c1 on `competences`, started `hoursLater` after t0, decided as `decisions` says
    /// (competences not named are decided acquis), and signed unless `sign` is false.
    func room(_ id: String, _ competences: [String], hoursLater: Double = 0, _ decisions: [String: Decision] = [:], sign: Bool = true) throws -> RoomState {
        var plan = H.plan
        plan.id = id
        plan.candidates = ["c1"]
        plan.competences = competences
        var room = H(plan: plan)
        room.now = room.now.addingTimeInterval(hoursLater * 3600)
        try room.run(.join, by: H.c1)
        try room.run(.startTimer, by: H.j1)
        try room.run(.deliberate, by: H.j1)
        for code in competences {
            try room.run(.decide(candidate: "c1", competence: code, decision: decisions[code] ?? .acquis, comment: nil), by: H.j1)
        }
        if sign {
            try room.run(.sign, by: H.j1)
            try room.run(.sign, by: H.j2)
        }
        return room.state
    }

    func track(_ id: String) throws -> (Referential.Specialisation, Referential) {
        let referential = try #require(Self.referential)
        return (try #require(referential.specialisation(track: id)), referential)
    }

    func codes(_ referential: Referential, block: String) -> [String] {
        referential.competences(block: block).map(\.code)
    }

    @Test func theBundledTracksAreDevAndInfra() throws {
        let (dev, referential) = try track("dev")
        #expect(dev.blocks == ["A1", "A2", "A3", "A4", "A5"])
        #expect(referential.specialisation(track: "infra")?.blocks == ["A1", "A2", "A3", "A4", "A6", "A7"])
        #expect(referential.specialisation(track: "etudes-developpement")?.trackID == "dev")
        #expect(referential.rule == .standard)
    }

    @Test func nothingSignedIsIncompleteAndUnsignedRoomsDoNotCount() throws {
        let (dev, referential) = try track("dev")
        let unsigned = try room("r1", codes(referential, block: "A1"), sign: false)
        let outcome = CandidateOutcome(candidate: "c1", track: dev, referential: referential, rooms: [unsigned])
        #expect(outcome.status == .incomplete)
        #expect(outcome.competences.allSatisfy { $0.status == .undecided })
        #expect(outcome.blocks.map(\.code) == ["A1", "A2", "A3", "A4", "A5"])
        #expect(outcome.blocks.allSatisfy { $0.status == .incomplete })
        // Only the track's competences are listed: none of A6 or A7.
        #expect(!outcome.competences.contains { $0.block == "A6" || $0.block == "A7" })
    }

    @Test func aBlockIsValidatedWhenEveryCompetenceIsAcquisAndTheCertificationWhenEveryBlockIs() throws {
        let (dev, referential) = try track("dev")
        var rooms: [RoomState] = []
        for (index, block) in dev.blocks.enumerated() {
            rooms.append(try room("r-\(block)", codes(referential, block: block), hoursLater: Double(index)))
        }
        let outcome = CandidateOutcome(candidate: "c1", track: dev, referential: referential, rooms: rooms)
        #expect(outcome.blocks.allSatisfy { $0.status == .validated })
        #expect(outcome.status == .certified)
        #expect(outcome.validatedBlocks == 5 && outcome.blocksNeeded == 5)
        // Another candidate's outcome counts none of it.
        #expect(CandidateOutcome(candidate: "c2", track: dev, referential: referential, rooms: rooms).status == .incomplete)
    }

    @Test func oneNonAcquisFailsItsBlockAndTheCertification() throws {
        let (dev, referential) = try track("dev")
        let a1 = codes(referential, block: "A1")
        var rooms = [try room("r-A1", a1, [a1[0]: .nonAcquis])]
        for (index, block) in dev.blocks.dropFirst().enumerated() {
            rooms.append(try room("r-\(block)", codes(referential, block: block), hoursLater: Double(index + 1)))
        }
        let outcome = CandidateOutcome(candidate: "c1", track: dev, referential: referential, rooms: rooms)
        #expect(outcome.blocks.first { $0.code == "A1" }?.status == .notValidated)
        #expect(outcome.blocks.first { $0.code == "A1" }?.acquired == a1.count - 1)
        #expect(outcome.status == .notCertified)
    }

    @Test func aReSitCountsItsLatestSignedDecisionAndListsTheEarlierOnes() throws {
        let (dev, referential) = try track("dev")
        let a1 = codes(referential, block: "A1")
        let first = try room("r-first", a1, hoursLater: 0, [a1[0]: .nonAcquis])
        let resit = try room("r-resit", [a1[0]], hoursLater: 24, [a1[0]: .acquis])
        // The order of the rooms given does not matter: signing time does.
        let outcome = CandidateOutcome(candidate: "c1", track: dev, referential: referential, rooms: [resit, first])
        let result = try #require(outcome.competences.first { $0.code == a1[0] })
        #expect(result.status == .acquis)
        #expect(result.decision?.room == "r-resit")
        #expect(result.earlier.map(\.room) == ["r-first"] && result.earlier.first?.decision == .nonAcquis)
        #expect(outcome.blocks.first { $0.code == "A1" }?.status == .validated)
        // A later re-sit that fails takes it back.
        let again = try room("r-again", [a1[0]], hoursLater: 48, [a1[0]: .nonAcquis])
        let later = CandidateOutcome(candidate: "c1", track: dev, referential: referential, rooms: [first, again, resit])
        #expect(later.competences.first { $0.code == a1[0] }?.status == .nonAcquis)
        #expect(later.competences.first { $0.code == a1[0] }?.earlier.map(\.room) == ["r-first", "r-resit"])
    }

    @Test func theRuleIsTheReferentialsData() throws {
        var (dev, referential) = try track("dev")
        let a1 = codes(referential, block: "A1")
        referential.outcomeRule = .init(competencesPerBlock: .atLeast(a1.count - 1), blocksPerTrack: .atLeast(1))
        dev = try #require(referential.specialisation(track: "dev"))
        let rooms = [try room("r-A1", a1, [a1[0]: .nonAcquis])]
        let outcome = CandidateOutcome(candidate: "c1", track: dev, referential: referential, rooms: rooms)
        #expect(outcome.blocks.first { $0.code == "A1" }?.status == .validated)
        #expect(outcome.status == .certified && outcome.blocksNeeded == 1)
    }

    @Test func aRuleThatNeedsNothingIsRefusedByTheCheck() throws {
        let loaded = try ReferentialLoader.bundled()
        var referential = loaded.referential
        referential.outcomeRule = .init(competencesPerBlock: .atLeast(0), blocksPerTrack: .all)
        let issues = ReferentialLoader.validate(referential)
        #expect(issues.contains { $0.entry == "outcomeRule" })
        var duplicated = loaded.referential
        duplicated.specialisations[1].track = "dev"
        #expect(ReferentialLoader.validate(duplicated).contains { $0.problem.contains("track dev is used twice") })
        // The rule reads from the file as "all" or a number.
        let json = #"{"competencesPerBlock":"all","blocksPerTrack":3}"#
        let rule = try JSONDecoder().decode(Referential.OutcomeRule.self, from: Data(json.utf8))
        #expect(rule == .init(competencesPerBlock: .all, blocksPerTrack: .atLeast(3)))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Referential.OutcomeRule.self, from: Data(#"{"competencesPerBlock":"most","blocksPerTrack":3}"#.utf8)) }
    }
}
