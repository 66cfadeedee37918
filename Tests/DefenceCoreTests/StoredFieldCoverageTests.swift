@testable import DefenceCore
import Foundation
import Testing

/// The decoders written by hand (``RoomStateJSON``, ``RoomEventJSON``) read every stored field: a fully populated
/// state, plan and event of every kind, as `JSONEncoder` writes it, is read directly into an equal value. A field
/// added to one of these types without its reader makes the reader leave the document to `JSONDecoder` (it has a
/// member the reader does not know), and these tests fail; a field the sample values leave empty fails them too
/// (``unpopulated(_:)``), so the samples cannot fall behind the types.
@Suite struct StoredFieldCoverageTests {
    static let t0 = Date(timeIntervalSinceReferenceDate: 820_000_000.25)

    /// Where `value` holds a `nil` or an empty collection, found by `Mirror` (a path per place): a value is fully
    /// populated when this is empty.
    static func unpopulated(_ value: Any, path: String = "") -> [String] {
        let mirror = Mirror(reflecting: value)
        if mirror.children.isEmpty {
            switch mirror.displayStyle {
            case .optional?: return [path + " is nil"]
            case .collection?, .dictionary?, .set?: return [path + " is empty"]
            default: return []
            }
        }
        return mirror.children.enumerated().flatMap { index, child in
            unpopulated(child.value, path: path + "." + (child.label ?? String(index)))
        }
    }

    static let plan = RoomPlan(
        id: "mspr-a1", title: "MSPR bloc A1", kind: .team, epreuve: 2, referentialHash: "ab12", competences: ["A1C1", "A1C2"],
        candidates: ["lea", "hugo"], jurors: ["camille", "paul"], president: "camille", start: t0,
        phases: [Phase(name: "presentation", seconds: 1200), Phase(name: "questions", seconds: 600)], warnings: [300, 60],
        visibility: .blind
    )

    static let state: RoomState = {
        let key = GridKey(candidate: "lea", item: "A1C1.1")
        let competence = GridKey(candidate: "lea", item: "A1C1")
        let signature = Signature(juror: "camille", at: t0, gridHash: String(repeating: "cd", count: 32))
        return RoomState(
            plan: plan, lifecycle: .signed, endsAt: t0.addingTimeInterval(1800), remainingWhenStopped: 12.5, phaseIndex: 1,
            warned: [300], isOvertime: true, present: ["lea", "camille"],
            outages: [Outage(id: 1, user: "lea", from: t0, to: t0.addingTimeInterval(40), compensatedSeconds: 40)],
            startedAt: t0,
            marks: ["camille": [key: Assessment(value: .partlyMet, comment: "sources citées", by: "camille", at: t0)]],
            proposals: ["camille": [competence: Assessment(value: .acquis, comment: "solide", by: "camille", at: t0)]],
            submitted: ["camille"],
            decisions: [competence: Assessment(value: .acquis, comment: "à l'unanimité", by: "camille", at: t0)],
            signatures: ["camille": signature], signatureHistory: [signature],
            reopenings: [Reopening(by: "admin", reason: "erreur de saisie", at: t0)], endedAt: t0.addingTimeInterval(1900),
            lastSeq: 42, publicSeq: 30, lastEventAt: t0.addingTimeInterval(2000),
            records: {
                var records = RoomRecords()
                records.evidence = [RoomRecords.Evidence(candidate: "lea", part: .test, text: "14/20", by: "paul", at: t0)]
                records.observations = RoomRecords.Note(by: "camille", at: t0, text: "Équipe soudée")
                records.decisions = [RoomRecords.PresidentDecision(kind: .declinedOutage, outage: 1, by: "camille", at: t0, reason: "coupure brève")]
                return records
            }()
        )
    }()

    @Test func theSamplesAreFullyPopulated() {
        #expect(Self.unpopulated(Self.plan).isEmpty, "\(Self.unpopulated(Self.plan))")
        #expect(Self.unpopulated(Self.state).isEmpty, "\(Self.unpopulated(Self.state))")
        // One sample of each kind of event has every field set (the others leave optional fields out on purpose).
        let kinds = RoomEventJSONTests.samples()
        let full = Set(kinds.filter { Self.unpopulated($0).isEmpty }.map(\.name))
        #expect(full == Set(kinds.map(\.name)), "kinds with no full sample: \(Set(kinds.map(\.name)).subtracting(full))")
    }

    /// Every kind of event has a sample, so that the tests above cover it: a kind added to `RoomEventKind` (and so to
    /// its exhaustive `name`) without a sample fails here. The kinds are read from `name`'s switch in the source.
    @Test func everyKindOfEventHasASample() throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/DefenceCore/Rooms/RoomEvent.swift")
        let text = try String(contentsOf: source, encoding: .utf8)
        let body = try #require(text.range(of: "public var name: String {").map { text[$0.upperBound...] })
        let switchBody = try #require(body.range(of: "\n    }\n").map { body[..<$0.lowerBound] })
        let names = Set(switchBody.matches(of: /case \.\w+: return "([a-z-]+)"/).map { String($0.output.1) })
        #expect(names.count >= 29, "\(names.count) kinds read from the source")
        let sampled = Set(RoomEventJSONTests.samples().map(\.name))
        #expect(names == sampled, "kinds without a sample: \(names.subtracting(sampled)); samples of no kind: \(sampled.subtracting(names))")
    }

    @Test func everyFieldOfAStateIsReadDirectly() throws {
        let text = String(decoding: try JSONEncoder().encode(Self.state), as: UTF8.self)
        #expect(RoomStateJSON.state(in: text) == Self.state, "\(text)")
    }

    @Test func everyFieldOfAPlanIsReadDirectly() throws {
        let text = String(decoding: try JSONEncoder().encode(Self.plan), as: UTF8.self)
        let tree = try #require(JSONTree.parse(text))
        #expect(RoomStateJSON.plan(tree) == Self.plan, "\(text)")
    }

    @Test func everyFieldOfEveryEventIsReadDirectly() throws {
        for (index, kind) in RoomEventJSONTests.samples().enumerated() {
            let event = RoomEvent(room: "mspr-a1", seq: index + 1, at: Self.t0, kind: kind)
            let text = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
            #expect(RoomEventJSON.event(in: text) == event, "\(text)")
        }
    }

    /// A member the reader does not know (what a field added to the type writes) sends the document to
    /// `JSONDecoder`, at every level: the state, its plan, an outage, a grid's key and cell, a signature, an event's
    /// head and its kind's fields.
    @Test func anUnknownMemberIsLeftToJSONDecoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(Self.state), as: UTF8.self)
        #expect(RoomStateJSON.state(in: text) == Self.state, "the document as written is read directly")
        // Each anchor opens one object of the document (keys sorted), the empty one the document itself; the member
        // goes first in it.
        let anchors = [
            "", "\"plan\":{", "\"phases\":[{", "\"outages\":[{", "\"decisions\":[{",
            "\"decisions\":[{\"candidate\":\"lea\",\"item\":\"A1C1\"},{", "\"signatureHistory\":[{",
            "\"reopenings\":[{", "\"signatures\":{\"camille\":{",
        ]
        for anchor in anchors {
            #expect(anchor.isEmpty || text.contains(anchor), "\(anchor) in \(text)")
            let changed = anchor.isEmpty
                ? "{\"aNewField\":1," + text.dropFirst()
                : text.replacingOccurrences(of: anchor, with: anchor + "\"aNewField\":1,")
            #expect(RoomStateJSON.state(in: changed) == nil, "an unknown member after \(anchor) was read directly")
            // JSONDecoder ignores it, so the state still decodes, to the same value.
            #expect(try RoomStateJSON.decode(changed) == Self.state, "\(anchor)")
        }

        let event = RoomEvent(room: "r", seq: 3, at: Self.t0, kind: .joined(user: "lea"))
        let eventText = try RoomEventJSON.encode(event)
        #expect(RoomEventJSON.event(in: eventText) == event)
        let head = eventText.replacingOccurrences(of: "{\"room\"", with: "{\"newField\":1,\"room\"")
        let payload = eventText.replacingOccurrences(of: "{\"user\"", with: "{\"newField\":1,\"user\"")
        let empty = try RoomEventJSON.encode(RoomEvent(room: "r", seq: 4, at: Self.t0, kind: .locked))
            .replacingOccurrences(of: "\"locked\":{}", with: "\"locked\":{\"newField\":1}")
        for text in [head, payload, empty] {
            #expect(text.contains("newField"))
            #expect(RoomEventJSON.event(in: text) == nil, "\(text)")
            #expect(try RoomEventJSON.decode(text).seq > 0, "JSONDecoder reads it: \(text)")
        }
    }
}
