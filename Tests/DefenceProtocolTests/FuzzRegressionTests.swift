import DefenceProtocol
import Foundation
import Testing

/// Inputs the fuzzer (Fuzz/run.sh) found, kept so that they stay fixed.
@Suite struct FuzzRegressionTests {
    /// crash-733d148ab51e5f1ee7e378f132bc13082b0dcdcb: "A A" U+0602 " ". U+0602 is a "prepend" scalar, which Swift
    /// groups with the following space into one Character: cutting on Characters kept the space inside the parameter.
    static let inputs: [String] = [
        "QSBB2IIg",
    ]

    @Test(arguments: inputs)
    func stillParsesAndRoundTrips(_ base64: String) throws {
        let bytes = try #require(Data(base64Encoded: base64))
        let parser = LineParser()
        let message = try #require(try parser.parse(Array(bytes)))
        #expect(try parser.parse(message.serialized) == message)
    }

    @Test func spacesAndColonsAreCutOnScalarsNotCharacters() throws {
        let parser = LineParser()
        // A prepend scalar before a space, a combining accent after a ':' opening the text.
        #expect(try parser.parse("A A\u{0602} B")?.parameters == ["A\u{0602}", "B"])
        let text = try #require(try parser.parse("SAY r1 room :\u{301}accent"))
        #expect(text.parameters == ["r1", "room", "\u{301}accent"] && text.hasText)
        #expect(try parser.parse("@id=1\u{0602};x=2 PING")?.tag("x") == "2")
        let message = Message(verb: "OK", parameters: ["A\u{0602} B"])
        #expect(try parser.parse(message.serialized) == Message(verb: "OK", parameters: ["A\u{0602} B"], hasText: true))
    }
}
