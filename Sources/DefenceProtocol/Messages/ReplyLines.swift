import Foundation

/// Replies and data lines the clients read, as values (PROTOCOL.md §9–§12): each reads its line by name, so that no
/// other module reads a reply by position. Each `init?` is `nil` for a line that is not of its shape.

/// `OK WHOAMI <user> <role> [email=<address>] [track=…] [number=…] [legal-name=…] [capacity=…] :<display name>`.
public struct WhoamiReply: Hashable, Sendable {
    /// The user's id.
    public var user: String
    /// The user's role (`candidate`, `juror`, `admin`).
    public var role: String
    /// The e-mail address, if the account has one.
    public var email: String?
    /// The account's certification fields.
    public var fields: AccountFields
    /// The display name.
    public var displayName: String

    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "OK", words.count >= 3, words[0] == Verb.whoami.rawValue else { return nil }
        user = words[1]
        role = words[2]
        var options: [String: String] = [:]
        for word in words.dropFirst(3) {
            guard let equals = word.firstIndex(of: "="), options[String(word[..<equals])] == nil else { return nil }
            options[String(word[..<equals])] = String(word[word.index(after: equals)...])
        }
        guard Set(options.keys).isSubset(of: AccountFields.optionNames.union(["email"])) else { return nil }
        email = options["email"]
        fields = AccountFields(options: options)
        displayName = text ?? ""
    }
}

/// `OK TOKEN-ISSUE <token-id> <user> <token> [expires=<time>]`.
public struct TokenIssuedReply: Hashable, Sendable {
    /// The token's id.
    public var id: Int
    /// Whose token it is.
    public var user: String
    /// The token itself, shown once.
    public var token: String
    /// When it expires, if it does.
    public var expires: Date?

    public init?(_ message: Message) {
        let (words, _) = split(message)
        guard message.verb == "OK", words.count >= 4, words[0] == Verb.tokenIssue.rawValue, let id = Int(words[1]) else { return nil }
        self.id = id
        user = words[2]
        token = words[3]
        expires = words.dropFirst(4).first { $0.hasPrefix("expires=") }.flatMap { WireTime.parse(String($0.dropFirst(8))) }
    }
}

/// A grid data line of `PROGRESS`: `MARK <juror> <candidate> <criterion> <mark> [:comment]` or
/// `PROPOSAL <juror> <candidate> <competence> <decision> [:comment]` (§12.1).
public struct GridLine: Hashable, Sendable {
    /// A mark of a criterion, or a proposal for a competence.
    public enum Value: Hashable, Sendable {
        case mark(Mark)
        case proposal(Decision)
    }

    /// The juror whose grid it is.
    public var juror: String
    /// The candidate.
    public var candidate: String
    /// The criterion (marks) or the competence (proposals).
    public var item: String
    /// The value.
    public var value: Value
    /// The comment, if any.
    public var comment: String?

    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard words.count == 4 else { return nil }
        switch message.verb {
        case "MARK": guard let mark = Mark(rawValue: words[3]) else { return nil }; value = .mark(mark)
        case "PROPOSAL": guard let decision = Decision(rawValue: words[3]) else { return nil }; value = .proposal(decision)
        default: return nil
        }
        juror = words[0]
        candidate = words[1]
        item = words[2]
        comment = text
    }
}

/// `RESULT <room> <candidate> <competence> <acquis|non-acquis|-> <signed|provisional> [:comment]` (§12.3).
public struct ResultLine: Hashable, Sendable {
    /// The room.
    public var room: String
    /// The candidate.
    public var candidate: String
    /// The competence.
    public var competence: String
    /// The decision as written (`-` when none yet).
    public var decision: String
    /// `signed` or `provisional`.
    public var status: String
    /// The jury's comment, if any.
    public var comment: String?

    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "RESULT", words.count == 5 else { return nil }
        room = words[0]
        candidate = words[1]
        competence = words[2]
        decision = words[3]
        status = words[4]
        comment = text
    }
}

/// `OUTAGE <id> <user|*server*> <from> <to|-> <seconds|-> <open|not-compensated|declined|compensated=<s>>` (§11.3).
public struct OutageLine: Hashable, Sendable {
    /// The outage's number in the room.
    public var id: Int
    /// Who lost the connection, or `nil` for a server downtime (`*server*`).
    public var user: String?
    /// When it started, as written.
    public var from: String
    /// When it ended, or `nil` while open.
    public var to: String?
    /// How long it lasted, or `nil` while open.
    public var seconds: Int?
    /// `open`, `not-compensated`, `declined` or `compensated=<s>`.
    public var status: String

    public init?(_ message: Message) {
        let (words, _) = split(message)
        guard message.verb == "OUTAGE", words.count == 6, let id = Int(words[0]) else { return nil }
        self.id = id
        user = words[1] == "*server*" ? nil : words[1]
        from = words[2]
        to = words[3] == "-" ? nil : words[3]
        seconds = Int(words[4])
        status = words[5]
    }
}

/// A `PROGRESS` data line of a team room: `EVIDENCE <candidate> <written|test> by=<juror> :text` (§12.1).
public struct EvidenceLine: Hashable, Sendable {
    /// The candidate.
    public var candidate: String
    /// Which individual part.
    public var part: EvidencePart
    /// The juror who wrote it.
    public var by: String
    /// What the jury recorded.
    public var text: String

    /// Creates the line's value.
    public init(candidate: String, part: EvidencePart, by: String, text: String) {
        self.candidate = candidate
        self.part = part
        self.by = by
        self.text = text
    }

    /// Reads the line; nil for another line.
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "EVIDENCE", words.count == 3, let part = EvidencePart(rawValue: words[1]), words[2].hasPrefix("by="), let text else {
            return nil
        }
        candidate = words[0]
        self.part = part
        by = String(words[2].dropFirst(3))
        self.text = text
    }

    /// The line, tagged with the request's `id`.
    public func message(id: String?) -> Message {
        Message(id: id, verb: "EVIDENCE", [candidate, part.rawValue, "by=\(by)"], text: text)
    }
}

/// A `PROGRESS` data line: `OBSERVATIONS by=<president> :text` (§12.1).
public struct ObservationsLine: Hashable, Sendable {
    /// The president who wrote them.
    public var by: String
    /// The jury's observations.
    public var text: String

    /// Creates the line's value.
    public init(by: String, text: String) {
        self.by = by
        self.text = text
    }

    /// Reads the line; nil for another line.
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "OBSERVATIONS", words.count == 1, words[0].hasPrefix("by="), let text else { return nil }
        by = String(words[0].dropFirst(3))
        self.text = text
    }

    /// The line, tagged with the request's `id`.
    public func message(id: String?) -> Message {
        Message(id: id, verb: "OBSERVATIONS", ["by=\(by)"], text: text)
    }
}

/// A `PROGRESS` data line of a final room: `EARLIER <candidate> <competence> <decision> room=<id> at=<time>`, the
/// decision already signed in an earlier room (§12.1).
public struct EarlierLine: Hashable, Sendable {
    /// The candidate.
    public var candidate: String
    /// The competence.
    public var competence: String
    /// The decision signed there.
    public var decision: Decision
    /// The room that decided it.
    public var room: String
    /// When that room was signed.
    public var at: Date

    /// Creates the line's value.
    public init(candidate: String, competence: String, decision: Decision, room: String, at: Date) {
        self.candidate = candidate
        self.competence = competence
        self.decision = decision
        self.room = room
        self.at = at
    }

    /// Reads the line; nil for another line.
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "EARLIER", text == nil, words.count == 5, let decision = Decision(rawValue: words[2]),
            words[3].hasPrefix("room="), words[4].hasPrefix("at="), let at = WireTime.parse(String(words[4].dropFirst(3)))
        else { return nil }
        candidate = words[0]
        competence = words[1]
        self.decision = decision
        room = String(words[3].dropFirst(5))
        self.at = at
    }

    /// The line, tagged with the request's `id`.
    public func message(id: String?) -> Message {
        Message(id: id, verb: "EARLIER", [candidate, competence, decision.rawValue, "room=\(room)", "at=\(WireTime.format(at))"])
    }
}

/// A `PROGRESS` data line: `SUBMITTED <juror>`, a juror whose grid is submitted (§12.1).
public struct SubmittedLine: Hashable, Sendable {
    /// The juror.
    public var juror: String

    /// Creates the line's value.
    public init(juror: String) {
        self.juror = juror
    }

    /// Reads the line; nil for another line.
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "SUBMITTED", words.count == 1, text == nil else { return nil }
        juror = words[0]
    }

    /// The line, tagged with the request's `id`.
    public func message(id: String?) -> Message {
        Message(id: id, verb: "SUBMITTED", [juror])
    }
}

/// `OK TIME <room> <state> <phase-index> <phase-name> remaining-ms=<n> ends-at=<time|-> overtime=<yes|no> server-time=<time>` (§11.3).
public struct TimeReply: Hashable, Sendable {
    /// The room.
    public var room: String
    /// Its state, as the reader is told it.
    public var state: String
    /// The current phase.
    public var phaseIndex: Int
    public var phaseName: String
    /// Milliseconds left (negative in overtime).
    public var remainingMs: Int64
    /// While the clock runs, when the planned time ends.
    public var endsAt: Date?
    /// Whether the planned time is over.
    public var overtime: Bool
    /// The server's time when it answered.
    public var serverTime: Date

    /// Reads the reply; nil for another line.
    public init?(_ message: Message) {
        let (words, _) = split(message)
        guard message.verb == "OK", words.count >= 9, words[0] == Verb.time.rawValue, let phase = Int(words[3]) else { return nil }
        let options = items(words.dropFirst(5))
        guard let remaining = options["remaining-ms"].flatMap({ Int64($0) }), let ends = options["ends-at"],
            let serverTime = options["server-time"].flatMap(WireTime.parse)
        else { return nil }
        room = words[1]
        state = words[2]
        phaseIndex = phase
        phaseName = words[4]
        remainingMs = remaining
        endsAt = ends == "-" ? nil : WireTime.parse(ends)
        overtime = options["overtime"] == "yes"
        self.serverTime = serverTime
    }
}

/// A `PROGRESS` data line: `DECISION <candidate> <competence> <decision> by=<juror> [:comment]` (§12.1).
public struct DecisionLine: Hashable, Sendable {
    public var candidate: String
    public var competence: String
    public var decision: Decision
    /// The juror who recorded it.
    public var by: String
    public var comment: String?

    /// Creates the line's value.
    public init(candidate: String, competence: String, decision: Decision, by: String, comment: String?) {
        self.candidate = candidate
        self.competence = competence
        self.decision = decision
        self.by = by
        self.comment = comment
    }

    /// Reads the line; nil for another line.
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "DECISION", words.count == 4, let decision = Decision(rawValue: words[2]), words[3].hasPrefix("by=") else { return nil }
        candidate = words[0]
        competence = words[1]
        self.decision = decision
        by = String(words[3].dropFirst(3))
        comment = text
    }

    /// The line, tagged with the request's `id`.
    public func message(id: String?) -> Message {
        Message(id: id, verb: "DECISION", [candidate, competence, decision.rawValue, "by=\(by)"], text: comment)
    }
}

/// A `PROGRESS` data line: `SIGNATURE <juror> <time> <grid hash>` (§12.1).
public struct SignatureLine: Hashable, Sendable {
    public var juror: String
    public var at: Date
    public var gridHash: String

    /// Creates the line's value.
    public init(juror: String, at: Date, gridHash: String) {
        self.juror = juror
        self.at = at
        self.gridHash = gridHash
    }

    /// Reads the line; nil for another line.
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "SIGNATURE", words.count == 3, text == nil, let at = WireTime.parse(words[1]) else { return nil }
        juror = words[0]
        self.at = at
        gridHash = words[2]
    }

    /// The line, tagged with the request's `id`.
    public func message(id: String?) -> Message {
        Message(id: id, verb: "SIGNATURE", [juror, WireTime.format(at), gridHash])
    }
}
