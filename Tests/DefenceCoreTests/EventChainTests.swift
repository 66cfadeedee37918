import DefenceCore
import Testing

/// The chain's links: SHA-256 over the previous link and the digest of every column of the stored event (PROTOCOL.md
/// §12.4).
@Suite struct EventChainTests {
    static let first = EventChain.Row(
        room: "r1", seq: 1, at: "2027-01-15 08:00:00.123", type: "scheduled", payload: "{}", line: nil, gridOpen: nil,
        juryOnly: false, gridOwner: nil
    )
    static let second = EventChain.Row(
        room: "salle-é", seq: 2, at: "2027-01-15 08:01:01.623", type: "mark", payload: #"{"room":"salle-é","text":"🇫🇷"}"#,
        line: "EVENT salle-é 2 mark", gridOpen: true, juryOnly: true, gridOwner: "j2"
    )

    /// Vectors computed outside Swift (Python's `hashlib.sha256` over the bytes PROTOCOL.md describes), so that the
    /// way the parts are hashed cannot change a link without failing here.
    @Test func linksFollowTheDocumentedBytes() {
        let first = EventChain.link(previous: EventChain.genesis, row: Self.first)
        #expect(first == "8c777aafa36afe735f50c2d5cf1891fc07fff1cf29770fbd2057266567b40532")
        #expect(EventChain.link(previous: first, row: Self.second) == "61194e20cfd4b243b25969065d315f77ac40410c49ff637484073556b71a0624")
    }

    /// Each column changes the link, and a missing value is told from an empty one, and a field's end from the next
    /// field's start.
    @Test func everyColumnCountsAndFieldsCannotRunTogether() {
        let base = EventChain.link(previous: "p", row: Self.second)
        var variants: [EventChain.Row] = []
        func variant(_ change: (inout EventChain.Row) -> Void) {
            var row = Self.second
            change(&row)
            variants.append(row)
        }
        variant { $0.room = "r2" }
        variant { $0.seq = 3 }
        variant { $0.at = "2027-01-15 08:01:01.624" }
        variant { $0.type = "decision" }
        variant { $0.payload += " " }
        variant { $0.line = nil }
        variant { $0.line = "" }
        variant { $0.gridOpen = false }
        variant { $0.gridOpen = nil }
        variant { $0.juryOnly = false }
        variant { $0.gridOwner = nil }
        variant { $0.gridOwner = "" }
        // The same bytes cut elsewhere between two fields.
        variant { $0.type = "mar"; $0.payload = "k" + $0.payload }
        let links = variants.map { EventChain.link(previous: "p", row: $0) }
        #expect(!links.contains(base))
        #expect(Set(links).count == links.count)
        #expect(EventChain.link(previous: "q", row: Self.second) != base)
    }
}
