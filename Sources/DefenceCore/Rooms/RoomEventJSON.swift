import DefenceProtocol
import Foundation

/// The stored JSON of a room event, written directly as text and read directly (``decode(_:)``).
///
/// It is the same JSON document as `JSONEncoder().encode(event)` with the synthesized `Codable` conformance (the same
/// keys and values; only the order of an object's keys and the escaping of `/` may differ), and it decodes with
/// `JSONDecoder` into an equal event. Every event the server stores goes through it: Foundation's encoder builds a
/// tree of boxed values through generic containers before it writes a byte, which was 17 % of the storage push's CPU
/// and 9 % of the server's under the end-to-end push (docs/performance.md). The plan-carrying events
/// (`scheduled`, `updated`: one or two per room and day) are left to `JSONEncoder`.
public enum RoomEventJSON {
    /// The event's JSON text. Throws like `JSONEncoder` on a number JSON cannot hold (NaN, infinity).
    public static func encode(_ event: RoomEvent) throws -> String {
        var text = JSONObjectText()
        switch event.kind {
        case .scheduled, .updated:
            return String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
        case .cancelled(let by, let reason):
            try text.open(event, "cancelled")
            text.field("by", by)
            text.field("reason", reason)
        case .opened:
            try text.open(event, "opened")
        case .joined(let user):
            try text.open(event, "joined")
            text.field("user", user)
        case .left(let user):
            try text.open(event, "left")
            text.field("user", user)
        case .connectionLost(let user):
            try text.open(event, "connectionLost")
            text.field("user", user)
        case .timerStarted(let by, let endsAt):
            try text.open(event, "timerStarted")
            text.field("by", by)
            try text.field("endsAt", endsAt)
        case .timerPaused(let by, let remaining, let reason):
            try text.open(event, "timerPaused")
            text.field("by", by)
            try text.field("remaining", remaining)
            text.field("reason", reason)
        case .timerResumed(let by, let endsAt):
            try text.open(event, "timerResumed")
            text.field("by", by)
            try text.field("endsAt", endsAt)
        case .timeAdjusted(let by, let seconds, let reason):
            try text.open(event, "timeAdjusted")
            text.field("by", by)
            text.field("seconds", seconds)
            text.field("reason", reason)
        case .phaseChanged(let index):
            try text.open(event, "phaseChanged")
            text.field("index", index)
        case .warning(let secondsLeft):
            try text.open(event, "warning")
            text.field("secondsLeft", secondsLeft)
        case .overtime:
            try text.open(event, "overtime")
        case .message(let from, let audience, let body):
            try text.open(event, "message")
            text.field("from", from)
            text.field("audience", audience.rawValue)
            text.field("text", body)
        case .signal(let from, let kind):
            try text.open(event, "signal")
            text.field("from", from)
            text.field("kind", kind.rawValue)
        case .acknowledged(let juror, let candidate):
            try text.open(event, "acknowledged")
            text.field("juror", juror)
            text.field("candidate", candidate)
        case .outageStarted(let id, let user):
            try text.open(event, "outageStarted")
            text.field("id", id)
            text.field("user", user)
        case .outageEnded(let id, let user):
            try text.open(event, "outageEnded")
            text.field("id", id)
            text.field("user", user)
        case .downtime(let id, let from):
            try text.open(event, "downtime")
            text.field("id", id)
            try text.field("from", from)
        case .outageCompensated(let id, let by, let seconds):
            try text.open(event, "outageCompensated")
            text.field("id", id)
            text.field("by", by)
            text.field("seconds", seconds)
        case .deliberationStarted(let by):
            try text.open(event, "deliberationStarted")
            text.field("by", by)
        case .marked(let juror, let candidate, let criterion, let mark, let comment):
            try text.open(event, "marked")
            text.field("juror", juror)
            text.field("candidate", candidate)
            text.field("criterion", criterion)
            text.field("mark", mark?.rawValue)
            text.field("comment", comment)
        case .proposed(let juror, let candidate, let competence, let decision, let comment):
            try text.open(event, "proposed")
            text.field("juror", juror)
            text.field("candidate", candidate)
            text.field("competence", competence)
            text.field("decision", decision?.rawValue)
            text.field("comment", comment)
        case .gridSubmitted(let juror):
            try text.open(event, "gridSubmitted")
            text.field("juror", juror)
        case .decided(let by, let candidate, let competence, let decision, let comment):
            try text.open(event, "decided")
            text.field("by", by)
            text.field("candidate", candidate)
            text.field("competence", competence)
            text.field("decision", decision.rawValue)
            text.field("comment", comment)
        case .signed(let juror, let gridHash):
            try text.open(event, "signed")
            text.field("juror", juror)
            text.field("gridHash", gridHash)
        case .signatureWithdrawn(let juror):
            try text.open(event, "signatureWithdrawn")
            text.field("juror", juror)
        case .locked:
            try text.open(event, "locked")
        case .reopened(let by, let reason):
            try text.open(event, "reopened")
            text.field("by", by)
            text.field("reason", reason)
        case .evidence(let juror, let candidate, let part, let evidence):
            try text.open(event, "evidence")
            text.field("juror", juror)
            text.field("candidate", candidate)
            text.field("part", part.rawValue)
            text.field("text", evidence)
        case .observations(let by, let observations):
            try text.open(event, "observations")
            text.field("by", by)
            text.field("text", observations)
        case .outageDeclined(let id, let by, let reason):
            try text.open(event, "outageDeclined")
            text.field("id", id)
            text.field("by", by)
            text.field("reason", reason)
        case .restarted(let by, let reason):
            try text.open(event, "restarted")
            text.field("by", by)
            text.field("reason", reason)
        case .postponed(let by, let reason):
            try text.open(event, "postponed")
            text.field("by", by)
            text.field("reason", reason)
        }
        return text.closed()
    }
}

extension RoomEventJSON {
    /// The event a stored JSON text holds, read directly; the documents it does not read itself go to
    /// `JSONDecoder`, which reads them or throws its error.
    ///
    /// The server's start reads the events after each room's last snapshot (up to 99 a room), and
    /// `JSONDecoder` was a third of its CPU: it resolves generic containers and metadata for every field. This
    /// reads the same documents (``encode(_:)``'s, and `JSONEncoder`'s with their keys in any order) into equal
    /// events (the plans of `scheduled` and `updated` through ``RoomStateJSON``); any document not of the events'
    /// shape and any value of the wrong type are left to `JSONDecoder`, so what is refused is refused with
    /// Foundation's error.
    public static func decode(_ text: String) throws -> RoomEvent {
        try JSONTree.decode(text, RoomEvent.self, directly: event(in:))
    }

    /// The event, or nil when `text` is not a document this reads (``decode(_:)`` then asks `JSONDecoder`).
    static func event(in text: String) -> RoomEvent? {
        guard let root = JSONTree.parse(text)?.members else { return nil }
        var head = JSONFields(root)
        guard let room = head.string("room"), let seq = head.int("seq"), let at = head.date("at"),
            let kinds = head.value("kind", { $0.members }), head.complete, kinds.count == 1, let (name, payload) = kinds.first,
            let members = payload.members
        else { return nil }
        var f = JSONFields(members)
        let kind: RoomEventKind
        switch name {
        case "cancelled":
            guard let by = f.string("by"), let reason = f.optionalString("reason"), f.complete else { return nil }
            kind = .cancelled(by: by, reason: reason)
        case "opened":
            guard f.complete else { return nil }
            kind = .opened
        case "joined":
            guard let user = f.string("user"), f.complete else { return nil }
            kind = .joined(user: user)
        case "left":
            guard let user = f.string("user"), f.complete else { return nil }
            kind = .left(user: user)
        case "connectionLost":
            guard let user = f.string("user"), f.complete else { return nil }
            kind = .connectionLost(user: user)
        case "timerStarted":
            guard let by = f.string("by"), let endsAt = f.date("endsAt"), f.complete else { return nil }
            kind = .timerStarted(by: by, endsAt: endsAt)
        case "timerPaused":
            guard let by = f.string("by"), let remaining = f.double("remaining"), let reason = f.optionalString("reason"), f.complete
            else { return nil }
            kind = .timerPaused(by: by, remaining: remaining, reason: reason)
        case "timerResumed":
            guard let by = f.string("by"), let endsAt = f.date("endsAt"), f.complete else { return nil }
            kind = .timerResumed(by: by, endsAt: endsAt)
        case "timeAdjusted":
            guard let by = f.string("by"), let seconds = f.int("seconds"), let reason = f.optionalString("reason"), f.complete
            else { return nil }
            kind = .timeAdjusted(by: by, seconds: seconds, reason: reason)
        case "phaseChanged":
            guard let index = f.int("index"), f.complete else { return nil }
            kind = .phaseChanged(index: index)
        case "warning":
            guard let secondsLeft = f.int("secondsLeft"), f.complete else { return nil }
            kind = .warning(secondsLeft: secondsLeft)
        case "overtime":
            guard f.complete else { return nil }
            kind = .overtime
        case "message":
            guard let from = f.string("from"), let audience = f.raw("audience", as: Audience.self),
                let body = f.string("text"), f.complete
            else { return nil }
            kind = .message(from: from, audience: audience, text: body)
        case "signal":
            guard let from = f.string("from"), let signal = f.raw("kind", as: SignalKind.self), f.complete else { return nil }
            kind = .signal(from: from, kind: signal)
        case "acknowledged":
            guard let juror = f.string("juror"), let candidate = f.string("candidate"), f.complete else { return nil }
            kind = .acknowledged(juror: juror, candidate: candidate)
        case "outageStarted":
            guard let id = f.int("id"), let user = f.string("user"), f.complete else { return nil }
            kind = .outageStarted(id: id, user: user)
        case "outageEnded":
            guard let id = f.int("id"), let user = f.string("user"), f.complete else { return nil }
            kind = .outageEnded(id: id, user: user)
        case "downtime":
            guard let id = f.int("id"), let from = f.date("from"), f.complete else { return nil }
            kind = .downtime(id: id, from: from)
        case "outageCompensated":
            guard let id = f.int("id"), let by = f.string("by"), let seconds = f.int("seconds"), f.complete else { return nil }
            kind = .outageCompensated(id: id, by: by, seconds: seconds)
        case "deliberationStarted":
            guard let by = f.string("by"), f.complete else { return nil }
            kind = .deliberationStarted(by: by)
        case "marked":
            guard let juror = f.string("juror"), let candidate = f.string("candidate"), let criterion = f.string("criterion"),
                let mark = f.optionalRaw("mark", as: Mark.self), let comment = f.optionalString("comment"), f.complete
            else { return nil }
            kind = .marked(juror: juror, candidate: candidate, criterion: criterion, mark: mark, comment: comment)
        case "proposed":
            guard let juror = f.string("juror"), let candidate = f.string("candidate"), let competence = f.string("competence"),
                let decision = f.optionalRaw("decision", as: Decision.self),
                let comment = f.optionalString("comment"), f.complete
            else { return nil }
            kind = .proposed(juror: juror, candidate: candidate, competence: competence, decision: decision, comment: comment)
        case "gridSubmitted":
            guard let juror = f.string("juror"), f.complete else { return nil }
            kind = .gridSubmitted(juror: juror)
        case "decided":
            guard let by = f.string("by"), let candidate = f.string("candidate"), let competence = f.string("competence"),
                let decision = f.raw("decision", as: Decision.self), let comment = f.optionalString("comment"), f.complete
            else { return nil }
            kind = .decided(by: by, candidate: candidate, competence: competence, decision: decision, comment: comment)
        case "signed":
            guard let juror = f.string("juror"), let gridHash = f.string("gridHash"), f.complete else { return nil }
            kind = .signed(juror: juror, gridHash: gridHash)
        case "signatureWithdrawn":
            guard let juror = f.string("juror"), f.complete else { return nil }
            kind = .signatureWithdrawn(juror: juror)
        case "locked":
            guard f.complete else { return nil }
            kind = .locked
        case "reopened":
            guard let by = f.string("by"), let reason = f.string("reason"), f.complete else { return nil }
            kind = .reopened(by: by, reason: reason)
        case "evidence":
            guard let juror = f.string("juror"), let candidate = f.string("candidate"), let part = f.raw("part", as: EvidencePart.self),
                let text = f.string("text"), f.complete
            else { return nil }
            kind = .evidence(juror: juror, candidate: candidate, part: part, text: text)
        case "observations":
            guard let by = f.string("by"), let text = f.string("text"), f.complete else { return nil }
            kind = .observations(by: by, text: text)
        case "outageDeclined":
            guard let id = f.int("id"), let by = f.string("by"), let reason = f.string("reason"), f.complete else { return nil }
            kind = .outageDeclined(id: id, by: by, reason: reason)
        case "restarted":
            guard let by = f.string("by"), let reason = f.string("reason"), f.complete else { return nil }
            kind = .restarted(by: by, reason: reason)
        case "postponed":
            guard let by = f.string("by"), let reason = f.string("reason"), f.complete else { return nil }
            kind = .postponed(by: by, reason: reason)
        case "scheduled":
            guard let plan = f.value("_0", RoomStateJSON.plan), f.complete else { return nil }
            kind = .scheduled(plan)
        case "updated":
            guard let plan = f.value("_0", RoomStateJSON.plan), f.complete else { return nil }
            kind = .updated(plan)
        default:
            // No such case: JSONDecoder's error.
            return nil
        }
        return RoomEvent(room: room, seq: seq, at: at, kind: kind)
    }
}

/// `{"room":…,"seq":…,"at":…,"kind":{"<case>":{` + the case's fields + `}}}`, the shape of a synthesized `Codable`
/// event, in one growing byte buffer.
private struct JSONObjectText {
    private var bytes: [UInt8] = []
    private var needsComma = false

    init() { bytes.reserveCapacity(256) }

    /// Writes the event's own fields and opens its kind's case object.
    mutating func open(_ event: RoomEvent, _ caseName: StaticString) throws {
        bytes.append(UInt8(ascii: "{"))
        field("room", event.room)
        field("seq", event.seq)
        try field("at", event.at)
        key("kind")
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        key(caseName)
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Closes the case object, the kind and the event.
    consuming func closed() -> String {
        bytes.append(contentsOf: "}}}".utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A string field; `nil` writes nothing (as the synthesized `encodeIfPresent`).
    mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ name: StaticString, _ value: Double) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, EncodingError.Context(codingPath: [], debugDescription: "\(value) is not a valid JSON number (\(name)).")
            )
        }
        key(name)
        // `description` is the shortest text that reads back as the same `Double`, and valid JSON when finite.
        bytes.append(contentsOf: value.description.utf8)
    }

    /// A `Date` encodes itself as its seconds since 2001-01-01 (`JSONEncoder`'s `.deferredToDate`).
    mutating func field(_ name: StaticString, _ value: Date) throws {
        try field(name, value.timeIntervalSinceReferenceDate)
    }

    private mutating func key(_ name: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        // Keys are the source's own identifiers: ASCII letters and digits, nothing to escape.
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: "\":".utf8)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string: quote, backslash and the control characters U+0000–U+001F escaped; every other character as
    /// its UTF-8 (a Swift string is always valid Unicode).
    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: "\\r".utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0f)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
