import DefenceProtocol
import Testing

@Suite struct LineParserTests {
    let parser = LineParser()

    func parse(_ line: String) throws -> Message? {
        try parser.parse(Array(line.utf8))
    }

    func failure(_ bytes: [UInt8]) -> WireError? {
        do {
            _ = try parser.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    func failure(_ line: String) -> WireError? { failure(Array(line.utf8)) }

    @Test func verbAlone() throws {
        #expect(try parse("WHOAMI") == Message(verb: "WHOAMI"))
    }

    @Test func verbsAreCaseInsensitive() throws {
        #expect(try parse("whoami")?.verb == "WHOAMI")
        #expect(try parse("User-Create a b c")?.verb == "USER-CREATE")
    }

    @Test func parametersAndText() throws {
        let message = try #require(try parse("USER-CREATE alice juror email=a@b.org :Alice  Martin: the second"))
        #expect(message.parameters == ["alice", "juror", "email=a@b.org", "Alice  Martin: the second"])
        #expect(message.hasText)
    }

    @Test func textMayBeEmptyOrStartWithColon() throws {
        #expect(try parse("PING :")?.parameters == [""])
        #expect(try parse("PING ::x")?.parameters == [":x"])
    }

    @Test func repeatedSpacesSeparateOnce() throws {
        #expect(try parse("  AUTH    tok   ")?.parameters == ["tok"])
    }

    @Test func crlfAndBlankLines() throws {
        #expect(try parser.parse(Array("PING x\r".utf8)) == Message(verb: "PING", parameters: ["x"]))
        #expect(try parse("") == nil)
        #expect(try parse("    ") == nil)
    }

    @Test func tagsAreUnescapedAndUnknownOnesKept() throws {
        let message = try #require(try parse(#"@id=42;x-unknown=a\sb\:c\\d\re\nf;+client/flag PING"#))
        #expect(message.id == "42")
        #expect(message.tag("x-unknown") == "a b;c\\d\re\nf")
        #expect(message.tag("+client/flag") == "")
        #expect(message.verb == "PING")
    }

    @Test func duplicateTagKeysKeepTheLast() throws {
        #expect(try parse("@id=1;id=2 PING")?.id == "2")
    }

    @Test func unicodeInTextIsAccepted() throws {
        #expect(try parse("USER-CREATE zoe candidate :Zoé Ñúñez 🎓")?.parameters.last == "Zoé Ñúñez 🎓")
    }

    @Test func lineAtTheLimitIsAccepted() throws {
        let line = "PING " + String(repeating: "a", count: 4096 - 5)
        #expect(line.utf8.count == 4096)
        #expect(try parse(line)?.parameters.first?.count == 4091)
    }

    @Test func overlongLine() {
        let error = failure("PING " + String(repeating: "a", count: 4092))
        #expect(error?.code == .lineTooLong)
        #expect(error?.code.closesConnection == true)
    }

    @Test(arguments: [
        [0xFF] as [UInt8],
        [0x50, 0xC3] as [UInt8],  // truncated 2-byte sequence
        [0x50, 0xC0, 0x80] as [UInt8],  // overlong encoding of NUL
        [0xED, 0xA0, 0x80] as [UInt8],  // UTF-16 surrogate
        [0xF4, 0x90, 0x80, 0x80] as [UInt8],  // beyond U+10FFFF
        Array("PING ".utf8) + [0x80],  // lone continuation byte
    ])
    func invalidUTF8(_ bytes: [UInt8]) {
        let error = failure(bytes)
        #expect(error?.code == .invalidUTF8)
        #expect(error?.code.closesConnection == false)
        #expect(error?.verb == "*")
    }

    @Test(arguments: ["PING a\u{0}b", "PING \u{1B}[31m", "PING a\tb", "PING \u{7F}", "PING \u{85}", "PING a\nb"])
    func controlCharacters(_ line: String) {
        #expect(failure(line)?.code == .invalidCharacter)
    }

    @Test func atSignWithoutTags() {
        #expect(failure("@ PING")?.code == .malformed)
    }

    @Test(arguments: ["@=x PING", "@id=1;;x=2 PING", "@a_b=1 PING", "@é=1 PING"])
    func badTagKey(_ line: String) {
        #expect(failure(line)?.code == .malformed)
    }

    @Test func tagsWithoutVerb() {
        let error = failure("@id=9")
        #expect(error?.code == .malformed)
        #expect(error?.requestID == "9")
    }

    @Test(arguments: ["1PING", "PI_NG", "PING!", "-PING", "PÏNG", ":PING"])
    func badVerb(_ line: String) {
        #expect(failure(line)?.code == .malformed)
    }

    @Test func overlongVerb() {
        #expect(failure(String(repeating: "A", count: 33))?.code == .malformed)
        #expect(failure(String(repeating: "A", count: 32)) == nil)
    }

    @Test func tooManyParameters() {
        let line = "PING " + (1...17).map(String.init).joined(separator: " ")
        let error = failure(line)
        #expect(error?.code == .malformed)
        #expect(error?.verb == "PING")
        #expect(failure("PING " + (1...16).map(String.init).joined(separator: " ")) == nil)
    }

    @Test func idIsEchoedInErrorsWhenReadable() {
        #expect(failure("@id=abc 9X")?.requestID == "abc")
    }
}
