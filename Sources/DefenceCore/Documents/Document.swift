import Foundation

/// The language a record is written in.
public enum RecordLanguage: String, Sendable, Hashable, CaseIterable {
    /// French, the certification's language and the default.
    case fr
    /// English.
    case en

    /// The French or the English text.
    public func text(_ french: String, _ english: String) -> String {
        self == .fr ? french : english
    }
}

/// How a record writes times: in the server's time zone, each with its offset from UTC, so that a printed PV reads
/// on its own; the data keeps UTC.
public struct RecordClock: Sendable, Hashable {
    /// The zone times are written in.
    public let timeZone: TimeZone
    /// The language of the dates.
    public let language: RecordLanguage

    /// A clock for `timeZone`, in `language`.
    public init(timeZone: TimeZone, language: RecordLanguage) {
        self.timeZone = timeZone
        self.language = language
    }

    /// `+01:00`: the zone's offset from UTC at `date`.
    public func offset(at date: Date) -> String {
        let seconds = timeZone.secondsFromGMT(for: date)
        let sign = seconds < 0 ? "-" : "+"
        let minutes = abs(seconds) / 60
        return "\(sign)\(pad(minutes / 60)):\(pad(minutes % 60))"
    }

    /// The zone's name and offset, for a heading: `Europe/Paris, UTC+01:00`.
    public func zone(at date: Date) -> String {
        "\(timeZone.identifier), UTC\(offset(at: date))"
    }

    /// The local date: `07/12/2026` in French, `2026-12-07` in English.
    public func day(_ date: Date) -> String {
        let c = components(date)
        return language == .fr ? "\(pad(c.day))/\(pad(c.month))/\(c.year)" : "\(c.year)-\(pad(c.month))-\(pad(c.day))"
    }

    /// The local time of day with its offset: `09:30:05 (UTC+01:00)`.
    public func hour(_ date: Date) -> String {
        let c = components(date)
        return "\(pad(c.hour)):\(pad(c.minute)):\(pad(c.second)) (UTC\(offset(at: date)))"
    }

    /// The local date and time with its offset: `07/12/2026 09:30:05 (UTC+01:00)`; `—` for none.
    public func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        let c = components(date)
        return "\(day(date)) \(pad(c.hour)):\(pad(c.minute)):\(pad(c.second)) (UTC\(offset(at: date)))"
    }

    private func components(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return (c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    private func pad(_ number: Int) -> String { number < 10 ? "0\(number)" : String(number) }
}

/// A record as blocks (headings, paragraphs, lists, tables), written out as Markdown or as a self-contained,
/// print-ready HTML page.
public struct RecordDocument: Sendable, Hashable {
    /// A piece of the document.
    public enum Block: Sendable, Hashable {
        /// A heading of level 1 to 4.
        case heading(Int, String)
        /// A paragraph.
        case paragraph(String)
        /// A bulleted list.
        case list([String])
        /// A table with a header row.
        case table(header: [String], rows: [[String]])
    }

    /// The title (the HTML page's).
    public let title: String
    /// Its language.
    public let language: RecordLanguage
    /// The blocks, in order.
    public let blocks: [Block]

    /// Creates a document.
    public init(title: String, language: RecordLanguage, blocks: [Block]) {
        self.title = title
        self.language = language
        self.blocks = blocks
    }

    /// The document as Markdown.
    public var markdown: String {
        // Every text is the record's, not markup: a legal name such as "PETIT | Hugo **gras** <b>" must read as
        // written, not as a table cell, bold or HTML.
        func text(_ raw: String) -> String {
            var out = ""
            for character in raw {
                if "\\`*_[]<>|".contains(character) { out.append("\\") }
                out.append(character == "\n" ? " " : character)
            }
            if let first = out.first, "#+-".contains(first) { out = "\\" + out }
            return out
        }
        func cell(_ raw: String) -> String { text(raw) }
        var lines: [String] = []
        for block in blocks {
            switch block {
            case .heading(let level, let title): lines += [String(repeating: "#", count: level) + " " + text(title), ""]
            case .paragraph(let paragraph): lines += [text(paragraph), ""]
            case .list(let items): lines += items.map { "- " + text($0) } + [""]
            case .table(let header, let rows):
                lines.append("| " + header.map(cell).joined(separator: " | ") + " |")
                lines.append("|" + String(repeating: " --- |", count: header.count))
                lines += rows.map { "| " + $0.map(cell).joined(separator: " | ") + " |" }
                lines.append("")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The document as a self-contained, print-ready HTML page.
    public var html: String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var lines = [
            "<!DOCTYPE html>",
            "<html lang=\"\(language.rawValue)\">",
            "<head>",
            "<meta charset=\"utf-8\">",
            "<title>\(escape(title))</title>",
            "<style>",
            "body { font-family: Georgia, serif; font-size: 11pt; margin: 2cm; color: #000; }",
            "h1 { font-size: 18pt; } h2 { font-size: 14pt; border-bottom: 1px solid #000; margin-top: 1.5em; }",
            "h3 { font-size: 12pt; margin-top: 1.2em; } h4 { font-size: 11pt; }",
            "table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }",
            "th, td { border: 1px solid #444; padding: 3pt 5pt; vertical-align: top; text-align: left; }",
            "@page { size: A4; margin: 1.5cm; } @media print { body { margin: 0; } h2, h3 { break-after: avoid; } tr { break-inside: avoid; } }",
            "</style>",
            "</head>",
            "<body>",
        ]
        for block in blocks {
            switch block {
            case .heading(let level, let text): lines.append("<h\(level)>\(escape(text))</h\(level)>")
            case .paragraph(let text): lines.append("<p>\(escape(text))</p>")
            case .list(let items): lines.append("<ul>" + items.map { "<li>\(escape($0))</li>" }.joined() + "</ul>")
            case .table(let header, let rows):
                lines.append("<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>")
                lines += rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }
                lines.append("</tbody></table>")
            }
        }
        lines += ["</body>", "</html>"]
        return lines.joined(separator: "\n")
    }
}
