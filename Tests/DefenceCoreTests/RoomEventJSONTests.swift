@testable import DefenceCore
import DefenceProtocol
import Foundation
import Testing

/// The stored JSON of events, written by hand: the same document as `JSONEncoder`'s, read back by `JSONDecoder`.
@Suite struct RoomEventJSONTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000.123_456_7)

    /// Text that JSON must escape or carry as is: quotes, backslashes, every control character, a slash, accents,
    /// combining marks, a character outside the BMP.
    static let awkward = "« \"quoted\" \\ back/slash »\u{0}\u{1}\u{8}\u{b}\u{c}\u{1b}\u{1f}\u{7f}\t\r\n é e\u{301} 🇫🇷 \u{10ffff} \u{2028}"

    /// One event of each kind (the optional fields both present and absent where there are any).
    static func samples(text: String = awkward, at: Date = t0) -> [RoomEventKind] {
        let plan = RoomPlan(
            id: "r1", title: text, kind: .team, epreuve: 2, referentialHash: "h", competences: ["A1C1"], candidates: ["c1", text],
            jurors: ["j1", "j2"], president: "j1", start: at, phases: [Phase(name: text, seconds: 1200)],
            warnings: [300, 60], visibility: .blind
        )
        var untitled = plan
        untitled.title = nil
        return [
            .scheduled(plan), .updated(plan), .scheduled(untitled),
            .cancelled(by: "admin", reason: text), .cancelled(by: text, reason: nil),
            .opened, .joined(user: text), .left(user: "c1"), .connectionLost(user: text),
            .timerStarted(by: "j1", endsAt: at), .timerPaused(by: "j1", remaining: 1234.567_891_234, reason: text),
            .timerPaused(by: "j1", remaining: -0.0, reason: nil), .timerPaused(by: "j1", remaining: 1e-7, reason: nil),
            .timerResumed(by: text, endsAt: at.addingTimeInterval(0.000_1)), .timeAdjusted(by: "j1", seconds: -300, reason: text),
            .timeAdjusted(by: "j1", seconds: Int.max, reason: nil), .phaseChanged(index: 1), .warning(secondsLeft: 60), .overtime,
            .message(from: "j1", audience: .jury, text: text), .message(from: text, audience: .room, text: ""),
            .signal(from: "c1", kind: .hand), .signal(from: text, kind: .ready), .signal(from: "c1", kind: .lower), .acknowledged(juror: "j1", candidate: "c1"),
            .outageStarted(id: 3, user: text), .outageEnded(id: Int.min, user: "c1"),
            .downtime(id: 1, from: Date(timeIntervalSinceReferenceDate: -978_307_200.5)),
            .outageCompensated(id: 2, by: text, seconds: 45), .deliberationStarted(by: text),
            .marked(juror: "j1", candidate: "c1", criterion: "A1C1.1", mark: .partlyMet, comment: text),
            .marked(juror: text, candidate: text, criterion: text, mark: nil, comment: nil),
            .proposed(juror: "j1", candidate: "c1", competence: "A1C1", decision: .nonAcquis, comment: text),
            .proposed(juror: "j2", candidate: "c2", competence: text, decision: nil, comment: nil),
            .gridSubmitted(juror: text),
            .decided(by: "j1", candidate: "c1", competence: "A1C1", decision: .acquis, comment: text),
            .decided(by: "j1", candidate: "c1", competence: "A1C1", decision: .nonAcquis, comment: nil),
            .signed(juror: "j1", gridHash: String(repeating: "ab", count: 32)), .signatureWithdrawn(juror: text), .locked,
            .reopened(by: "admin", reason: text),
            .evidence(juror: "j1", candidate: text, part: .written, text: text), .evidence(juror: "j2", candidate: "c1", part: .test, text: "12/20"),
            .observations(by: "j1", text: text), .outageDeclined(id: 2, by: "j1", reason: text),
            .restarted(by: "j1", reason: text), .postponed(by: text, reason: "malaise"),
        ]
    }

    /// Checks one event: it decodes into an equal event, and it is the same JSON document as `JSONEncoder`'s; the
    /// decoder written by hand reads both texts (ours and Foundation's, whose keys come in another order and whose
    /// `/` is escaped) into the same event, without `JSONDecoder`.
    static func check(_ event: RoomEvent, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = try RoomEventJSON.encode(event)
        let decoded = try JSONDecoder().decode(RoomEvent.self, from: Data(text.utf8))
        #expect(decoded == event, "\(text)", sourceLocation: sourceLocation)
        let foundationText = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
        let ours = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary
        let foundations = try JSONSerialization.jsonObject(with: Data(foundationText.utf8)) as? NSDictionary
        #expect(ours != nil && ours == foundations, "\(text)", sourceLocation: sourceLocation)
        for document in [text, foundationText] {
            #expect(try RoomEventJSON.decode(document) == event, "\(document)", sourceLocation: sourceLocation)
            #expect(RoomEventJSON.event(in: document) == event, "read directly: \(document)", sourceLocation: sourceLocation)
        }
    }

    /// Documents that are not what the server writes: `decode` reads each as `JSONDecoder` does (the same event,
    /// or an error), whether it reads it itself or leaves it to Foundation.
    @Test func anyOtherDocumentIsReadAsJSONDecoderReadsIt() throws {
        let head = #""room":"r1","seq":7,"at":123.5"#
        let documents: [(String, readDirectly: Bool)] = [
            // Read directly: other spacing, other order, null for an absent optional, escapes.
            ("{\(head),\"kind\":{\"joined\":{\"user\":\"c1\"}}}", true),
            (" \n{ \"kind\" : { \"joined\" : { \"user\" : \"c1\" } } , \"at\" : 123.5 ,\"seq\":7,\"room\":\"r1\"}\t ", true),
            // A member the reader does not know is left to JSONDecoder (which ignores it): a field of a newer type.
            ("{\(head),\"extra\":[1,{\"a\":null},true],\"kind\":{\"joined\":{\"user\":\"c1\"}}}", false),
            ("{\(head),\"kind\":{\"joined\":{\"user\":\"c1\",\"more\":false}}}", false),
            ("{\(head),\"kind\":{\"cancelled\":{\"by\":\"a\",\"reason\":null}}}", true),
            ("{\(head),\"kind\":{\"opened\":{\"ignored\":1}}}", false),
            (#"{"room":"r\u00e9\/\ud83c\uddeb\"\\\b\f\n\r\t","seq":-0,"at":-1.5E+3,"kind":{"overtime":{}}}"#, true),
            ("{\(head),\"kind\":{\"marked\":{\"juror\":\"j1\",\"candidate\":\"c1\",\"criterion\":\"x\",\"mark\":null}}}", true),
            // Left to Foundation, which reads them or throws.
            ("{\(head),\"kind\":{\"joined\":{\"user\":5}}}", false),
            (#"{"room":"r1","seq":"7","at":1,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7.0,"at":1,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7e0,"at":1,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":1e400,"kind":{"opened":{}}}"#, false),
            // Zeros: read directly as zero digits without an exponent; the others are Foundation's (it refuses an
            // underflow to zero and some zeros with an exponent).
            (#"{"room":"r1","seq":7,"at":0,"kind":{"opened":{}}}"#, true),
            (#"{"room":"r1","seq":7,"at":-0.000,"kind":{"opened":{}}}"#, true),
            (#"{"room":"r1","seq":7,"at":1e-0707,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":0e5,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":0.000e5,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":0.0e1,"kind":{"opened":{}}}"#, false),
            ("{\"room\":\"r1\",\"seq\":7,\"at\":0.\(String(repeating: "0", count: 400))1,\"kind\":{\"opened\":{}}}", false),
            (#"{"room":"r1","seq":7,"at":4e-324,"kind":{"opened":{}}}"#, true),
            (#"{"room":"r1","seq":99999999999999999999,"at":1,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":1,"kind":{"opened":{},"locked":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":1,"kind":{"opened":[]}}"#, false),
            (#"{"room":"r1","seq":7,"at":1,"kind":{"exploded":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":1,"kind":{}}"#, false),
            (#"{"room":"r1","seq":7,"kind":{"opened":{}}}"#, false),
            ("{\(head),\"kind\":{\"marked\":{\"juror\":\"j1\",\"candidate\":\"c1\",\"criterion\":\"x\",\"mark\":\"excellent\"}}}", false),
            ("{\(head),\"kind\":{\"decided\":{\"by\":\"j1\",\"candidate\":\"c1\",\"competence\":\"x\"}}}", false),
            ("{\(head),\"kind\":{\"message\":{\"from\":\"j1\",\"audience\":\"everyone\",\"text\":\"x\"}}}", false),
            ("{\(head),\"kind\":{\"signal\":{\"from\":\"c1\",\"kind\":\"wave\"}}}", false),
            ("{\(head),\"room\":\"r2\",\"kind\":{\"opened\":{}}}", false),
            ("{\(head),\"kind\":{\"joined\":{\"user\":\"\\ud800\"}}}", false),
            ("{\(head),\"kind\":{\"joined\":{\"user\":\"\\udc00x\"}}}", false),
            ("{\(head),\"kind\":{\"joined\":{\"user\":\"\\x\"}}}", false),
            ("{\(head),\"kind\":{\"joined\":{\"user\":\"a\u{1}b\"}}}", false),
            ("{\(head),\"kind\":{\"opened\":{}}} x", false),
            ("{\(head),\"kind\":{\"opened\":{}},}", false),
            ("{\(head),\"kind\":{\"opened\":{}}", false),
            ("[{\(head),\"kind\":{\"opened\":{}}}]", false),
            (#"{"room":"r1","seq":07,"at":1,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":.5,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":1.,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":-,"kind":{"opened":{}}}"#, false),
            (#"{"room":"r1","seq":7,"at":tru,"kind":{"opened":{}}}"#, false),
            ("", false),
        ] + (0..<0x20).map { control in
            // A control character raw inside a string (JSON wants it escaped).
            ("{\(head),\"kind\":{\"joined\":{\"user\":\"a\(Character(Unicode.Scalar(UInt8(control))))b\"}}}", false)
        }
        try Self.expectReadAsJSONDecoderReads(documents, directly: RoomEventJSON.event(in:), decode: RoomEventJSON.decode)
    }

    /// Each document is read directly or not, as listed, and `decode` reads it as `JSONDecoder` does: the same
    /// value, or an error.
    static func expectReadAsJSONDecoderReads<T: Decodable & Equatable>(
        _ documents: [(String, readDirectly: Bool)], directly: (String) -> T?, decode: (String) throws -> T,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for (document, readDirectly) in documents {
            let read = try expectReadAsJSONDecoderReads(document, directly: directly, decode: decode, sourceLocation: sourceLocation)
            #expect(read == readDirectly, "\(document)", sourceLocation: sourceLocation)
        }
    }

    /// `decode` reads `document` as `JSONDecoder` does (the same value, or an error), and what `directly` reads is
    /// `JSONDecoder`'s value. Returns whether `directly` read it.
    @discardableResult
    static func expectReadAsJSONDecoderReads<T: Decodable & Equatable>(
        _ document: String, directly: (String) -> T?, decode: (String) throws -> T,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Bool {
        let expected: T?? = (try? JSONDecoder().decode(T.self, from: Data(document.utf8))).map { .some($0) } ?? .none
        let direct = directly(document)
        if let direct { #expect(expected == .some(direct), "\(document)", sourceLocation: sourceLocation) }
        switch expected {
        case .some(let value): #expect(try decode(document) == value, "\(document)", sourceLocation: sourceLocation)
        case .none: #expect(throws: (any Error).self, "\(document)", sourceLocation: sourceLocation) { try decode(document) }
        }
        return direct != nil
    }

    /// Random free text and random times, read back by both decoders into the same event.
    @Test func randomEventsReadBackTheSameByBothDecoders() throws {
        var generator = SystemRandomNumberGenerator()
        let pool = Array("aé\"\\/ \u{0}\u{1f}\u{7f}\u{2028}🇫🇷e\u{301}\t\n{}[]:,0-+.eE".unicodeScalars)
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...24, using: &generator) {
                if Bool.random(using: &generator) {
                    text.unicodeScalars.append(pool.randomElement(using: &generator)!)
                } else if let scalar = Unicode.Scalar(UInt32.random(in: 0...0x10_ffff, using: &generator)) {
                    text.unicodeScalars.append(scalar)
                }
            }
            let at = Date(timeIntervalSinceReferenceDate: Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator)))
            let kinds: [RoomEventKind] = [
                .message(from: text, audience: .jury, text: text),
                .marked(juror: "j1", candidate: text, criterion: "A1C1.1", mark: Mark.allCases.randomElement(using: &generator), comment: Bool.random() ? text : nil),
                .timerPaused(by: text, remaining: Double.random(in: -1e9...1e9, using: &generator), reason: text),
            ]
            for kind in kinds {
                let event = RoomEvent(room: text, seq: Int.random(in: Int.min...Int.max, using: &generator), at: at.timeIntervalSinceReferenceDate.isFinite ? at : Self.t0, kind: kind)
                try Self.check(event)
            }
        }
    }

    @Test func everyKindReadsBackAsTheSameEventAndIsFoundationsDocument() throws {
        let kinds = Self.samples()
        // All 29 kinds are here (the encoder's switch has no default, so a new kind does not compile without it).
        #expect(Set(kinds.map(\.name)).count == 35)
        for (index, kind) in kinds.enumerated() {
            try Self.check(RoomEvent(room: "room-\(index)", seq: index + 1, at: Self.t0, kind: kind))
        }
    }

    /// Every scalar up to U+02FF, and a spread of the others, in the free text of marks and messages.
    @Test func everyCharacterIsCarried() throws {
        var scalars = (0...0x2ff).compactMap(Unicode.Scalar.init)
        scalars += stride(from: 0x300, through: 0x10_ffff, by: 0x7f1).compactMap(Unicode.Scalar.init)
        for (index, chunk) in stride(from: 0, to: scalars.count, by: 16).enumerated() {
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[chunk..<min(chunk + 16, scalars.count)])
            try Self.check(RoomEvent(room: text, seq: index, at: Self.t0, kind: .message(from: "j1", audience: .jury, text: text)))
            try Self.check(
                RoomEvent(room: "r", seq: index, at: Self.t0, kind: .marked(juror: "j1", candidate: "c1", criterion: "A1C1.1", mark: .met, comment: text))
            )
        }
    }

    /// Times to the last bit of the `Double`: a date stored and read back is the same date.
    @Test func everyTimeReadsBackToTheBit() throws {
        var seconds = -1_000_000_000.0
        var checked = 0
        while seconds < 9_000_000_000 {
            let at = Date(timeIntervalSinceReferenceDate: seconds)
            try Self.check(RoomEvent(room: "r1", seq: checked, at: at, kind: .timerStarted(by: "j1", endsAt: at.addingTimeInterval(seconds / 7))))
            seconds += 12_345_678.910_111_213 + Double(checked) * 0.000_123
            checked += 1
        }
        for value in [Double.leastNonzeroMagnitude, .greatestFiniteMagnitude, 1e16, 1e-5, 0.1, 1 / 3] {
            try Self.check(RoomEvent(room: "r1", seq: 1, at: Date(timeIntervalSinceReferenceDate: value), kind: .timerPaused(by: "j1", remaining: -value, reason: nil)))
        }
        #expect(checked > 700)
    }

    @Test func aNumberJSONCannotHoldIsRefusedAsByFoundation() {
        for value in [Double.nan, .infinity, -.infinity] {
            let paused = RoomEvent(room: "r1", seq: 2, at: Self.t0, kind: .timerPaused(by: "j1", remaining: value, reason: nil))
            #expect(throws: EncodingError.self) { try RoomEventJSON.encode(paused) }
            #expect(throws: EncodingError.self) { try JSONEncoder().encode(paused) }
            let at = RoomEvent(room: "r1", seq: 2, at: Date(timeIntervalSinceReferenceDate: value), kind: .opened)
            #expect(throws: EncodingError.self) { try RoomEventJSON.encode(at) }
        }
    }
}
