import Foundation

/// What a room event says, typed: the `<type> [parameters…] [:text]` part of an `EVENT` line (PROTOCOL.md §11.4).
/// The server writes every event through ``arguments``; clients read it through ``init(type:arguments:hasText:)``,
/// so that no other module reads an event's words by position.
public enum EventBody: Hashable, Sendable {
    /// How a time change leaves the clock: running to a deadline, or stopped with time left.
    public enum Clock: Hashable, Sendable {
        /// The clock runs until this time.
        case endsAt(Date)
        /// The clock is stopped with this many milliseconds left.
        case remainingMs(Int64)
    }

    case scheduled(kind: String, start: Date, end: Date)
    case updated(kind: String, start: Date, end: Date)
    case cancelled(by: String, reason: String?)
    case opened
    case joined(user: String, role: String)
    case left(user: String, role: String)
    case connectionLost(user: String, role: String)
    case timerStarted(by: String, endsAt: Date)
    case timerResumed(by: String, endsAt: Date)
    case timerPaused(by: String, remainingMs: Int64, reason: String?)
    case timeAdjusted(by: String, delta: Int, clock: Clock, reason: String?)
    case phase(index: Int, name: String, seconds: Int)
    case warning(secondsLeft: Int)
    case overtime
    case message(from: String, audience: Audience, text: String)
    case signal(from: String, kind: SignalKind)
    /// A juror saw a candidate's raised hand: the hand is down, for everyone.
    case acknowledged(juror: String, candidate: String)
    case outageStarted(id: Int, user: String)
    case outageEnded(id: Int, user: String, seconds: Int)
    case downtime(id: Int, from: Date, seconds: Int)
    case outageCompensated(id: Int, by: String, seconds: Int)
    case deliberation(by: String)
    /// `mark`: `nil` when the mark was cleared (`cleared` on the wire).
    case mark(juror: String, candidate: String, criterion: String, mark: Mark?, comment: String?)
    /// `proposal`: `nil` when it was withdrawn (`withdrawn` on the wire).
    case proposal(juror: String, candidate: String, competence: String, decision: Decision?, comment: String?)
    case gridSubmitted(juror: String)
    case decision(by: String, candidate: String, competence: String, decision: Decision, comment: String?)
    case signed(juror: String, gridHash: String)
    case signatureWithdrawn(juror: String)
    case locked
    case reopened(by: String, reason: String)
    case evidence(juror: String, candidate: String, part: EvidencePart, text: String)
    case observations(by: String, text: String)
    case outageDeclined(id: Int, by: String, reason: String)
    case restarted(by: String, reason: String)
    case postponed(by: String, reason: String)

    /// The word a cleared mark is written as.
    public static let cleared = "cleared"
    /// The word a withdrawn proposal is written as.
    public static let withdrawn = "withdrawn"

    /// The event's type on the wire.
    public var type: String {
        switch self {
        case .scheduled: "scheduled"
        case .updated: "updated"
        case .cancelled: "cancelled"
        case .opened: "opened"
        case .joined: "joined"
        case .left: "left"
        case .connectionLost: "connection-lost"
        case .timerStarted: "timer-started"
        case .timerResumed: "timer-resumed"
        case .timerPaused: "timer-paused"
        case .timeAdjusted: "time-adjusted"
        case .phase: "phase"
        case .warning: "warning"
        case .overtime: "overtime"
        case .message: "message"
        case .signal: "signal"
        case .acknowledged: "acknowledged"
        case .outageStarted: "outage-started"
        case .outageEnded: "outage-ended"
        case .downtime: "downtime"
        case .outageCompensated: "outage-compensated"
        case .deliberation: "deliberation"
        case .mark: "mark"
        case .proposal: "proposal"
        case .gridSubmitted: "grid-submitted"
        case .decision: "decision"
        case .signed: "signed"
        case .signatureWithdrawn: "signature-withdrawn"
        case .locked: "locked"
        case .reopened: "reopened"
        case .evidence: "evidence"
        case .observations: "observations"
        case .outageDeclined: "outage-declined"
        case .restarted: "restarted"
        case .postponed: "postponed"
        }
    }

    /// The words after the type, and the free text, as §11.4 writes them.
    public var arguments: (words: [String], text: String?) {
        func time(_ date: Date) -> String { WireTime.format(date) }
        switch self {
        case .scheduled(let kind, let start, let end), .updated(let kind, let start, let end):
            return ([kind, "start=\(time(start))", "end=\(time(end))"], nil)
        case .cancelled(let by, let reason): return (["by=\(by)"], reason)
        case .opened, .overtime, .locked: return ([], nil)
        case .joined(let user, let role), .left(let user, let role), .connectionLost(let user, let role): return ([user, role], nil)
        case .timerStarted(let by, let endsAt), .timerResumed(let by, let endsAt): return (["by=\(by)", "ends-at=\(time(endsAt))"], nil)
        case .timerPaused(let by, let remaining, let reason): return (["by=\(by)", "remaining-ms=\(remaining)"], reason)
        case .timeAdjusted(let by, let delta, let clock, let reason):
            let after: String
            switch clock {
            case .endsAt(let date): after = "ends-at=\(time(date))"
            case .remainingMs(let milliseconds): after = "remaining-ms=\(milliseconds)"
            }
            return (["by=\(by)", "delta=\(delta > 0 ? "+" : "")\(delta)", after], reason)
        case .phase(let index, let name, let seconds): return ([String(index), name, String(seconds)], nil)
        case .warning(let seconds): return ([String(seconds)], nil)
        case .message(let from, let audience, let text): return ([from, audience.rawValue], text)
        case .signal(let from, let kind): return ([from, kind.rawValue], nil)
        case .acknowledged(let juror, let candidate): return ([juror, candidate], nil)
        case .outageStarted(let id, let user): return ([String(id), user], nil)
        case .outageEnded(let id, let user, let seconds): return ([String(id), user, String(seconds)], nil)
        case .downtime(let id, let from, let seconds): return ([String(id), "from=\(time(from))", String(seconds)], nil)
        case .outageCompensated(let id, let by, let seconds): return ([String(id), "by=\(by)", String(seconds)], nil)
        case .deliberation(let by): return (["by=\(by)"], nil)
        case .mark(let juror, let candidate, let criterion, let mark, let comment):
            return ([juror, candidate, criterion, mark?.rawValue ?? Self.cleared], comment)
        case .proposal(let juror, let candidate, let competence, let decision, let comment):
            return ([juror, candidate, competence, decision?.rawValue ?? Self.withdrawn], comment)
        case .gridSubmitted(let juror), .signatureWithdrawn(let juror): return ([juror], nil)
        case .decision(let by, let candidate, let competence, let decision, let comment):
            return (["by=\(by)", candidate, competence, decision.rawValue], comment)
        case .signed(let juror, let hash): return ([juror, hash], nil)
        case .reopened(let by, let reason), .observations(let by, let reason), .restarted(let by, let reason), .postponed(let by, let reason):
            return (["by=\(by)"], reason)
        case .evidence(let juror, let candidate, let part, let text): return ([juror, candidate, part.rawValue], text)
        case .outageDeclined(let id, let by, let reason): return ([String(id), "by=\(by)"], reason)
        }
    }

    /// Reads an event's body; `nil` for an unknown type (a later version's, §10) or words that are not the type's.
    /// - Parameters:
    ///   - arguments: the words after the type, the free text last when `hasText`.
    public init?(type: String, arguments: [String], hasText: Bool) {
        let text = hasText ? arguments.last : nil
        let words = hasText ? Array(arguments.dropLast()) : arguments
        func option(_ key: String, at index: Int) -> String? {
            guard index < words.count, words[index].hasPrefix(key + "=") else { return nil }
            return String(words[index].dropFirst(key.count + 1))
        }
        func time(_ key: String, at index: Int) -> Date? { option(key, at: index).flatMap(WireTime.parse) }
        func int(_ index: Int) -> Int? { index < words.count ? Int(words[index]) : nil }
        func word(_ index: Int) -> String? { index < words.count && !words[index].isEmpty ? words[index] : nil }
        func count(_ expected: Int) -> Bool { words.count == expected }
        switch type {
        case "scheduled", "updated":
            guard count(3), let kind = word(0), let start = time("start", at: 1), let end = time("end", at: 2) else { return nil }
            self = type == "scheduled" ? .scheduled(kind: kind, start: start, end: end) : .updated(kind: kind, start: start, end: end)
        case "cancelled":
            guard count(1), let by = option("by", at: 0) else { return nil }
            self = .cancelled(by: by, reason: text)
        case "opened": guard count(0), text == nil else { return nil }; self = .opened
        case "overtime": guard count(0), text == nil else { return nil }; self = .overtime
        case "locked": guard count(0), text == nil else { return nil }; self = .locked
        case "joined", "left", "connection-lost":
            guard count(2), let user = word(0), let role = word(1) else { return nil }
            switch type {
            case "joined": self = .joined(user: user, role: role)
            case "left": self = .left(user: user, role: role)
            default: self = .connectionLost(user: user, role: role)
            }
        case "timer-started", "timer-resumed":
            guard count(2), let by = option("by", at: 0), let endsAt = time("ends-at", at: 1) else { return nil }
            self = type == "timer-started" ? .timerStarted(by: by, endsAt: endsAt) : .timerResumed(by: by, endsAt: endsAt)
        case "timer-paused":
            guard count(2), let by = option("by", at: 0), let remaining = option("remaining-ms", at: 1).flatMap({ Int64($0) }) else { return nil }
            self = .timerPaused(by: by, remainingMs: remaining, reason: text)
        case "time-adjusted":
            guard count(3), let by = option("by", at: 0), let deltaText = option("delta", at: 1),
                let delta = Int(deltaText.hasPrefix("+") ? String(deltaText.dropFirst()) : deltaText)
            else { return nil }
            if let endsAt = time("ends-at", at: 2) {
                self = .timeAdjusted(by: by, delta: delta, clock: .endsAt(endsAt), reason: text)
            } else if let remaining = option("remaining-ms", at: 2).flatMap({ Int64($0) }) {
                self = .timeAdjusted(by: by, delta: delta, clock: .remainingMs(remaining), reason: text)
            } else {
                return nil
            }
        case "phase":
            guard count(3), let index = int(0), let name = word(1), let seconds = int(2) else { return nil }
            self = .phase(index: index, name: name, seconds: seconds)
        case "warning":
            guard count(1), let seconds = int(0) else { return nil }
            self = .warning(secondsLeft: seconds)
        case "message":
            guard count(2), let from = word(0), let audience = word(1).flatMap(Audience.init(rawValue:)), let text else { return nil }
            self = .message(from: from, audience: audience, text: text)
        case "signal":
            guard count(2), let from = word(0), let kind = word(1).flatMap(SignalKind.init(rawValue:)) else { return nil }
            self = .signal(from: from, kind: kind)
        case "acknowledged":
            guard count(2), let juror = word(0), let candidate = word(1) else { return nil }
            self = .acknowledged(juror: juror, candidate: candidate)
        case "outage-started":
            guard count(2), let id = int(0), let user = word(1) else { return nil }
            self = .outageStarted(id: id, user: user)
        case "outage-ended":
            guard count(3), let id = int(0), let user = word(1), let seconds = int(2) else { return nil }
            self = .outageEnded(id: id, user: user, seconds: seconds)
        case "downtime":
            guard count(3), let id = int(0), let from = time("from", at: 1), let seconds = int(2) else { return nil }
            self = .downtime(id: id, from: from, seconds: seconds)
        case "outage-compensated":
            guard count(3), let id = int(0), let by = option("by", at: 1), let seconds = int(2) else { return nil }
            self = .outageCompensated(id: id, by: by, seconds: seconds)
        case "deliberation":
            guard count(1), let by = option("by", at: 0) else { return nil }
            self = .deliberation(by: by)
        case "mark":
            guard count(4), let juror = word(0), let candidate = word(1), let criterion = word(2), let value = word(3) else { return nil }
            let mark: Mark?
            if value == Self.cleared { mark = nil } else if let known = Mark(rawValue: value) { mark = known } else { return nil }
            self = .mark(juror: juror, candidate: candidate, criterion: criterion, mark: mark, comment: text)
        case "proposal":
            guard count(4), let juror = word(0), let candidate = word(1), let competence = word(2), let value = word(3) else { return nil }
            let decision: Decision?
            if value == Self.withdrawn { decision = nil } else if let known = Decision(rawValue: value) { decision = known } else { return nil }
            self = .proposal(juror: juror, candidate: candidate, competence: competence, decision: decision, comment: text)
        case "grid-submitted", "signature-withdrawn":
            guard count(1), let juror = word(0) else { return nil }
            self = type == "grid-submitted" ? .gridSubmitted(juror: juror) : .signatureWithdrawn(juror: juror)
        case "decision":
            guard count(4), let by = option("by", at: 0), let candidate = word(1), let competence = word(2),
                let decision = word(3).flatMap(Decision.init(rawValue:))
            else { return nil }
            self = .decision(by: by, candidate: candidate, competence: competence, decision: decision, comment: text)
        case "signed":
            guard count(2), let juror = word(0), let hash = word(1) else { return nil }
            self = .signed(juror: juror, gridHash: hash)
        case "reopened", "observations", "restarted", "postponed":
            guard count(1), let by = option("by", at: 0), let text else { return nil }
            switch type {
            case "reopened": self = .reopened(by: by, reason: text)
            case "observations": self = .observations(by: by, text: text)
            case "restarted": self = .restarted(by: by, reason: text)
            default: self = .postponed(by: by, reason: text)
            }
        case "evidence":
            guard count(3), let juror = word(0), let candidate = word(1), let part = word(2).flatMap(EvidencePart.init(rawValue:)), let text else { return nil }
            self = .evidence(juror: juror, candidate: candidate, part: part, text: text)
        case "outage-declined":
            guard count(2), let id = int(0), let by = option("by", at: 1), let text else { return nil }
            self = .outageDeclined(id: id, by: by, reason: text)
        default:
            return nil
        }
    }
}

extension EventLine {
    /// An event line for `body`.
    public init(room: String, seq: Int, at time: Date, body: EventBody) {
        let (words, text) = body.arguments
        self.room = room
        self.seq = seq
        self.time = WireTime.format(time)
        self.type = body.type
        arguments = words + (text.map { [$0] } ?? [])
        hasText = text != nil
    }

    /// What the event says, typed; `nil` for a type this version does not know or words that are not its own.
    public var body: EventBody? { EventBody(type: type, arguments: arguments, hasText: hasText) }
}
