import Foundation

/// A certification day's CSV file, cut into the lines `DAY-IMPORT` carries (PROTOCOL.md §11.2).
///
/// Files come from spreadsheets: a UTF-8 byte order mark is dropped, and lines may end with LF, CRLF (Excel on
/// Windows) or CR. Lines are cut on Unicode scalars, never on Swift characters, which read CRLF as one. A file
/// whose first line is not the header is refused before anything is sent.
public enum DayFile {
    /// The header's columns, in order.
    public static let columns = [
        "record", "id", "role", "name", "email", "kind", "start", "candidates", "jurors", "president", "competences",
        "visibility", "title",
    ]

    /// Columns a file may add after ``columns``, in this order and each only with those before it: a candidate's
    /// track, number and legal name. Files without them still import.
    public static let optionalColumns = ["track", "number", "legal-name"]

    /// The headers a file may have: ``columns``, then none, some or all of ``optionalColumns`` in order.
    public static let headers: [[String]] = (0...optionalColumns.count).map { columns + optionalColumns.prefix($0) }

    /// Why a file cannot be sent.
    public enum Problem: Error, Hashable, CustomStringConvertible {
        /// The file is not UTF-8 text.
        case notText
        /// The file has no line.
        case empty
        /// The first line is not the header.
        case notTheHeader(String)
        /// More lines than one import carries.
        case tooManyLines(Int)
        /// A line holds a control character (a line may not carry one: PROTOCOL.md §11.2).
        case controlCharacter(line: Int)
        /// A line is longer than a protocol line may be once sent behind its `|` (PROTOCOL.md §2).
        case lineTooLong(line: Int)

        public var description: String {
            switch self {
            case .notText: "the file is not UTF-8 text"
            case .empty: "the file is empty"
            case .notTheHeader(let line): "the first line must be the header \(DayFile.columns.joined(separator: ",")), not: \(line.prefix(80))"
            case .tooManyLines(let count): "the file has \(count) lines; an import carries at most \(Command.maxImportLines)"
            case .controlCharacter(let line): "line \(line) holds a control character"
            case .lineTooLong(let line): "line \(line) is longer than \(Limits.standard.maxLineBytes - 1) bytes"
            }
        }
    }

    /// The lines of a day file, header first, without line endings and without trailing empty lines.
    /// - Throws: ``Problem`` for a file that is not a day file.
    public static func lines(of data: Data) throws(Problem) -> [String] {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notText }
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" && afterCR {
                afterCR = false
                continue
            }
            afterCR = scalar == "\r"
            if scalar == "\n" || scalar == "\r" {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        guard let header = lines.first else { throw .empty }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { field in
            field.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        }
        guard headers.contains(names) else { throw .notTheHeader(header) }
        guard lines.count <= Command.maxImportLines else { throw .tooManyLines(lines.count) }
        if let index = lines.firstIndex(where: { $0.unicodeScalars.contains(where: LineParser.isControl) }) {
            throw .controlCharacter(line: index + 1)
        }
        if let index = lines.firstIndex(where: { $0.utf8.count + 1 > Limits.standard.maxLineBytes }) {
            throw .lineTooLong(line: index + 1)
        }
        return lines
    }
}
