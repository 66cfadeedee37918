import Foundation

/// What kind of defence a room holds, which decides its épreuve, team size and duration.
public enum RoomKind: String, Codable, Hashable, Sendable, CaseIterable {
    /// A team defence of the MSPR (épreuve of kind `mspr`): 1 to 4 candidates, 30 minutes.
    case team
    /// An individual defence of the professional dossier (épreuve of kind `dossier`): 1 candidate, 45 minutes.
    case individual
    /// The final individual defence of the referential's closing section: 1 candidate, 45 minutes, any competence
    /// of the candidate's track whatever its épreuve (PROTOCOL.md §11.1).
    case final

    /// The referential épreuve kind this room kind assesses (its team size and jury); a final defence is held as
    /// the individual one is, and takes its length from the closing section.
    public var epreuveKind: String {
        switch self {
        case .team: return "mspr"
        case .individual, .final: return "dossier"
        }
    }
}

/// Whether a juror sees the other juror's marks as they are made.
public enum ScoringVisibility: String, Codable, Hashable, Sendable, CaseIterable {
    /// Marks are visible to the other juror at once.
    case live
    /// Marks stay hidden until both jurors have submitted their grids.
    case blind
}

/// A named part of the defence, e.g. the presentation or the questions.
public struct Phase: Codable, Hashable, Sendable {
    /// The phase's name: 1 to 32 of `a-z 0-9 -`.
    public var name: String
    /// Its planned length in seconds.
    public var seconds: Int

    /// Creates a phase.
    public init(name: String, seconds: Int) {
        self.name = name
        self.seconds = seconds
    }
}

/// Everything an admin decides when scheduling a room.
public struct RoomPlan: Codable, Hashable, Sendable {
    /// The room's identifier.
    public var id: String
    /// An optional title shown to participants.
    public var title: String?
    /// Team (MSPR) or individual (dossier).
    public var kind: RoomKind
    /// The number of the referential épreuve assessed.
    public var epreuve: Int
    /// The referential version (SHA-256 of its file) the room was created with.
    public var referentialHash: String
    /// The competences under assessment, in referential order.
    public var competences: [String]
    /// The candidates' user ids.
    public var candidates: [String]
    /// The two jurors' user ids.
    public var jurors: [String]
    /// The juror who presides the jury.
    public var president: String
    /// The planned start.
    public var start: Date
    /// The phases, whose lengths add up to the épreuve's oral duration.
    public var phases: [Phase]
    /// Warning thresholds, in seconds of remaining time, largest first.
    public var warnings: [Int]
    /// Scoring visibility between the jurors.
    public var visibility: ScoringVisibility

    /// Creates a plan.
    public init(
        id: String,
        title: String? = nil,
        kind: RoomKind,
        epreuve: Int,
        referentialHash: String,
        competences: [String],
        candidates: [String],
        jurors: [String],
        president: String,
        start: Date,
        phases: [Phase],
        warnings: [Int],
        visibility: ScoringVisibility
    ) {
        self.id = id
        self.title = title
        self.kind = kind
        self.epreuve = epreuve
        self.referentialHash = referentialHash
        self.competences = competences
        self.candidates = candidates
        self.jurors = jurors
        self.president = president
        self.start = start
        self.phases = phases
        self.warnings = warnings
        self.visibility = visibility
    }

    /// The planned length in seconds: the sum of the phases.
    public var durationSeconds: Int { phases.reduce(0) { $0 + $1.seconds } }

    /// The planned end.
    public var end: Date { start.addingTimeInterval(TimeInterval(durationSeconds)) }

    /// Everybody in the room: candidates then jurors.
    public var participants: [String] { candidates + jurors }

    /// The role a user has in this room, if any.
    public func role(of user: String) -> RoomRole? {
        if jurors.contains(user) { return .juror }
        if candidates.contains(user) { return .candidate }
        return nil
    }

    /// Whether the planned slot overlaps another's (touching ends do not overlap).
    public func overlaps(_ other: RoomPlan) -> Bool {
        start < other.end && other.start < end
    }

    /// The default phases of a kind: team 20 + 10 minutes, individual 20 + 25 minutes.
    public static func defaultPhases(for kind: RoomKind, oralMinutes: Int) -> [Phase] {
        let presentation = min(20, oralMinutes)
        let rest = oralMinutes - presentation
        return [Phase(name: "presentation", seconds: presentation * 60)]
            + (rest > 0 ? [Phase(name: "questions", seconds: rest * 60)] : [])
    }

    /// The default warnings: 5 minutes and 1 minute left.
    public static let defaultWarnings = [300, 60]
}

/// A person's role inside one room (distinct from their account role).
public enum RoomRole: String, Codable, Hashable, Sendable {
    /// A candidate of the room.
    case candidate
    /// One of the room's two jurors.
    case juror
    /// An admin observing the room.
    case observer
}
