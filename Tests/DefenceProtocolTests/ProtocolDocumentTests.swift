import DefenceProtocol
import Foundation
import Testing

/// PROTOCOL.md against the code: every verb has its row in the table of roles (§8) and its entry in the reference
/// (§9 to §12), and every failure code has its row in the table of §5. A verb or a code added without its
/// documentation fails here (`AUDIT` went unnoticed in both tables).
@Suite struct ProtocolDocumentTests {
    static func document() throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Protocol/PROTOCOL.md")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The text of the document from the heading `start` to the next heading of the same level (`## `).
    static func section(_ text: String, from start: String, to end: String?) throws -> Substring {
        let from = try #require(text.range(of: "\n" + start))
        guard let end, let to = text.range(of: "\n" + end, range: from.upperBound..<text.endIndex) else {
            return text[from.upperBound...]
        }
        return text[from.upperBound..<to.lowerBound]
    }

    @Test func everyVerbHasItsRowInTheTableOfRolesAndItsEntryInTheReference() throws {
        let text = try Self.document()
        let roles = try Self.section(text, from: "## 8. Verbs and roles", to: "## 9. Verb reference")
        let reference = try Self.section(text, from: "## 9. Verb reference", to: nil)
        for verb in Verb.allCases {
            #expect(roles.contains("| `\(verb.rawValue)` |"), "§8 has no row for \(verb.rawValue)")
            #expect(
                reference.contains("### \(verb.rawValue)\n") || reference.contains("### \(verb.rawValue) (")
                    || reference.contains("**\(verb.rawValue)** `") || reference.contains("**\(verb.rawValue)**\n"),
                "§9–§12 have no entry for \(verb.rawValue)"
            )
        }
    }

    @Test func everyFailureCodeHasItsRowInTheTableOfFailures() throws {
        let text = try Self.document()
        let failures = try Self.section(text, from: "## 5. Failures", to: "## 6. Session")
        for code in ErrorCode.allCases {
            #expect(failures.contains("| `\(code.rawValue)` |"), "§5 has no row for \(code.rawValue)")
        }
        // And no row names a code the server does not have.
        let rows = failures.split(separator: "\n").filter { $0.hasPrefix("| `") }
        let named = rows.compactMap { $0.split(separator: "`").dropFirst().first.map(String.init) }
        #expect(Set(named) == Set(ErrorCode.allCases.map(\.rawValue)), "\(Set(named).symmetricDifference(ErrorCode.allCases.map(\.rawValue)))")
    }
}
