/// The words of the protocol's vocabulary that both sides type: a room's states, marks, decisions, message
/// audiences and signals (PROTOCOL.md §11, §12). The domain stores them as they are; the wire reads and writes
/// them by their raw values, and a word outside these lists is refused where it is read, never replaced by a
/// default.

/// Where a room is in its life.
public enum RoomLifecycle: String, Codable, Hashable, Sendable, CaseIterable {
    /// Planned; nobody has arrived yet.
    case scheduled
    /// The lobby: participants are arriving; the clock has not started.
    case open
    /// The clock runs.
    case running
    /// The clock is paused.
    case paused
    /// The defence is over; the jury deliberates.
    case deliberation
    /// Both jurors signed; the result is locked.
    case signed
    /// Cancelled before the defence.
    case cancelled
    /// Postponed by the president; an admin gives it a new start (`ROOM-UPDATE start=`).
    case postponed
}

/// The two individual parts of an MSPR that the jury records beside the team defence (PROTOCOL.md §12.1).
public enum EvidencePart: String, Codable, Hashable, Sendable, CaseIterable {
    /// The individual written production.
    case written
    /// The one-hour individual written test.
    case test
}

/// A juror's mark on one criterion for one candidate.
public enum Mark: String, Codable, Hashable, Sendable, CaseIterable {
    /// The criterion is met.
    case met
    /// The criterion is partly met.
    case partlyMet = "partly-met"
    /// The criterion is not met.
    case notMet = "not-met"
}

/// The outcome for one candidate and one competence.
public enum Decision: String, Codable, Hashable, Sendable, CaseIterable {
    /// The competence is acquired.
    case acquis
    /// The competence is not acquired.
    case nonAcquis = "non-acquis"
}

/// Who a room message is for.
public enum Audience: String, Codable, Hashable, Sendable, CaseIterable {
    /// Everybody in the room.
    case room
    /// The two jurors (and observing admins) only.
    case jury
}

/// A candidate's signal to the jury.
public enum SignalKind: String, Codable, Hashable, Sendable, CaseIterable {
    /// The candidate (or team) is ready to start.
    case ready
    /// The candidate raises a hand.
    case hand
    /// The candidate lowers their hand.
    case lower
}

/// A word list of the vocabulary, for usage texts.
extension CaseIterable where Self: RawRepresentable, Self.RawValue == String {
    /// The words, in order, joined as a usage text writes them: `met, partly-met or not-met`.
    public static var words: String { words(or: nil) }

    /// The words and one more at the end (`met, partly-met, not-met or clear`).
    public static func words(or extra: String?) -> String {
        let all = allCases.map(\.rawValue) + (extra.map { [$0] } ?? [])
        guard let last = all.last else { return "" }
        return all.count == 1 ? last : all.dropLast().joined(separator: ", ") + " or " + last
    }
}

extension Mark {
    /// The word that clears a mark (`MARK … clear`).
    public static let clear = "clear"

    /// A mark word, or `clear` (`.some(nil)`); `nil` for any other word.
    public static func parse(clearable word: String) -> Mark?? {
        word == clear ? .some(nil) : Mark(rawValue: word).map { .some($0) }
    }
}

extension Decision {
    /// The word that withdraws a proposal (`PROPOSE … clear`).
    public static let clear = "clear"

    /// A decision word, or `clear` (`.some(nil)`); `nil` for any other word.
    public static func parse(clearable word: String) -> Decision?? {
        word == clear ? .some(nil) : Decision(rawValue: word).map { .some($0) }
    }
}
