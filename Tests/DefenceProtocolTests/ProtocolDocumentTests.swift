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

    /// §5.1: the codes each verb can get, by verb, and those of any verb or line.
    struct CodesByVerb {
        var rows: [String: Set<String>] = [:]
        var anyVerb: Set<String> = []
        var anyLine: Set<String> = []
        var notAReply: Set<String> = []

        /// The codes `verb` may be answered with.
        func allowed(_ verb: String) -> Set<String> {
            verb == "*" ? anyLine.union(notAReply).union(["RATE_LIMITED"]) : (rows[verb] ?? []).union(anyVerb).union(anyLine)
        }
    }

    static func codes(in text: Substring) -> Set<String> {
        Set(text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
            .map { String($0.element) }.filter { ErrorCode(rawValue: $0) != nil })
    }

    static func codesByVerb() throws -> CodesByVerb {
        let text = try document()
        let section = try Self.section(text, from: "### 5.1 Codes by verb", to: "## 6. Session")
        var table = CodesByVerb()
        // The bullets wrap over several lines: read them whole.
        for paragraph in bullets(section) {
            if paragraph.hasPrefix("**Any verb**") { table.anyVerb = codes(in: paragraph) }
            if paragraph.hasPrefix("**Any line**") { table.anyLine = codes(in: paragraph) }
            if paragraph.hasPrefix("**Not a reply**") { table.notAReply = codes(in: paragraph) }
        }
        for line in section.split(separator: "\n") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard line.hasPrefix("| "), cells.count == 2, let verb = Verb(rawValue: cells[0]) else { continue }
            #expect(table.rows[verb.rawValue] == nil, "two rows for \(verb.rawValue)")
            table.rows[verb.rawValue] = cells[1] == "—" ? [] : codes(in: Substring(cells[1]))
        }
        return table
    }

    /// The bullets of a list, each whole (a bullet wraps over several lines).
    static func bullets(_ section: Substring) -> [Substring] {
        section.components(separatedBy: "\n- ").map { Substring($0.components(separatedBy: "\n\n").first ?? "") }
    }

    @Test func everyVerbHasOneRowOfCodesAndEveryCodeItsPlace() throws {
        let text = try Self.document()
        let section = try Self.section(text, from: "### 5.1 Codes by verb", to: "## 6. Session")
        let table = try Self.codesByVerb()
        #expect(Set(table.rows.keys) == Set(Verb.allCases.map(\.rawValue)), "§5.1 misses \(Set(Verb.allCases.map(\.rawValue)).subtracting(table.rows.keys))")
        let known = Set(ErrorCode.allCases.map(\.rawValue))
        let named = table.rows.values.reduce(table.anyVerb.union(table.anyLine).union(table.notAReply)) { $0.union($1) }
        // A row's code that is no code of the server is not read as one: count the words in backticks of the rows.
        let written = section.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| verb") }
            .flatMap { $0.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) } }
        #expect(Set(written).subtracting(known).isEmpty, "§5.1 names codes the server does not have: \(Set(written).subtracting(known))")
        #expect(known.subtracting(named).isEmpty, "§5.1 never says who gets \(known.subtracting(named))")
        #expect(table.anyVerb.isSuperset(of: ["BAD_ARGUMENTS", "AUTH_REQUIRED", "FORBIDDEN", "RATE_LIMITED", "INTERNAL"]))
        #expect(table.notAReply.isSuperset(of: ["AUTH_TIMEOUT", "IDLE_TIMEOUT", "SLOW_CONSUMER", "REVOKED", "SHUTTING_DOWN"]))
    }

    /// Every refusal the transcripts replay against the server, and every one the document shows in its
    /// examples or names in a verb's "Errors:", is in that verb's row of §5.1 (or in the codes of any verb).
    @Test func everyRefusalShownOrReplayedIsInItsVerbsRow() throws {
        let text = try Self.document()
        let table = try Self.codesByVerb()
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Protocol/transcripts")
        var lines: [(source: String, line: String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".txt") {
            let transcript = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            for line in transcript.split(separator: "\n") {
                // `who< line`: what the server sent.
                guard let mark = line.firstIndex(of: "<"), !line.hasPrefix("#") else { continue }
                lines.append((name, String(line[line.index(after: mark)...]).trimmingCharacters(in: .whitespaces)))
            }
        }
        for line in text.split(separator: "\n") where line.hasPrefix("S: ") {
            lines.append(("PROTOCOL.md", String(line.dropFirst(3))))
        }
        var checked = 0
        for (source, line) in lines {
            var words = line.split(separator: " ").map(String.init)
            if words.first?.hasPrefix("@") == true { words.removeFirst() }
            guard words.count >= 3, words[0] == "FAIL" else { continue }
            checked += 1
            #expect(table.allowed(words[1]).contains(words[2]), "\(source): \(line)")
        }
        #expect(checked >= 20, "only \(checked) refusals were found to check")
        // "Errors: …" in each verb's entry of the reference.
        let reference = try Self.section(text, from: "## 9. Verb reference", to: nil)
        for entry in reference.components(separatedBy: "\n### ").dropFirst() {
            let heading = entry.prefix { $0 != "\n" }.split(separator: " ").first.map(String.init) ?? ""
            guard Verb(rawValue: heading) != nil else { continue }
            for part in entry.components(separatedBy: "Errors").dropFirst() {
                let sentence = part.prefix { $0 != "." }
                for code in Self.codes(in: Substring(sentence)) where ErrorCode(rawValue: code) != nil {
                    #expect(table.allowed(heading).contains(code), "§9 \(heading) names \(code), which its row of §5.1 does not")
                }
            }
        }
    }
}
