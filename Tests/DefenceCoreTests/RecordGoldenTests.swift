import DefenceCore
import DefenceProtocol
import Foundation
import Testing

/// The PV and the transcript, word for word, in French and in English, with local times: each compared with its
/// golden file in `Fixtures/golden/`. Run with `DEFENCE_WRITE_GOLDEN=1` to write them again after a deliberate
/// change, and read the diff.
@Suite struct RecordGoldenTests {
    typealias H = RoomHarness
    static let paris = TimeZone(identifier: "Europe/Paris") ?? .gmt

    static let people: [String: User] = [
        "c1": User(id: "c1", role: .candidate, displayName: "Léa", createdAt: H.t0, fields: AccountFields(track: "dev", number: "2026-0042", legalName: "DUPONT Léa Marie")),
        "c2": User(id: "c2", role: .candidate, displayName: "Hugo", createdAt: H.t0, fields: AccountFields(track: "dev", number: "2026-0043")),
        "j1": User(id: "j1", role: .juror, displayName: "Camille Martin", createdAt: H.t0, fields: AccountFields(capacity: "Architecte SI, société X")),
        "j2": User(id: "j2", role: .juror, displayName: "Paul Bernard", createdAt: H.t0),
    ]

    /// A team room with one of everything the PV prints: an outage declined, a restart, the written parts, marks,
    /// proposals, decisions, observations, signatures.
    static func room() throws -> RoomHarness {
        var room = H()
        try room.run(.join, by: H.c1)
        try room.run(.join, by: H.j1)
        try room.run(.startTimer, by: H.j1)
        _ = try room.advance(60)
        try room.run(.connectionLost, by: H.c1)
        _ = try room.advance(12)
        try room.run(.join, by: H.c1)
        try room.run(.declineOutage(id: 1, reason: "coupure brève"), by: H.j1)
        _ = try room.advance(30)
        try room.run(.restart(reason: "micro du jury hors service"), by: H.j1)
        try room.run(.startTimer, by: H.j1)
        try room.run(.mark(candidate: "c1", criterion: "A1C1.1", mark: .met, comment: "veille structurée"), by: H.j1)
        try room.run(.mark(candidate: "c1", criterion: "A1C1.2", mark: .partlyMet, comment: nil), by: H.j2)
        try room.run(.recordEvidence(candidate: "c1", part: .written, text: "production claire"), by: H.j1)
        try room.run(.recordEvidence(candidate: "c1", part: .test, text: "14/20"), by: H.j2)
        _ = try room.advance(1800)
        try room.run(.deliberate, by: H.j1)
        try room.run(.propose(candidate: "c1", competence: "A1C1", decision: .acquis, comment: nil), by: H.j2)
        try room.run(.decide(candidate: "c1", competence: "A1C1", decision: .acquis, comment: "solide"), by: H.j1)
        try room.run(.decide(candidate: "c2", competence: "A1C1", decision: .nonAcquis, comment: "veille absente"), by: H.j1)
        try room.run(.writeObservations(text: "Équipe soudée ; Léa a porté la démonstration."), by: H.j1)
        _ = try room.advance(120)
        try room.run(.sign, by: H.j1)
        try room.run(.sign, by: H.j2)
        return room
    }

    static func golden(_ name: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden")
        let url = folder.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["DEFENCE_WRITE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "\(name) differs from its golden file; first difference near: \(Self.firstDifference(text, expected))", sourceLocation: sourceLocation)
    }

    static func firstDifference(_ a: String, _ b: String) -> String {
        let left = a.split(separator: "\n", omittingEmptySubsequences: false)
        let right = b.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, pair) in zip(left, right).enumerated() where pair.0 != pair.1 { return "line \(index + 1): '\(pair.0)' vs '\(pair.1)'" }
        return "lengths \(left.count) vs \(right.count)"
    }

    @Test(arguments: RecordLanguage.allCases)
    func theProcesVerbal(_ language: RecordLanguage) throws {
        let room = try Self.room()
        let referential = try #require(try? ReferentialLoader.bundled().referential)
        let pv = ProcesVerbal(
            state: room.state, events: room.events, referential: referential, people: Self.people,
            fingerprint: String(repeating: "ab", count: 32), generatedAt: room.now.addingTimeInterval(300), language: language, timeZone: Self.paris
        )
        try Self.golden("pv-\(language.rawValue).md", pv.markdown)
        #expect(pv.html.contains("<html lang=\"\(language.rawValue)\">"))
    }

    @Test(arguments: RecordLanguage.allCases)
    func theTranscript(_ language: RecordLanguage) throws {
        let referential = try #require(try? ReferentialLoader.bundled().referential)
        let track = try #require(referential.specialisation(track: "dev"))
        // The team room, then a final defence that decides A1C1 again (a re-sit) and A1C4.
        let first = try Self.room().state
        var plan = H.plan
        plan.id = "finale-c1"
        plan.kind = .final
        plan.candidates = ["c1"]
        plan.competences = ["A1C1", "A1C4"]
        var final = H(plan: plan)
        final.now = final.now.addingTimeInterval(7 * 86_400)
        try final.run(.join, by: H.c1)
        try final.run(.startTimer, by: H.j1)
        try final.run(.deliberate, by: H.j1)
        try final.run(.decide(candidate: "c1", competence: "A1C1", decision: .nonAcquis, comment: nil), by: H.j1)
        try final.run(.decide(candidate: "c1", competence: "A1C4", decision: .acquis, comment: nil), by: H.j1)
        try final.run(.sign, by: H.j1)
        try final.run(.sign, by: H.j2)
        let outcome = CandidateOutcome(candidate: "c1", track: track, referential: referential, rooms: [first, final.state])
        let transcript = CandidateTranscript(
            outcome: outcome, candidate: try #require(Self.people["c1"]), referential: referential, people: Self.people,
            generatedAt: final.now.addingTimeInterval(600), language: language, timeZone: Self.paris
        )
        try Self.golden("transcript-\(language.rawValue).md", transcript.markdown)
        #expect(transcript.html.contains("<title>\(language == .fr ? "Relevé de compétences" : "Transcript of competences")</title>"))
        // The final defence's PV shows the decision already signed in the team room.
        let earlier = CandidateOutcome.earlierDecisions(of: "c1", before: "finale-c1", in: [first, final.state])
        let pv = ProcesVerbal(
            state: final.state, events: final.events, referential: referential, people: Self.people, earlier: ["c1": earlier],
            fingerprint: "ff", generatedAt: final.now, language: language, timeZone: Self.paris
        )
        #expect(pv.markdown.contains(language == .fr ? "Décision déjà signée : ACQUIS (salle r1, signée le 15/01/2027" : "Decision already signed: ACQUIRED (room r1, signed 2027-01-15"))
    }

    /// A reopening keeps the decision signed before it; an extension is a decision of the president; user text
    /// is never read as Markdown.
    @Test func reopeningsExtensionsAndUserTextStandInTheRecord() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        try room.run(.startTimer, by: H.j1)
        _ = try room.advance(60)
        try room.run(.connectionLost, by: H.c1)
        _ = try room.advance(20)
        try room.run(.join, by: H.c1)
        try room.run(.compensateOutage(id: 1), by: H.j1)
        try room.run(.deliberate, by: H.j1)
        try room.run(.decide(candidate: "c1", competence: "A1C1", decision: .nonAcquis, comment: nil), by: H.j1)
        try room.run(.decide(candidate: "c2", competence: "A1C1", decision: .acquis, comment: nil), by: H.j1)
        try room.run(.sign, by: H.j1)
        try room.run(.sign, by: H.j2)
        try room.run(.reopen(reason: "erreur de saisie"), by: H.admin)
        try room.run(.decide(candidate: "c1", competence: "A1C1", decision: .acquis, comment: nil), by: H.j1)
        try room.run(.sign, by: H.j1)
        try room.run(.sign, by: H.j2)
        var people = Self.people
        people["c1"]?.fields.legalName = "PETIT | Hugo <b>**gras**</b>"
        let referential = try #require(try? ReferentialLoader.bundled().referential)
        for language in RecordLanguage.allCases {
            let pv = ProcesVerbal(
                state: room.state, events: room.events, referential: referential, people: people,
                fingerprint: "ff", generatedAt: room.now, language: language, timeZone: Self.paris
            ).markdown
            #expect(pv.contains(language == .fr ? "signée NON ACQUIS avant la réouverture du" : "signed NOT ACQUIRED before the reopening of"), "\(language)")
            #expect(pv.contains(language == .fr ? ": prolonger le temps de 20 s pour la coupure n°1" : ": to extend the time by 20 s for outage #1"))
            #expect(pv.contains(language == .fr ? "compensation de la coupure n°1" : "compensation of outage #1"))
            #expect(!pv.contains("outage 1 |"), "the server's own words are not left in the record")
            #expect(pv.contains("PETIT \\| Hugo \\<b\\>\\*\\*gras\\*\\*\\</b\\>"))
            #expect(!pv.contains("<b>"))
        }
    }
}
