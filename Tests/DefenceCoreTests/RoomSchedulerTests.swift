import DefenceCore
import Foundation
import Testing

@Suite struct RoomSchedulerTests {
    let referential: LoadedReferential
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let users: [String: User]

    init() throws {
        referential = try ReferentialLoader.bundled()
        var users: [String: User] = [:]
        for (id, role) in [("c1", Role.candidate), ("c2", .candidate), ("c3", .candidate), ("c4", .candidate), ("c5", .candidate),
                           ("j1", .juror), ("j2", .juror), ("j3", .juror), ("boss", .admin)] {
            users[id] = User(id: id, role: role, displayName: id, createdAt: Date(timeIntervalSince1970: 0))
        }
        self.users = users
    }

    func request(_ edit: (inout RoomRequest) -> Void = { _ in }) -> RoomRequest {
        var request = RoomRequest(id: "r1", kind: .team, start: t0, candidates: ["c1", "c2"], jurors: ["j1", "j2"], president: "j1", block: "A1")
        edit(&request)
        return request
    }

    func plan(_ request: RoomRequest, others: [RoomPlan] = []) throws -> RoomPlan {
        try RoomScheduler.plan(request, referential: referential, users: { users[$0] }, otherRooms: others)
    }

    func code(_ request: RoomRequest, others: [RoomPlan] = []) -> String? {
        do {
            _ = try plan(request, others: others)
            return nil
        } catch let error as DomainError {
            return error.code.rawValue
        } catch {
            return "?"
        }
    }

    @Test func defaultsForATeamDefence() throws {
        let plan = try plan(request())
        #expect(plan.epreuve == 2)
        #expect(plan.competences == ["A1C1", "A1C2", "A1C3", "A1C6", "A1C7"])
        #expect(plan.phases == [Phase(name: "presentation", seconds: 1200), Phase(name: "questions", seconds: 600)])
        #expect(plan.durationSeconds == 1800)
        #expect(plan.warnings == [300, 60])
        #expect(plan.visibility == .live)
        #expect(plan.referentialHash == referential.hash)
    }

    @Test func defaultsForAnIndividualDefenceOfASpecialisation() throws {
        let plan = try plan(request { $0.kind = .individual; $0.candidates = ["c1"]; $0.block = nil; $0.specialisation = "infrastructure-cloud-virtualisation" })
        #expect(plan.epreuve == 1)
        #expect(plan.durationSeconds == 2700)
        #expect(plan.competences == ["A1C4", "A1C5", "A4C6", "A6C1", "A6C2", "A6C3", "A6C4", "A6C5"])
    }

    @Test func explicitCompetencesAreKeptInReferentialOrder() throws {
        #expect(try plan(request { $0.competences = ["A2C1", "A1C2"] }).competences == ["A1C2", "A2C1"])
    }

    @Test func teamSize() {
        #expect(code(request { $0.candidates = [] }) == "TEAM_SIZE")
        #expect(code(request { $0.candidates = ["c1", "c2", "c3", "c4", "c5"] }) == "TEAM_SIZE")
        #expect(code(request { $0.candidates = ["c1", "c2", "c3", "c4"] }) == nil)
        #expect(code(request { $0.kind = .individual; $0.block = "A4" }) == "TEAM_SIZE")
        #expect(code(request { $0.candidates = ["c1", "c1"] }) == "TEAM_SIZE")
    }

    @Test func juryComposition() {
        #expect(code(request { $0.jurors = ["j1"] }) == "JURY_COMPOSITION")
        #expect(code(request { $0.jurors = ["j1", "j1"] }) == "JURY_COMPOSITION")
        #expect(code(request { $0.jurors = ["j1", "j2", "j3"] }) == "JURY_COMPOSITION")
        #expect(code(request { $0.president = "j3" }) == "JURY_COMPOSITION")
    }

    @Test func doubleBooking() throws {
        let other = try plan(request { $0.id = "r0"; $0.candidates = ["c3"]; $0.jurors = ["j2", "j3"]; $0.president = "j3"; $0.start = t0.addingTimeInterval(1200) })
        #expect(code(request(), others: [other]) == "DOUBLE_BOOKED")
        // Back to back is fine.
        #expect(code(request { $0.start = t0.addingTimeInterval(-1800 + 1200) }, others: [other]) == nil)
        // Updating a room does not clash with itself.
        #expect(code(request { $0.id = "r0"; $0.candidates = ["c3"]; $0.jurors = ["j2", "j3"]; $0.president = "j3" }, others: [other]) == nil)
    }

    @Test func roleConflict() {
        #expect(code(request { $0.candidates = ["c1", "j2"] }) == "ROLE_CONFLICT")
    }

    @Test func accountsMustExistAndFit() {
        #expect(code(request { $0.candidates = ["ghost"] }) == "UNKNOWN_USER")
        #expect(code(request { $0.candidates = ["j3"] }) == "WRONG_ROLE")
        #expect(code(request { $0.jurors = ["j1", "c3"] }) == "WRONG_ROLE")
        #expect(code(request { $0.jurors = ["j1", "boss"] }) == "WRONG_ROLE")
    }

    @Test func unknownCompetence() {
        #expect(code(request { $0.competences = ["A1C9"] }) == "UNKNOWN_COMPETENCE")
        #expect(code(request { $0.competences = [] }) == "UNKNOWN_COMPETENCE")
    }

    @Test func competenceOfAnotherEpreuve() {
        #expect(code(request { $0.competences = ["A1C1", "A1C4"] }) == "WRONG_EPREUVE")
        #expect(code(request { $0.kind = .individual; $0.candidates = ["c1"]; $0.competences = ["A1C1"] }) == "WRONG_EPREUVE")
        #expect(code(request { $0.block = "A6" }) == "WRONG_EPREUVE", "A6 has no team competence")
    }

    @Test func phasesMustAddUpToTheEpreuve() {
        #expect(code(request { $0.phases = [Phase(name: "all", seconds: 1500)] }) == "BAD_PHASES")
        #expect(code(request { $0.phases = [Phase(name: "Présentation", seconds: 1800)] }) == "BAD_PHASES")
        #expect(code(request { $0.phases = [Phase(name: "a", seconds: 1770), Phase(name: "b", seconds: 30)] }) == "BAD_PHASES")
        #expect(code(request { $0.phases = [Phase(name: "a", seconds: 900), Phase(name: "a", seconds: 900)] }) == "BAD_PHASES")
        #expect(code(request { $0.phases = [Phase(name: "demo", seconds: 900), Phase(name: "questions", seconds: 900)] }) == nil)
    }

    @Test func otherFieldsAreChecked() {
        #expect(code(request { $0.id = "Room 1" }) == "INVALID")
        #expect(code(request { $0.warnings = [0] }) == "INVALID")
        #expect(code(request { $0.warnings = [1800] }) == "INVALID")
        #expect(code(request { $0.block = nil }) == "BAD_ARGUMENTS")
        #expect(code(request { $0.block = "A9" }) == "NOT_FOUND")
        #expect(code(request { $0.block = nil; $0.specialisation = "nope" }) == "NOT_FOUND")
    }
}
