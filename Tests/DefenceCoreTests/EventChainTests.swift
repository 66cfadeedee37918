import DefenceCore
import Testing

/// The chain's links: SHA-256 of the previous link, a line feed and the payload, as every stored database has them.
@Suite struct EventChainTests {
    /// Vectors computed outside Swift (Python's `hashlib.sha256`), so that the way the parts are hashed cannot
    /// change a link without failing here.
    @Test func linksAreTheSHA256OfThePreviousLinkALineFeedAndThePayload() {
        let first = EventChain.link(previous: EventChain.genesis, payload: "{}")
        #expect(first == "a062dd4952b935e430d409c4a5e5cd760e8781e3200d5c7e12a232dddba8a528")
        #expect(
            EventChain.link(previous: first, payload: #"{"room":"salle-é","text":"🇫🇷"}"#)
                == "6e4ada3c9ff8950799e777f2c24ff4d9e9380a5fece2c1b0742ee41a9c238a77"
        )
    }

    @Test func aLinkIsTheHashOfTheJoinedText() {
        let payloads = ["", "\n", String(repeating: "é", count: 1000), "a\u{0}b", "🇫🇷 \u{10ffff}"]
        for previous in ["", "x", String(repeating: "ab", count: 32)] {
            for payload in payloads {
                #expect(EventChain.link(previous: previous, payload: payload) == SHA256Hex.of(previous + "\n" + payload))
            }
        }
    }
}
