import DefenceProtocol
import Foundation

/// A certification day read from CSV: users and rooms to create together, or the faults that prevent it.
///
/// The format (documented in PROTOCOL.md and `Protocol/examples/day.csv`): a header line naming the columns
/// `record,id,role,name,email,kind,start,candidates,jurors,president,competences,visibility,title`, then one line
/// per record. `user` records use `id,role,name,email`; `room` records use `id,kind,start,candidates,jurors,
/// president,competences,visibility,title`. Lists inside a field are separated by `;`. `competences` is a list of
/// codes, `block:<code>` or `specialisation:<id>`. Fields may be quoted with `"` (a quote inside is doubled).
public struct DayImport: Sendable {
    /// A user line.
    public struct UserRow: Sendable {
        /// Its line number in the file (the header is line 1).
        public var line: Int
        /// The account to create.
        public var user: User
    }

    /// A room line.
    public struct RoomRow: Sendable {
        /// Its line number in the file.
        public var line: Int
        /// The room to schedule.
        public var request: RoomRequest
    }

    /// A faulty line.
    public struct Fault: Hashable, Sendable {
        /// Its line number in the file.
        public var line: Int
        /// What kind of fault.
        public var code: ErrorCode
        /// What is wrong.
        public var text: String

        /// Creates a fault.
        public init(line: Int, code: ErrorCode, text: String) {
            self.line = line
            self.code = code
            self.text = text
        }
    }

    /// The users, in file order.
    public var users: [UserRow] = []
    /// The rooms, in file order.
    public var rooms: [RoomRow] = []
    /// The faults found while reading (more may be found when validating against the server's data).
    public var faults: [Fault] = []

    /// The header line.
    public static let columns = DayFile.columns

    /// Reads CSV lines (without line endings); line 1 is the header.
    public init(lines: [String]) {
        guard let header = lines.first else {
            faults.append(Fault(line: 1, code: .badArguments, text: "the file is empty"))
            return
        }
        let names: [String]
        switch Self.fields(of: header) {
        case .success(let fields): names = fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        case .failure(let problem):
            faults.append(Fault(line: 1, code: .badArguments, text: problem.text))
            return
        }
        guard DayFile.headers.contains(names) else {
            let optional = DayFile.optionalColumns.joined(separator: ",")
            faults.append(Fault(line: 1, code: .badArguments, text: "the header must be: \(Self.columns.joined(separator: ",")), optionally followed by \(optional) in that order"))
            return
        }
        var seenUsers: Set<String> = []
        var seenRooms: Set<String> = []
        for (offset, text) in lines.enumerated().dropFirst() {
            let line = offset + 1
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields: [String]
            switch Self.fields(of: text) {
            case .success(let values): fields = values
            case .failure(let problem):
                faults.append(Fault(line: line, code: .badArguments, text: problem.text))
                continue
            }
            guard fields.count == names.count else {
                faults.append(Fault(line: line, code: .badArguments, text: "\(fields.count) fields; every line has \(names.count)"))
                continue
            }
            var row: [String: String] = [:]
            for (name, value) in zip(names, fields) {
                let trimmed = value.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { row[name] = trimmed }
            }
            do throws(DomainError) {
                switch row["record"]?.lowercased() {
                case "user":
                    let user = try Self.user(row)
                    guard seenUsers.insert(user.id).inserted else {
                        throw DomainError(.alreadyExists, "user \(user.id) appears twice in the file")
                    }
                    users.append(UserRow(line: line, user: user))
                case "room":
                    let request = try Self.room(row)
                    guard seenRooms.insert(request.id).inserted else {
                        throw DomainError(.alreadyExists, "room \(request.id) appears twice in the file")
                    }
                    rooms.append(RoomRow(line: line, request: request))
                default:
                    throw DomainError(.badArguments, "record must be user or room")
                }
            } catch {
                faults.append(Fault(line: line, code: error.code, text: error.text))
            }
        }
    }

    static func user(_ row: [String: String]) throws(DomainError) -> User {
        guard let id = row["id"] else { throw DomainError(.badArguments, "a user needs an id") }
        try AccountRules.validateUserID(id)
        let role = try AccountRules.parseRole(row["role"] ?? "")
        guard let name = row["name"] else { throw DomainError(.badArguments, "user \(id) needs a name") }
        try AccountRules.validateDisplayName(name)
        if let email = row["email"] { try AccountRules.validateEmail(email) }
        // Checked against the referential's tracks, and the numbers against the accounts, when the day is validated.
        let fields = AccountFields(track: row["track"], number: row["number"], legalName: row["legal-name"])
        return User(id: id, role: role, displayName: name, email: row["email"], createdAt: Date(timeIntervalSince1970: 0), fields: fields)
    }

    static func room(_ row: [String: String]) throws(DomainError) -> RoomRequest {
        guard let id = row["id"] else { throw DomainError(.badArguments, "a room needs an id") }
        guard let kindText = row["kind"], let kind = RoomKind(rawValue: kindText.lowercased()) else {
            throw DomainError(.badArguments, "room \(id): kind must be team, individual or final")
        }
        guard let startText = row["start"], let start = WireTime.parse(startText) else {
            throw DomainError(.badArguments, "room \(id): start must be an RFC 3339 time such as 2026-12-01T09:00:00Z")
        }
        func list(_ field: String) -> [String] {
            (row[field] ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        guard let president = row["president"] else { throw DomainError(.badArguments, "room \(id) needs a president") }
        var request = RoomRequest(id: id, kind: kind, start: start, candidates: list("candidates"), jurors: list("jurors"), president: president)
        let competences = row["competences"] ?? ""
        if competences.hasPrefix("block:") {
            request.block = String(competences.dropFirst(6))
        } else if competences.hasPrefix("specialisation:") {
            request.specialisation = String(competences.dropFirst(15))
        } else if !competences.isEmpty {
            request.competences = list("competences")
        }
        if let visibility = row["visibility"] {
            guard let value = ScoringVisibility(rawValue: visibility.lowercased()) else {
                throw DomainError(.badArguments, "room \(id): visibility must be live or blind")
            }
            request.visibility = value
        }
        request.title = row["title"]
        return request
    }

    struct Problem: Error {
        let text: String
    }

    /// Splits one CSV line into fields (RFC 4180 quoting, one record per line).
    static func fields(of line: String) -> Result<[String], Problem> {
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var iterator = Array(line).makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else { inQuotes = false; pending = next }
                    } else {
                        inQuotes = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" && current.isEmpty {
                inQuotes = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        if inQuotes { return .failure(Problem(text: "a quoted field is not closed")) }
        fields.append(current)
        return .success(fields)
    }
}
