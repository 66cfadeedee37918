@testable import DefenceCore
import Foundation
import Testing

/// A room's snapshot read by hand: the same state as `JSONDecoder`'s from the same text.
@Suite struct RoomStateJSONTests {
    typealias H = RoomHarness

    /// Checks one state: `JSONEncoder`'s text of it is read directly (not through `JSONDecoder`) into an equal
    /// state, which is also `JSONDecoder`'s.
    static func check(_ state: RoomState, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        #expect(try JSONDecoder().decode(RoomState.self, from: Data(text.utf8)) == state, sourceLocation: sourceLocation)
        #expect(RoomStateJSON.state(in: text) == state, "read directly: \(text)", sourceLocation: sourceLocation)
        #expect(try RoomStateJSON.decode(text) == state, sourceLocation: sourceLocation)
    }

    /// A whole defence with every part of the state in use (outages, a downtime, pauses, marks with and without
    /// comments and cleared, proposals withdrawn, a blind room's submitted grids, decisions, signatures withdrawn and
    /// given, a reopening), every state along the way checked.
    @Test func everyStateOfADefenceReadsBackTheSame() throws {
        // The plan carries any text; commands refuse control characters.
        let awkward = RoomEventJSONTests.awkward
        let typed = String(String.UnicodeScalarView(awkward.unicodeScalars.filter { $0.properties.generalCategory != .control }))
        var plan = H.plan
        plan.title = awkward
        plan.visibility = .blind
        plan.candidates = ["c1", "c2", awkward]
        plan.phases = [Phase(name: awkward, seconds: 1200), Phase(name: "questions", seconds: 600)]
        var room = H(plan: plan)
        var checked = 0
        func step(_ command: RoomCommand, by actor: RoomActor, after seconds: Double = 0) throws {
            room.now = room.now.addingTimeInterval(seconds)
            try room.run(command, by: actor)
            try Self.check(room.state)
            checked += 1
        }
        try Self.check(room.state)
        let c2 = RoomActor(user: "c2", role: .candidate)
        try step(.join, by: H.c1)
        try step(.join, by: c2, after: 0.123_456_789)
        try step(.join, by: H.j1)
        try step(.startTimer, by: H.j1, after: 3)
        try step(.mark(candidate: "c1", criterion: "A1C1.1", mark: .met, comment: typed), by: H.j1, after: 10.5)
        try step(.mark(candidate: "c2", criterion: "A1C1.2", mark: .partlyMet, comment: nil), by: H.j1, after: 1)
        try step(.mark(candidate: awkward, criterion: "A1C1.3", mark: .notMet, comment: "é"), by: H.j2, after: 1)
        try step(.mark(candidate: "c2", criterion: "A1C1.2", mark: nil, comment: nil), by: H.j1, after: 1)
        try step(.connectionLost, by: c2, after: 60)
        try step(.join, by: c2, after: 45.25)
        try step(.compensateOutage(id: 1), by: H.j1, after: 1)
        try step(.pause(reason: typed), by: H.j1, after: 30)
        try step(.adjust(seconds: -90, reason: nil), by: H.j1, after: 5)
        try step(.resume, by: H.j1, after: 5)
        try step(.serverRestarted(since: room.now.addingTimeInterval(10)), by: H.admin, after: 40)
        try step(.join, by: H.c1, after: 1)
        try step(.propose(candidate: "c1", competence: "A1C1", decision: .acquis, comment: typed), by: H.j1, after: 1)
        try step(.propose(candidate: "c1", competence: "A1C1", decision: .nonAcquis, comment: nil), by: H.j2, after: 1)
        try step(.propose(candidate: "c1", competence: "A1C1", decision: nil, comment: nil), by: H.j2, after: 1)
        try step(.submitGrid, by: H.j1, after: 1)
        try step(.submitGrid, by: H.j2, after: 1)
        _ = try room.advance(2_000)
        try Self.check(room.state)
        try step(.deliberate, by: H.j1, after: 10)
        for (index, candidate) in plan.candidates.enumerated() {
            try step(.decide(candidate: candidate, competence: "A1C1", decision: index == 1 ? .nonAcquis : .acquis, comment: index == 0 ? typed : nil), by: H.j1)
        }
        try step(.sign, by: H.j1, after: 1)
        try step(.decide(candidate: "c2", competence: "A1C1", decision: .acquis, comment: "revu"), by: H.j2, after: 1)
        try step(.sign, by: H.j2, after: 1)
        try step(.sign, by: H.j1, after: 1)
        #expect(room.state.lifecycle == .signed)
        try step(.reopen(reason: typed), by: H.admin, after: 3_600)
        try step(.leave, by: H.c1, after: 1)
        #expect(checked >= 30)
        #expect(!room.state.outages.isEmpty && !room.state.reopenings.isEmpty && room.state.signatureHistory.count >= 3)
        #expect(!room.state.marks.isEmpty && !room.state.decisions.isEmpty && !room.state.submitted.isEmpty)
    }

    /// Documents of the server's, mutated at random (a character replaced by one JSON cares about, removed, or a
    /// span repeated): whatever a reader by hand reads directly is what `JSONDecoder` reads, and `decode` reads
    /// every one as `JSONDecoder` does (the same value or an error). A fuzzer's differential check, bounded.
    @Test func mutatedDocumentsAreReadAsJSONDecoderReadsThem() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        try room.run(.startTimer, by: H.j1)
        try room.run(.mark(candidate: "c1", criterion: "A1C1.1", mark: .met, comment: "é \"x\""), by: H.j1)
        try room.run(.propose(candidate: "c2", competence: "A1C1", decision: nil, comment: nil), by: H.j2)
        try room.run(.connectionLost, by: H.c1)
        let events = try RoomEventJSONTests.samples(text: "a\\b\"c/é", at: H.t0).enumerated().map {
            try RoomEventJSON.encode(RoomEvent(room: "r1", seq: $0.offset + 1, at: H.t0.addingTimeInterval(Double($0.offset) / 3), kind: $0.element))
        }
        let states = [String(decoding: try JSONEncoder().encode(room.state), as: UTF8.self)]
        let pool = Array(#"{}[]:,"\ 0123456789-+.eEtrufalsn/bu"#.unicodeScalars) + ["\u{0}", "\u{1f}", "é", "\u{d7ff}"]
        var generator = SystemRandomNumberGenerator()
        func mutated(_ text: String) -> String {
            var scalars = Array(text.unicodeScalars)
            for _ in 0..<Int.random(in: 1...3, using: &generator) where !scalars.isEmpty {
                let at = Int.random(in: 0..<scalars.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: scalars[at] = pool.randomElement(using: &generator)!
                case 1: scalars.remove(at: at)
                default: scalars.insert(contentsOf: scalars[at..<min(at + Int.random(in: 1...8, using: &generator), scalars.count)], at: at)
                }
            }
            var result = ""
            result.unicodeScalars.append(contentsOf: scalars)
            return result
        }
        var readDirectly = 0
        var total = 0
        for _ in 0..<150 {
            for text in events {
                let read = try RoomEventJSONTests.expectReadAsJSONDecoderReads(mutated(text), directly: RoomEventJSON.event(in:), decode: RoomEventJSON.decode)
                readDirectly += read ? 1 : 0
                total += 1
            }
            for text in states {
                let read = try RoomEventJSONTests.expectReadAsJSONDecoderReads(mutated(text), directly: RoomStateJSON.state(in:), decode: RoomStateJSON.decode)
                readDirectly += read ? 1 : 0
                total += 1
            }
        }
        // Some mutations leave a readable document (a digit changed, a string's letter): both paths are exercised.
        #expect(readDirectly > total / 20 && readDirectly < total, "\(readDirectly) of \(total) read directly")
    }

    /// The plans in the `scheduled` and `updated` events are read directly too.
    @Test func aPlanInAnEventReadsBackTheSame() throws {
        var plan = H.plan
        plan.title = RoomEventJSONTests.awkward
        for event in [
            RoomEvent(room: "r1", seq: 1, at: H.t0, kind: .scheduled(plan)),
            RoomEvent(room: "r1", seq: 2, at: H.t0, kind: .updated(H.plan)),
        ] {
            let text = try RoomEventJSON.encode(event)
            #expect(RoomEventJSON.event(in: text) == event)
        }
    }

    /// Snapshots that are not what the server writes: read as `JSONDecoder` reads them (the same state, or an
    /// error), directly or through Foundation.
    @Test func anyOtherSnapshotIsReadAsJSONDecoderReadsIt() throws {
        var room = H()
        try room.run(.join, by: H.c1)
        try room.run(.mark(candidate: "c1", criterion: "A1C1.1", mark: .met, comment: nil), by: H.j1)
        let text = String(decoding: try JSONEncoder().encode(room.state), as: UTF8.self)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        func variant(_ change: (inout [String: Any]) -> Void) throws -> String {
            var copy = root
            change(&copy)
            return String(decoding: try JSONSerialization.data(withJSONObject: copy), as: UTF8.self)
        }
        let cell: [String: Any] = ["value": "met", "by": "j1", "at": 5.5]
        let documents: [(String, readDirectly: Bool)] = [
            (text, true),
            // A member the reader does not know: left to JSONDecoder (a field of a newer type).
            (try variant { $0["extra"] = [1, 2] }, false),
            (try variant { $0["endsAt"] = NSNull() }, true),
            (try variant { $0["warned"] = [60, 60, 300] }, true),
            (try variant { $0["decisions"] = [["candidate": "c1", "item": "A1C1"], cell, ["candidate": "c1", "item": "A1C1"], ["value": "acquis", "by": "j1", "at": 1]] }, false),
            (try variant { $0["decisions"] = [["candidate": "c1", "item": "A1C1"], ["value": "acquis", "by": "j1", "at": 1], ["candidate": "c1", "item": "A1C1"], ["value": "non-acquis", "by": "j2", "at": 2]] }, true),
            (try variant { $0["decisions"] = [["candidate": "c1", "item": "A1C1"]] }, false),
            (try variant { $0["marks"] = ["j1": [["candidate": "c1"], cell]] }, false),
            (try variant { $0["marks"] = ["j1": [["candidate": "c1", "item": "x"], ["value": "met", "by": "j1"]]] }, false),
            (try variant { $0["lifecycle"] = "exploded" }, false),
            (try variant { $0["lastSeq"] = "3" }, false),
            (try variant { $0["isOvertime"] = 0 }, false),
            (try variant { $0.removeValue(forKey: "submitted") }, false),
            (try variant { $0.removeValue(forKey: "plan") }, false),
            (try variant { $0["present"] = [1] }, false),
            (try variant { $0["outages"] = [["id": 1, "from": 3]] }, true),
            (try variant { $0["outages"] = [["id": 1]] }, false),
            (try variant { $0["signatures"] = ["j1": ["juror": "j1", "at": 1, "gridHash": "h"]] }, true),
            (try variant { $0["signatures"] = ["j1": ["juror": "j1", "at": 1]] }, false),
            (try variant { $0["reopenings"] = [["by": "a", "reason": "r", "at": 1]] }, true),
            (try variant { $0["reopenings"] = [["by": "a", "at": 1]] }, false),
            ("[]", false),
            (text + "x", false),
        ]
        try RoomEventJSONTests.expectReadAsJSONDecoderReads(documents, directly: RoomStateJSON.state(in:), decode: RoomStateJSON.decode)
    }
}
