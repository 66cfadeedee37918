import Foundation

/// Lines that describe rooms and the referential, as values with one encoder (``message(id:)``) that the server
/// writes through and one decoder (`init?`) that the clients read through (PROTOCOL.md §9, §11).

/// A comma-separated list, `-` or empty for none.
private func list(_ text: String?) -> [String]? {
    guard let text else { return nil }
    return text.isEmpty || text == "-" ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
}

/// A room as `ROOM-LIST`, `ROOM-SHOW`, `ROOM-CREATE` and `ROOM-UPDATE` write it:
/// `ROOM <id> <state> <kind> <start> <end> candidates=… jurors=… president=… [details] [:title]` (§11).
public struct RoomLine: Hashable, Sendable {
    /// A phase of the plan, `name:<seconds>s`.
    public struct PhaseItem: Hashable, Sendable {
        /// Its name.
        public var name: String
        /// Its length in seconds.
        public var seconds: Int

        /// Creates a phase.
        public init(name: String, seconds: Int) {
            self.name = name
            self.seconds = seconds
        }
    }

    /// What `ROOM-SHOW`, `ROOM-CREATE` and `ROOM-UPDATE` add to a listed room.
    public struct Details: Hashable, Sendable {
        /// The épreuve number.
        public var epreuve: Int
        /// The competences assessed, in order.
        public var competences: [String]
        /// The phases, in order.
        public var phases: [PhaseItem]
        /// The warnings, in seconds before the end.
        public var warnings: [Int]
        /// `live` or `blind`.
        public var visibility: String
        /// The full hash of the room's referential version.
        public var referential: String
        /// The room's last event number, in the recipient's numbering (§4.3).
        public var seq: Int

        /// Creates details.
        public init(epreuve: Int, competences: [String], phases: [PhaseItem], warnings: [Int], visibility: String, referential: String, seq: Int) {
            self.epreuve = epreuve
            self.competences = competences
            self.phases = phases
            self.warnings = warnings
            self.visibility = visibility
            self.referential = referential
            self.seq = seq
        }
    }

    /// The room's id.
    public var room: String
    /// Its state, as the recipient is told it (§12).
    public var state: RoomLifecycle
    /// `team` or `individual`.
    public var kind: String
    /// The planned start.
    public var start: Date
    /// The planned end.
    public var end: Date
    /// The candidates, in order.
    public var candidates: [String]
    /// The two jurors.
    public var jurors: [String]
    /// The jury's president.
    public var president: String
    /// The details, on a detailed line.
    public var details: Details?
    /// The title, if the room has one.
    public var title: String?

    /// Creates a room line.
    public init(
        room: String, state: RoomLifecycle, kind: String, start: Date, end: Date, candidates: [String], jurors: [String], president: String,
        details: Details?, title: String?
    ) {
        self.room = room
        self.state = state
        self.kind = kind
        self.start = start
        self.end = end
        self.candidates = candidates
        self.jurors = jurors
        self.president = president
        self.details = details
        self.title = title
    }

    /// The line, tagged with `id`.
    public func message(id: String?) -> Message {
        var words = [
            room, state.rawValue, kind, WireTime.format(start), WireTime.format(end),
            "candidates=\(candidates.joined(separator: ","))", "jurors=\(jurors.joined(separator: ","))", "president=\(president)",
        ]
        if let details {
            words += [
                "epreuve=\(details.epreuve)",
                "competences=\(details.competences.joined(separator: ","))",
                "phases=\(details.phases.map { "\($0.name):\($0.seconds)s" }.joined(separator: ","))",
                "warnings=\(details.warnings.map(String.init).joined(separator: ","))",
                "visibility=\(details.visibility)",
                "referential=\(details.referential)",
                "seq=\(details.seq)",
            ]
        }
        return Message(id: id, verb: "ROOM", words, text: title)
    }

    /// Reads a `ROOM` line; nil for another line or one missing a field. A line with `competences=` is detailed;
    /// unknown `key=value` items (a later version's) are skipped.
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "ROOM", words.count >= 5, let state = RoomLifecycle(rawValue: words[1]),
            let start = WireTime.parse(words[3]), let end = WireTime.parse(words[4])
        else { return nil }
        let known = items(words.dropFirst(5))
        guard let candidates = list(known["candidates"]), let jurors = list(known["jurors"]), let president = known["president"] else {
            return nil
        }
        room = words[0]
        self.state = state
        kind = words[2]
        self.start = start
        self.end = end
        self.candidates = candidates
        self.jurors = jurors
        self.president = president
        title = text
        guard let competences = list(known["competences"]) else { return }
        guard let epreuve = known["epreuve"].flatMap({ Int($0) }), let phaseList = list(known["phases"]),
            let warningList = list(known["warnings"]), let visibility = known["visibility"], let referential = known["referential"],
            let seq = known["seq"].flatMap({ Int($0) })
        else { return nil }
        var phases: [PhaseItem] = []
        for item in phaseList {
            guard let colon = item.lastIndex(of: ":"), item.hasSuffix("s"),
                let seconds = Int(item[item.index(after: colon)...].dropLast())
            else { return nil }
            phases.append(PhaseItem(name: String(item[..<colon]), seconds: seconds))
        }
        var warnings: [Int] = []
        for item in warningList {
            guard let seconds = Int(item) else { return nil }
            warnings.append(seconds)
        }
        details = Details(
            epreuve: epreuve, competences: competences, phases: phases, warnings: warnings, visibility: visibility, referential: referential,
            seq: seq
        )
    }
}

/// A competence of the referential: `COMPETENCE <code> <block> <épreuve> <stated|implied> [task= subtask= hours=]
/// criteria=<n> :<title>` (`COMPETENCE-LIST`, `COMPETENCE-SHOW`, §9).
public struct CompetenceLine: Hashable, Sendable {
    /// Its code, e.g. `A1C2`.
    public var code: String
    /// Its block's code.
    public var block: String
    /// The épreuve that assesses it.
    public var epreuve: Int
    /// Whether the épreuve is written on the competence's row of the referential (`stated`) or deduced (`implied`).
    public var epreuveStated: Bool
    /// Its task, on `COMPETENCE-SHOW`.
    public var task: String?
    /// Its subtask, if any, on `COMPETENCE-SHOW`.
    public var subtask: String?
    /// Its preparation hours, if any, on `COMPETENCE-SHOW`.
    public var hours: String?
    /// How many criteria it has.
    public var criteria: Int
    /// Its title, verbatim.
    public var title: String

    /// Creates a competence line.
    public init(
        code: String, block: String, epreuve: Int, epreuveStated: Bool, task: String? = nil, subtask: String? = nil, hours: String? = nil,
        criteria: Int, title: String
    ) {
        self.code = code
        self.block = block
        self.epreuve = epreuve
        self.epreuveStated = epreuveStated
        self.task = task
        self.subtask = subtask
        self.hours = hours
        self.criteria = criteria
        self.title = title
    }

    /// The line, tagged with `id`.
    public func message(id: String?) -> Message {
        var words = [code, block, String(epreuve), epreuveStated ? "stated" : "implied"]
        if let task { words.append("task=\(task)") }
        if let subtask { words.append("subtask=\(subtask)") }
        if let hours { words.append("hours=\(hours)") }
        words.append("criteria=\(criteria)")
        return Message(id: id, verb: "COMPETENCE", words, text: title)
    }

    /// Reads a `COMPETENCE` line; nil for another line or one missing a field.
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "COMPETENCE", words.count >= 5, let epreuve = Int(words[2]), ["stated", "implied"].contains(words[3]) else {
            return nil
        }
        let known = items(words.dropFirst(4))
        guard let criteria = known["criteria"].flatMap({ Int($0) }) else { return nil }
        code = words[0]
        block = words[1]
        self.epreuve = epreuve
        epreuveStated = words[3] == "stated"
        task = known["task"]
        subtask = known["subtask"]
        hours = known["hours"]
        self.criteria = criteria
        title = text ?? ""
    }
}

/// A criterion of a competence: `CRITERION <id> <group> :<text>` (`COMPETENCE-SHOW`, §9).
public struct CriterionLine: Hashable, Sendable {
    /// Its id, `<competence>.<n>`.
    public var id: String
    /// The number of its group of criteria (from 1).
    public var group: Int
    /// Its text, verbatim.
    public var text: String

    /// Creates a criterion line.
    public init(id: String, group: Int, text: String) {
        self.id = id
        self.group = group
        self.text = text
    }

    /// The line, tagged with `request`.
    public func message(id request: String?) -> Message {
        Message(id: request, verb: "CRITERION", [id, String(group)], text: text)
    }

    /// Reads a `CRITERION` line; nil for another line or one missing a field.
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "CRITERION", words.count == 2, let group = Int(words[1]) else { return nil }
        id = words[0]
        self.group = group
        self.text = text ?? ""
    }
}

/// One line of a document sent line by line, `PV :<text>` or `TRANSCRIPT :<text>` (§12): the text, verbatim.
public struct DocumentLine: Hashable, Sendable {
    /// The line's text (empty for a blank line).
    public var text: String

    /// Reads a `PV` or `TRANSCRIPT` line; nil for another line.
    public init?(_ message: Message) {
        guard message.verb == "PV" || message.verb == "TRANSCRIPT" else { return nil }
        text = message.hasText ? (message.parameters.last ?? "") : ""
    }
}

/// `OK PV <room> <format> <lines> fingerprint=<hex>` (§12).
public struct DocumentReply: Hashable, Sendable {
    /// The room.
    public var room: String
    /// `markdown` or `html`.
    public var format: String
    /// The fingerprint of the room's log at the PV's last event.
    public var fingerprint: String

    /// Reads the reply; nil for another line.
    public init?(_ message: Message) {
        let (words, _) = split(message)
        guard message.verb == "OK", words.count >= 5, words[0] == Verb.pv.rawValue, let fingerprint = items(words.dropFirst(4))["fingerprint"] else {
            return nil
        }
        room = words[1]
        format = words[2]
        self.fingerprint = fingerprint
    }
}

/// `OK TRANSCRIPT <candidate> <format> <lines> <certified|not-certified|incomplete>` (§12.5).
public struct TranscriptReply: Hashable, Sendable {
    /// The candidate.
    public var candidate: String
    /// `markdown` or `html`.
    public var format: String
    /// The candidate's outcome when the transcript was written.
    public var status: String

    /// Reads the reply; nil for another line.
    public init?(_ message: Message) {
        let (words, _) = split(message)
        guard message.verb == "OK", words.count >= 5, words[0] == Verb.transcript.rawValue, Int(words[3]) != nil else { return nil }
        candidate = words[1]
        format = words[2]
        status = words[4]
    }
}

/// `PONG <server-time> [token]`, the reply to `PING` (§6.4).
public struct PongReply: Hashable, Sendable {
    /// The server's time when it answered.
    public var serverTime: Date
    /// The token of the `PING`, if it had one.
    public var token: String?

    /// Reads the reply; nil for another line.
    public init?(_ message: Message) {
        guard message.verb == "PONG", !message.hasText, (1...2).contains(message.parameters.count),
            let time = message.parameters.first.flatMap(WireTime.parse)
        else { return nil }
        serverTime = time
        token = message.parameters.count == 2 ? message.parameters.last : nil
    }
}
