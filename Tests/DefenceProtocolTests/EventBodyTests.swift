import DefenceProtocol
import Foundation
import Testing

/// The typed event bodies: every type written and read back the same, through a whole line; malformed words refused.
@Suite struct EventBodyTests {
    static let t = Date(timeIntervalSince1970: 1_796_112_000.125)

    /// One body of every type, with every optional part set where the type has one.
    static let samples: [EventBody] = [
        .scheduled(kind: "team", start: t, end: t.addingTimeInterval(1800)),
        .updated(kind: "individual", start: t, end: t.addingTimeInterval(2700)),
        .cancelled(by: "admin", reason: "jury indisponible"), .opened,
        .joined(user: "lea", role: "candidate"), .left(user: "camille", role: "juror"), .connectionLost(user: "lea", role: "candidate"),
        .timerStarted(by: "camille", endsAt: t), .timerResumed(by: "paul", endsAt: t),
        .timerPaused(by: "camille", remainingMs: 754_000, reason: "coupure son"),
        .timeAdjusted(by: "camille", delta: 120, clock: .endsAt(t), reason: "démarrage tardif"),
        .timeAdjusted(by: "camille", delta: -60, clock: .remainingMs(60_000), reason: nil),
        .phase(index: 1, name: "questions", seconds: 600), .warning(secondsLeft: 300), .overtime,
        .message(from: "camille", audience: .jury, text: "il lit ses notes : bien"), .signal(from: "lea", kind: .hand), .signal(from: "lea", kind: .lower), .acknowledged(juror: "camille", candidate: "lea"),
        .outageStarted(id: 1, user: "lea"), .outageEnded(id: 1, user: "lea", seconds: 45),
        .downtime(id: 2, from: t, seconds: 12), .outageCompensated(id: 1, by: "camille", seconds: 45),
        .deliberation(by: "paul"),
        .mark(juror: "camille", candidate: "lea", criterion: "A1C1.2", mark: .partlyMet, comment: "sources peu variées"),
        .mark(juror: "camille", candidate: "lea", criterion: "A1C1.2", mark: nil, comment: nil),
        .proposal(juror: "paul", candidate: "lea", competence: "A1C1", decision: .acquis, comment: nil),
        .proposal(juror: "paul", candidate: "lea", competence: "A1C1", decision: nil, comment: nil),
        .gridSubmitted(juror: "paul"),
        .decision(by: "camille", candidate: "lea", competence: "A1C1", decision: .nonAcquis, comment: "incomplet"),
        .signed(juror: "camille", gridHash: String(repeating: "ab", count: 32)), .signatureWithdrawn(juror: "paul"), .locked,
        .reopened(by: "admin", reason: "erreur de saisie"),
        .evidence(juror: "paul", candidate: "lea", part: .written, text: "production claire, 14/20"),
        .observations(by: "camille", text: "équipe soudée ; Léa a porté la démonstration"),
        .outageDeclined(id: 1, by: "camille", reason: "coupure de 5 s, sans effet"),
        .restarted(by: "camille", reason: "micro du jury hors service"), .postponed(by: "camille", reason: "candidate souffrante"),
    ]

    @Test func everyTypeIsSampled() {
        #expect(Set(Self.samples.map(\.type)).count == 35)
    }

    @Test(arguments: samples)
    func aBodyReadsBackAsWritten(_ body: EventBody) throws {
        let line = EventLine(room: "r1", seq: 7, at: Self.t, body: body)
        let text = line.message.serialized
        let message = try #require(try LineParser().parse(text))
        let read = try #require(EventLine(message), "\(text)")
        #expect(read == line)
        #expect(read.body == body, "\(text)")
        #expect(read.seq == 7 && read.room == "r1" && read.time == "2026-12-01T08:00:00.125Z")
    }

    @Test(arguments: [
        "EVENT r1 3 2026-12-01T08:00:00.000Z joined", "EVENT r1 3 2026-12-01T08:00:00.000Z joined lea",
        "EVENT r1 3 2026-12-01T08:00:00.000Z mark camille lea A1C1.1 good", "EVENT r1 3 2026-12-01T08:00:00.000Z message camille everyone :x",
        "EVENT r1 3 2026-12-01T08:00:00.000Z message camille room", "EVENT r1 3 2026-12-01T08:00:00.000Z warning soon",
        "EVENT r1 3 2026-12-01T08:00:00.000Z time-adjusted by=camille delta=+1x ends-at=2026-12-01T08:00:00.000Z",
        "EVENT r1 3 2026-12-01T08:00:00.000Z timer-started camille ends-at=2026-12-01T08:00:00.000Z",
        "EVENT r1 3 2026-12-01T08:00:00.000Z opened extra", "EVENT r1 3 2026-12-01T08:00:00.000Z teleported",
    ])
    func malformedWordsAreNotABody(_ text: String) throws {
        let message = try #require(try LineParser().parse(text))
        let line = try #require(EventLine(message))
        #expect(line.body == nil, "\(text)")
    }
}
