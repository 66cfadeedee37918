import DefenceClient
import Foundation
import Testing

/// Replays the example transcripts of `Protocol/transcripts/` against a live server.
@Suite struct TranscriptTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/transcripts")

    static var transcripts: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted()
    }

    @Test func thereAreTranscripts() {
        #expect(Self.transcripts.count >= 2)
    }

    @Test(arguments: transcripts)
    func replay(_ name: String) async throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
        try await withServer { server in
            var variables = ["admin-token": server.adminToken]
            var connections: [String: LineConnection] = [:]
            func connection(_ name: String) async throws -> LineConnection {
                if let existing = connections[name] { return existing }
                let opened = try await server.connect(readGreeting: false)
                connections[name] = opened
                return opened
            }
            for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = String(raw)
                let where_ = "\(name):\(index + 1)"
                if line.isEmpty || line.hasPrefix("#") { continue }
                if line.hasSuffix(" closed") {
                    let who = String(line.dropLast(7))
                    let rest = try await connection(who).waitForClose()
                    #expect(rest.isEmpty, "\(where_): expected the connection to close, got \(rest)")
                    continue
                }
                guard let mark = line.firstIndex(where: { $0 == ">" || $0 == "<" }) else {
                    Issue.record("\(where_): cannot read '\(line)'")
                    continue
                }
                let who = String(line[..<mark])
                let body = String(line[line.index(mark, offsetBy: 2)...])
                let conn = try await connection(who)
                if line[mark] == ">" {
                    try await conn.send(Self.substitute(body, variables))
                } else {
                    let received = try await conn.nextLine()
                    guard let captures = try Self.match(Self.substitute(body, variables, keepPatterns: true), received) else {
                        Issue.record("\(where_): expected '\(body)', received '\(received)'")
                        return
                    }
                    variables.merge(captures) { _, new in new }
                }
            }
            for connection in connections.values { await connection.close() }
        }
    }

    /// Replaces `{var}` by its value; patterns (`{*}`, `{time}`, `{...}`, `{=var}`) are left alone.
    static func substitute(_ text: String, _ variables: [String: String], keepPatterns: Bool = false) -> String {
        var out = text
        for (name, value) in variables { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
        return out
    }

    /// Matches a received line against a pattern; returns the captured variables, or nil.
    static func match(_ pattern: String, _ line: String) throws -> [String: String]? {
        var regex = "^"
        var names: [String] = []
        var rest = Substring(pattern)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            regex += NSRegularExpression.escapedPattern(for: String(rest[..<open]))
            let token = rest[rest.index(after: open)..<close]
            switch token {
            case "*": regex += "\\S+"
            case "time": regex += "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z"
            case "...": regex += ".*"
            default:
                if token.hasPrefix("=") {
                    names.append(String(token.dropFirst()))
                    regex += "(\\S+)"
                } else {
                    regex += NSRegularExpression.escapedPattern(for: "{\(token)}")
                }
            }
            rest = rest[rest.index(after: close)...]
        }
        regex += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
        let expression = try NSRegularExpression(pattern: regex)
        let range = NSRange(line.startIndex..., in: line)
        guard let result = expression.firstMatch(in: line, range: range) else { return nil }
        var captures: [String: String] = [:]
        for (index, name) in names.enumerated() {
            if let captured = Range(result.range(at: index + 1), in: line) { captures[name] = String(line[captured]) }
        }
        return captures
    }
}
