import DefenceProtocol
import Testing

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct RoundTripTests {
    static let wordScalars: [Unicode.Scalar] =
        Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=@/+#!?'\"é€😀ß中".unicodeScalars)
    static let textScalars: [Unicode.Scalar] = wordScalars + [" ", ":", ";", "\\"]
    static let tagValueScalars: [Unicode.Scalar] = wordScalars + [" ", ";", "\\", "\r", "\n", ":", "="]

    func string(_ alphabet: [Unicode.Scalar], count: Int, using rng: inout SplitMix64) -> String {
        var out = ""
        for _ in 0..<count { out.unicodeScalars.append(alphabet.randomElement(using: &rng)!) }
        return out
    }

    func randomMessage(using rng: inout SplitMix64) -> Message {
        var tags: [Message.Tag] = []
        let keys = ["id", "x", "+client/a", "vendor.example/k", "time"]
        for key in keys.shuffled(using: &rng).prefix(Int.random(in: 0...3, using: &rng)) {
            tags.append(Message.Tag(key, string(Self.tagValueScalars, count: Int.random(in: 0...12, using: &rng), using: &rng)))
        }
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars)
        var verb = string(letters, count: 1, using: &rng)
        verb += string(letters + ["-", "1"], count: Int.random(in: 0...12, using: &rng), using: &rng)
        var parameters: [String] = []
        for _ in 0..<Int.random(in: 0...6, using: &rng) {
            var word = string(Self.wordScalars, count: Int.random(in: 1...10, using: &rng), using: &rng)
            if word.hasPrefix(":") { word = "x" + word }
            parameters.append(word)
        }
        var hasText = false
        if Bool.random(using: &rng) {
            parameters.append(string(Self.textScalars, count: Int.random(in: 0...40, using: &rng), using: &rng))
            hasText = true
        }
        return Message(tags: tags, verb: verb, parameters: parameters, hasText: hasText)
    }

    @Test func generatedMessagesSurviveSerializeThenParse() throws {
        var rng = SplitMix64(state: 0x5EED)
        let parser = LineParser()
        for _ in 0..<3000 {
            let message = randomMessage(using: &rng)
            let line = message.serialized
            #expect(!line.contains("\n") && !line.contains("\r"), "line must stay on one line: \(line)")
            let parsed = try parser.parse(Array(line.utf8))
            #expect(parsed == message, "round trip of \(line)")
        }
    }

    @Test func serializedTextGetsAColonOnlyWhenNeededOrAsked() {
        #expect(Message(verb: "OK", parameters: ["A", "b"]).serialized == "OK A b")
        #expect(Message(verb: "OK", parameters: ["A", "b c"]).serialized == "OK A :b c")
        #expect(Message(verb: "OK", parameters: ["A", ""]).serialized == "OK A :")
        #expect(Message(verb: "OK", parameters: ["A", ":x"]).serialized == "OK A ::x")
        #expect(Message(id: "1", verb: "OK", ["A"], text: "b").serialized == "@id=1 OK A :b")
    }

    @Test func tagEscapingRoundTrips() {
        let values = ["", "plain", "a b", "a;b", "back\\slash", "cr\rlf\n", "\\s literal", "é€😀"]
        for value in values {
            #expect(TagEscaping.unescape(TagEscaping.escape(value)) == value)
            #expect(!TagEscaping.escape(value).contains(" ") && !TagEscaping.escape(value).contains(";"))
        }
        #expect(TagEscaping.unescape("a\\") == "a")
        #expect(TagEscaping.unescape("\\x") == "x")
    }

    @Test func failLinesHaveTheDocumentedShape() {
        let line = Message.fail(verb: "auth", code: .authFailed, context: ["x"], text: "no", id: "7").serialized
        #expect(line == "@id=7 FAIL AUTH AUTH_FAILED x :no")
    }

    @Test func closingCodes() {
        let closing = Set(ErrorCode.allCases.filter(\.closesConnection))
        #expect(closing == [.lineTooLong, .authTimeout, .idleTimeout, .slowConsumer, .revoked, .shuttingDown])
    }

    @Test func wireTimeIsRFC3339WithMilliseconds() throws {
        let date = try #require(WireTime.parse("2026-12-01T09:30:15.250Z"))
        #expect(WireTime.format(date) == "2026-12-01T09:30:15.250Z")
        #expect(WireTime.parse("2026-12-01T09:30:15Z") != nil)
        #expect(WireTime.parse("tomorrow") == nil)
    }
}
