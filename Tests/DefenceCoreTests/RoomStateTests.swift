import DefenceCore
import Foundation
import Testing

/// A room run as a value: commands in, events out, state = fold of events.
struct RoomHarness {
    var state: RoomState
    var events: [RoomEvent]
    var now: Date

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let plan = RoomPlan(
        id: "r1", kind: .team, epreuve: 2, referentialHash: "h", competences: ["A1C1"],
        candidates: ["c1", "c2"], jurors: ["j1", "j2"], president: "j1", start: t0,
        phases: [Phase(name: "presentation", seconds: 1200), Phase(name: "questions", seconds: 600)],
        warnings: [300, 60], visibility: .live
    )

    /// The checklist of the plan's competences in the bundled referential (A1C1: five criteria).
    static let checklist = (try? ReferentialLoader.bundled().referential).map { RoomChecklist(plan: plan, referential: $0) }
        ?? RoomChecklist(criteria: [])

    init(plan: RoomPlan = RoomHarness.plan) {
        now = Self.t0
        let first = RoomEvent(room: plan.id, seq: 1, at: now, kind: .scheduled(plan))
        state = RoomState(scheduled: plan, at: now)
        events = [first]
    }

    static let admin = RoomActor(user: "admin", role: .admin)
    static let j1 = RoomActor(user: "j1", role: .juror)
    static let j2 = RoomActor(user: "j2", role: .juror)
    static let c1 = RoomActor(user: "c1", role: .candidate)

    @discardableResult
    mutating func run(_ command: RoomCommand, by actor: RoomActor) throws -> [RoomEventKind] {
        let kinds = try state.decide(command, by: actor, at: now, checklist: Self.checklist)
        for kind in kinds {
            let event = RoomEvent(room: state.plan.id, seq: state.lastSeq + 1, at: now, kind: kind)
            events.append(event)
            state.apply(event)
        }
        return kinds
    }

    mutating func advance(_ seconds: Double) throws -> [RoomEventKind] {
        now = now.addingTimeInterval(seconds)
        return try run(.tick, by: Self.admin)
    }

    func code(_ command: RoomCommand, by actor: RoomActor) -> String? {
        do {
            _ = try state.decide(command, by: actor, at: now, checklist: Self.checklist)
            return nil
        } catch {
            return error.code.rawValue
        }
    }
}

@Suite struct RoomStateTests {
    typealias H = RoomHarness

    @Test func lifecycleFromLobbyToDeliberation() throws {
        var room = H()
        #expect(try room.run(.join, by: H.c1) == [.opened, .joined(user: "c1")])
        #expect(room.state.lifecycle == .open)
        #expect(try room.run(.join, by: H.c1) == [], "a second connection of the same person is not news")
        #expect(try room.run(.join, by: H.admin) == [], "admins observe without presence")
        #expect(try room.run(.startTimer, by: H.j1) == [.timerStarted(by: "j1", endsAt: H.t0.addingTimeInterval(1800)), .phaseChanged(index: 0)])
        #expect(room.state.lifecycle == .running)
        #expect(try room.run(.deliberate, by: H.j2) == [.deliberationStarted(by: "j2")])
        #expect(room.state.lifecycle == .deliberation)
        #expect(room.code(.startTimer, by: H.j1) == "WRONG_STATE")
    }

    @Test func phasesWarningsAndOvertimeAtTheRightMoments() throws {
        var room = H()
        try room.run(.startTimer, by: H.j1)
        #expect(room.state.nextDue() == H.t0.addingTimeInterval(1200))
        #expect(try room.advance(1199) == [])
        #expect(try room.advance(1) == [.phaseChanged(index: 1)])
        #expect(room.state.nextDue() == H.t0.addingTimeInterval(1500))
        #expect(try room.advance(299) == [])
        #expect(try room.advance(1) == [.warning(secondsLeft: 300)])
        #expect(try room.advance(240) == [.warning(secondsLeft: 60)])
        #expect(try room.advance(60) == [.overtime])
        #expect(room.state.nextDue() == nil)
        #expect(room.state.remaining(at: room.now.addingTimeInterval(30)) == -30, "the clock keeps counting in overtime")
        #expect(try room.advance(100) == [])
    }

    @Test func aLateTickEmitsEverythingDueInOrder() throws {
        var room = H()
        try room.run(.startTimer, by: H.j1)
        #expect(try room.advance(1790) == [.phaseChanged(index: 1), .warning(secondsLeft: 300), .warning(secondsLeft: 60)])
    }

    @Test func pauseFreezesTheClockAndResumeMovesTheDeadline() throws {
        var room = H()
        try room.run(.startTimer, by: H.j1)
        _ = try room.advance(100)
        #expect(try room.run(.pause(reason: "sound problem"), by: H.j2) == [.timerPaused(by: "j2", remaining: 1700, reason: "sound problem")])
        #expect(room.state.nextDue() == nil)
        _ = try room.advance(500)
        #expect(room.state.remaining(at: room.now) == 1700)
        #expect(try room.run(.resume, by: H.j1) == [.timerResumed(by: "j1", endsAt: room.now.addingTimeInterval(1700))])
        #expect(room.code(.resume, by: H.j1) == "WRONG_STATE")
    }

    @Test func addingTimeExtendsTheCurrentPhaseAndRearmsWarnings() throws {
        var room = H()
        try room.run(.startTimer, by: H.j1)
        _ = try room.advance(1500)  // phase 1 + warning 300
        #expect(room.state.warned == [300])
        try room.run(.adjust(seconds: 120, reason: "late start"), by: H.j1)
        #expect(room.state.remaining(at: room.now) == 420)
        #expect(room.state.warned.isEmpty)
        #expect(try room.advance(120) == [.warning(secondsLeft: 300)])
        // Removing time stops at zero: never a deadline in the past.
        #expect(room.code(.adjust(seconds: -600, reason: nil), by: H.admin) == "INVALID")
        try room.run(.adjust(seconds: -300, reason: nil), by: H.admin)
        #expect(try room.run(.tick, by: H.admin) == [.warning(secondsLeft: 60), .overtime])
        #expect(room.code(.adjust(seconds: -1, reason: nil), by: H.j1) == "INVALID", "nothing is left to remove in overtime")
        try room.run(.adjust(seconds: 60, reason: "question posée en retard"), by: H.j1)
        #expect(room.state.remaining(at: room.now) == 60)
    }

    /// Missing text is the parser's `BAD_ARGUMENTS`; blank text (spaces, invisible characters) is `INVALID` for every verb.
    @Test func blankTextIsInvalidWhateverItsSpaces() throws {
        var room = H()
        try room.run(.join, by: H.j1)
        try room.run(.startTimer, by: H.j1)
        for blank in ["   ", "\u{00A0}", "\u{200B}\u{FEFF}"] {
            #expect(room.code(.say(audience: .room, text: blank), by: H.j1) == "INVALID")
            #expect(room.code(.restart(reason: blank), by: H.j1) == "INVALID")
        }
        try room.run(.say(audience: .room, text: "\u{00A0}Bonjour"), by: H.j1)
    }

    /// Someone away when the server stopped is still away after it: a new outage runs from the restart.
    @Test func anAbsenceOutlastsADowntime() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        try room.run(.startTimer, by: H.j1)
        _ = try room.advance(30)
        try room.run(.connectionLost, by: H.c1)
        let stoppedAt = room.now.addingTimeInterval(5)
        _ = try room.advance(20)
        #expect(try room.run(.serverRestarted(since: stoppedAt), by: H.admin) == [.downtime(id: 2, from: stoppedAt), .outageStarted(id: 3, user: "c1")])
        _ = try room.advance(10)
        #expect(try room.run(.join, by: H.c1).contains(.outageEnded(id: 3, user: "c1")))
        #expect(room.state.outages.map(\.seconds) == [5, 15, 10])
        // A blank optional reason is refused like a blank required one.
        #expect(room.code(.pause(reason: "\u{00A0}"), by: H.j1) == "INVALID")
    }

    @Test func candidatesNeverRunTheClock() throws {
        var room = H()
        #expect(room.code(.startTimer, by: H.c1) == "FORBIDDEN")
        // The juror's start must succeed: the candidate's refusals below are about a running clock.
        _ = try room.run(.startTimer, by: H.j1)
        #expect(room.code(.pause(reason: nil), by: H.c1) == "FORBIDDEN")
        #expect(room.code(.adjust(seconds: 60, reason: nil), by: H.c1) == "FORBIDDEN")
        #expect(room.code(.say(audience: .room, text: "hi"), by: H.c1) == "FORBIDDEN")
        #expect(room.code(.deliberate, by: H.c1) == "FORBIDDEN")
        #expect(room.code(.signal(.hand), by: H.j1) == "FORBIDDEN")
        #expect(room.code(.signal(.hand), by: H.c1) == nil)
    }

    @Test func messagesAreCheckedAndJuryOnlyIsMarked() throws {
        var room = H()
        #expect(room.code(.say(audience: .room, text: String(repeating: "a", count: 1001)), by: H.j1) == "TEXT_TOO_LONG")
        // Unicode scalars are counted (§3): 500 flags are 1,000 scalars (taken), 501 are 1,002 (refused), though Swift
        // counts 500 and 501 characters.
        #expect(room.code(.say(audience: .room, text: String(repeating: "🇫🇷", count: 501)), by: H.j1) == "TEXT_TOO_LONG")
        #expect(room.code(.say(audience: .room, text: String(repeating: "🇫🇷", count: 500)), by: H.j1) == nil)
        #expect(room.code(.say(audience: .room, text: "  "), by: H.j1) == "INVALID")
        #expect(room.code(.say(audience: .room, text: "bell\u{7}"), by: H.j1) == "INVALID")
        let kinds = try room.run(.say(audience: .jury, text: "il lit ses notes"), by: H.j1)
        #expect(kinds.first?.isJuryOnly == true)
        #expect(RoomEventKind.message(from: "j1", audience: .room, text: "x").isJuryOnly == false)
        #expect(RoomEventKind.signal(from: "c1", kind: .hand).isJuryOnly)
    }

    @Test func outagesAreLedgeredAndThePresidentCompensatesThem() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        try room.run(.startTimer, by: H.j1)
        _ = try room.advance(60)
        #expect(try room.run(.connectionLost, by: H.c1) == [.connectionLost(user: "c1"), .outageStarted(id: 1, user: "c1")])
        #expect(room.code(.compensateOutage(id: 1), by: H.j1) == "WRONG_STATE", "not ended yet")
        room.now = room.now.addingTimeInterval(45)
        #expect(try room.run(.join, by: H.c1) == [.joined(user: "c1"), .outageEnded(id: 1, user: "c1")])
        #expect(room.state.outages.first?.seconds == 45)
        #expect(room.code(.compensateOutage(id: 1), by: H.j2) == "FORBIDDEN", "only the president decides")
        #expect(room.code(.compensateOutage(id: 9), by: H.j1) == "NOT_FOUND")
        let before = room.state.remaining(at: room.now)
        #expect(try room.run(.compensateOutage(id: 1), by: H.j1) == [
            .outageCompensated(id: 1, by: "j1", seconds: 45), .timeAdjusted(by: "j1", seconds: 45, reason: "outage 1"),
        ])
        #expect(room.state.remaining(at: room.now) == before + 45)
        #expect(room.code(.compensateOutage(id: 1), by: H.j1) == "WRONG_STATE", "once only")
    }

    /// An outage of zero seconds gives no time back, but the president's decision is an event, and only once.
    @Test func aZeroSecondOutageIsCompensatedAsAnEvent() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        try room.run(.startTimer, by: H.j1)
        _ = try room.advance(60)
        _ = try room.run(.connectionLost, by: H.c1)
        _ = try room.run(.join, by: H.c1)
        #expect(room.state.outages.first?.seconds == 0)
        let before = room.state.remaining(at: room.now)
        #expect(try room.run(.compensateOutage(id: 1), by: H.j1) == [.outageCompensated(id: 1, by: "j1", seconds: 0)])
        #expect(room.state.remaining(at: room.now) == before)
        #expect(room.code(.compensateOutage(id: 1), by: H.j1) == "WRONG_STATE", "once only")
    }

    @Test func losingTheConnectionInTheLobbyIsNotAnOutage() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        #expect(try room.run(.connectionLost, by: H.c1) == [.connectionLost(user: "c1")])
        #expect(try room.run(.leave, by: H.c1) == [])
    }

    @Test func aServerRestartRecordsTheDowntimeAndKeepsTheDeadline() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        try room.run(.startTimer, by: H.j1)
        let endsAt = room.state.endsAt
        let crash = room.now.addingTimeInterval(100)
        room.now = crash.addingTimeInterval(20)
        #expect(try room.run(.serverRestarted(since: crash), by: H.admin) == [.downtime(id: 1, from: crash)])
        #expect(room.state.endsAt == endsAt)
        #expect(room.state.present.isEmpty)
        #expect(room.state.outages == [Outage(id: 1, user: nil, from: crash, to: room.now, compensatedSeconds: nil)])
        #expect(try room.run(.compensateOutage(id: 1), by: H.j1).count == 2)
    }

    @Test func cancelAndUpdateAreForAdminsBeforeTheStart() throws {
        var room = H()
        #expect(room.code(.cancel(reason: nil), by: H.j1) == "FORBIDDEN")
        var plan = H.plan
        plan.title = "Salle B"
        try room.run(.update(plan), by: H.admin)
        #expect(room.state.plan.title == "Salle B")
        try room.run(.startTimer, by: H.j1)
        #expect(room.code(.update(plan), by: H.admin) == "WRONG_STATE")
        #expect(room.code(.cancel(reason: nil), by: H.admin) == "WRONG_STATE")
    }

    @Test func theStateIsTheFoldOfTheEvents() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        try room.run(.startTimer, by: H.j1)
        _ = try room.advance(1300)
        try room.run(.pause(reason: nil), by: H.j1)
        try room.run(.adjust(seconds: 90, reason: "r"), by: H.j1)
        try room.run(.connectionLost, by: H.c1)
        #expect(try RoomState.fold(room.events) == room.state)
        // Events survive a JSON round trip (they are stored as JSON).
        let data = try JSONEncoder().encode(room.events)
        #expect(try RoomState.fold(JSONDecoder().decode([RoomEvent].self, from: data)) == room.state)
        var gap = room.events
        gap.remove(at: 2)
        #expect(throws: DomainError.self) { try RoomState.fold(gap) }
    }
}
