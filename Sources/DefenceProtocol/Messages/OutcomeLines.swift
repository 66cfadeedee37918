import Foundation

/// The lines of `OUTCOME` and `OUTCOMES` (PROTOCOL.md §12.5), each with one encoder the server writes through and
/// one decoder the clients read through.

/// A competence of a candidate's outcome:
/// `COMPETENCE <code> <acquis|non-acquis|-> [room=<id>] [at=<time>] [earlier=<room>:<decision>,…]`.
public struct OutcomeCompetenceLine: Hashable, Sendable {
    /// An earlier signed decision on the competence (a re-sit), oldest first.
    public struct Earlier: Hashable, Sendable {
        /// The room.
        public var room: String
        /// Its decision.
        public var decision: Decision

        /// Creates one.
        public init(room: String, decision: Decision) {
            self.room = room
            self.decision = decision
        }
    }

    /// The competence.
    public var code: String
    /// The decision that counts, or nil when none is signed.
    public var decision: Decision?
    /// The room of that decision.
    public var room: String?
    /// When that room was signed.
    public var at: Date?
    /// The earlier signed decisions.
    public var earlier: [Earlier]

    /// Creates a line.
    public init(code: String, decision: Decision?, room: String?, at: Date?, earlier: [Earlier]) {
        self.code = code
        self.decision = decision
        self.room = room
        self.at = at
        self.earlier = earlier
    }

    /// The line, tagged with `id`.
    public func message(id: String?) -> Message {
        var words = [code, decision?.rawValue ?? "-"]
        if let room { words.append("room=\(room)") }
        if let at { words.append("at=\(WireTime.format(at))") }
        if !earlier.isEmpty { words.append("earlier=" + earlier.map { "\($0.room):\($0.decision.rawValue)" }.joined(separator: ",")) }
        return Message(id: id, verb: "COMPETENCE", words)
    }

    /// Reads the line; nil for another line, a `COMPETENCE` line of the referential, or a malformed one.
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "COMPETENCE", text == nil, words.count >= 2 else { return nil }
        let decision: Decision?
        if words[1] == "-" { decision = nil } else if let value = Decision(rawValue: words[1]) { decision = value } else { return nil }
        let known = items(words.dropFirst(2))
        guard words.dropFirst(2).allSatisfy({ $0.contains("=") }) else { return nil }
        var earlier: [Earlier] = []
        if let list = known["earlier"] {
            for item in list.split(separator: ",") {
                guard let colon = item.lastIndex(of: ":"), let value = Decision(rawValue: String(item[item.index(after: colon)...])) else { return nil }
                earlier.append(Earlier(room: String(item[..<colon]), decision: value))
            }
        }
        if let time = known["at"] {
            guard let date = WireTime.parse(time) else { return nil }
            at = date
        } else {
            at = nil
        }
        code = words[0]
        self.decision = decision
        room = known["room"]
        self.earlier = earlier
    }
}

/// A block of a candidate's outcome: `BLOCK <code> <validated|not-validated|incomplete> acquis=<n>/<total> needed=<n>`.
public struct OutcomeBlockLine: Hashable, Sendable {
    /// The block.
    public var code: String
    /// `validated`, `not-validated` or `incomplete`.
    public var status: String
    /// How many of its competences are acquis.
    public var acquired: Int
    /// How many competences it has.
    public var total: Int
    /// How many must be acquis.
    public var needed: Int

    /// Creates a line.
    public init(code: String, status: String, acquired: Int, total: Int, needed: Int) {
        self.code = code
        self.status = status
        self.acquired = acquired
        self.total = total
        self.needed = needed
    }

    /// The line, tagged with `id`.
    public func message(id: String?) -> Message {
        Message(id: id, verb: "BLOCK", [code, status, "acquis=\(acquired)/\(total)", "needed=\(needed)"])
    }

    /// Reads the line; nil for another line (a `BLOCK` line of `BLOCK-LIST` included).
    public init?(_ message: Message) {
        let (words, text) = split(message)
        guard message.verb == "BLOCK", text == nil, words.count >= 4, ["validated", "not-validated", "incomplete"].contains(words[1]) else {
            return nil
        }
        let known = items(words.dropFirst(2))
        let fraction = known["acquis"]?.split(separator: "/").compactMap { Int($0) } ?? []
        guard fraction.count == 2, let needed = known["needed"].flatMap({ Int($0) }) else { return nil }
        code = words[0]
        status = words[1]
        acquired = fraction[0]
        total = fraction[1]
        self.needed = needed
    }
}

/// A candidate's outcome in one line: `OK OUTCOME <candidate> <status> track=<id> blocks=<validated>/<total>
/// needed=<n>` (the reply of `OUTCOME`), or the same as a data line of `OUTCOMES`,
/// `OUTCOME <candidate> <status> track=<id|-> blocks=<v>/<t> needed=<n> [number=<text>] :<name on the records>`.
public struct OutcomeSummary: Hashable, Sendable {
    /// The candidate.
    public var candidate: String
    /// `certified`, `not-certified` or `incomplete`.
    public var status: String
    /// The track, nil for a candidate without one.
    public var track: String?
    /// Validated blocks.
    public var validated: Int
    /// Blocks of the track.
    public var total: Int
    /// Blocks needed.
    public var needed: Int
    /// The candidate number (data line only).
    public var number: String?
    /// The name on the records (data line only).
    public var name: String?

    /// Creates a summary.
    public init(candidate: String, status: String, track: String?, validated: Int, total: Int, needed: Int, number: String? = nil, name: String? = nil) {
        self.candidate = candidate
        self.status = status
        self.track = track
        self.validated = validated
        self.total = total
        self.needed = needed
        self.number = number
        self.name = name
    }

    private var words: [String] {
        [candidate, status, "track=\(track ?? "-")", "blocks=\(validated)/\(total)", "needed=\(needed)"]
    }

    /// The terminal reply of `OUTCOME`.
    public func reply(id: String?) -> Message {
        .ok(verb: Verb.outcome.rawValue, words, id: id)
    }

    /// The data line of `OUTCOMES`.
    public func line(id: String?) -> Message {
        Message(id: id, verb: "OUTCOME", words + (number.map { ["number=\($0)"] } ?? []), text: name)
    }

    /// Reads the reply or the data line; nil for another line.
    public init?(_ message: Message) {
        var (words, text) = split(message)
        if message.verb == "OK" {
            guard words.first == Verb.outcome.rawValue else { return nil }
            words.removeFirst()
        } else if message.verb != "OUTCOME" {
            return nil
        }
        guard words.count >= 5, ["certified", "not-certified", "incomplete"].contains(words[1]) else { return nil }
        let known = items(words.dropFirst(2))
        let blocks = known["blocks"]?.split(separator: "/").compactMap { Int($0) } ?? []
        guard let track = known["track"], blocks.count == 2, let needed = known["needed"].flatMap({ Int($0) }) else { return nil }
        candidate = words[0]
        status = words[1]
        self.track = track == "-" ? nil : track
        validated = blocks[0]
        total = blocks[1]
        self.needed = needed
        number = known["number"]
        name = text
    }
}
