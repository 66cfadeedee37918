import DefenceProtocol
import Foundation

/// One signed decision on a competence, with where and when it was taken.
public struct SignedDecision: Hashable, Sendable {
    /// The room.
    public var room: String
    /// `acquis` or `non-acquis`.
    public var decision: Decision
    /// The jury's comment, if any.
    public var comment: String?
    /// When the room's result was signed and locked.
    public var signedAt: Date
    /// The room's jurors.
    public var jurors: [String]
    /// The room's president.
    public var president: String

    /// Creates a signed decision.
    public init(room: String, decision: Decision, comment: String?, signedAt: Date, jurors: [String], president: String) {
        self.room = room
        self.decision = decision
        self.comment = comment
        self.signedAt = signedAt
        self.jurors = jurors
        self.president = president
    }
}

/// What a candidate has acquired, block by block, and whether the certification is awarded (PROTOCOL.md §12.5):
/// computed from the signed rooms alone, by the rule of the referential.
public struct CandidateOutcome: Hashable, Sendable {
    /// Where a competence stands.
    public enum CompetenceStatus: String, Hashable, Sendable {
        /// The latest signed decision is `acquis`.
        case acquis
        /// The latest signed decision is `non-acquis`.
        case nonAcquis = "non-acquis"
        /// No signed room decided it yet.
        case undecided = "-"
    }

    /// Where a block stands.
    public enum BlockStatus: String, Hashable, Sendable {
        /// Enough of its competences are acquis.
        case validated
        /// Not enough of its competences can be acquis any more with the decisions signed so far.
        case notValidated = "not-validated"
        /// Still open: some competences are undecided.
        case incomplete
    }

    /// Where the certification stands.
    public enum Status: String, Hashable, Sendable {
        /// Enough blocks of the track are validated.
        case certified
        /// Not enough blocks of the track can be validated with the decisions signed so far.
        case notCertified = "not-certified"
        /// Still open.
        case incomplete
    }

    /// One competence of the track.
    public struct CompetenceResult: Hashable, Sendable {
        /// Its code.
        public var code: String
        /// Its block.
        public var block: String
        /// Where it stands.
        public var status: CompetenceStatus
        /// The decision that counts: the latest signed one.
        public var decision: SignedDecision?
        /// The earlier signed decisions (a re-sit), oldest first.
        public var earlier: [SignedDecision]
    }

    /// One block of the track.
    public struct BlockResult: Hashable, Sendable {
        /// Its code.
        public var code: String
        /// Where it stands.
        public var status: BlockStatus
        /// How many of its competences are acquis, and how many it has.
        public var acquired: Int
        /// How many competences it has.
        public var total: Int
        /// How many must be acquis.
        public var needed: Int
    }

    /// The candidate.
    public var candidate: String
    /// The candidate's track (its short name).
    public var track: String
    /// Every competence of the track, in referential order.
    public var competences: [CompetenceResult]
    /// Every block of the track, in the track's order.
    public var blocks: [BlockResult]
    /// Where the certification stands.
    public var status: Status
    /// How many blocks must be validated.
    public var blocksNeeded: Int

    /// How many blocks are validated.
    public var validatedBlocks: Int { blocks.filter { $0.status == .validated }.count }

    /// Computes a candidate's outcome.
    ///
    /// - Parameters:
    ///   - candidate: the candidate's id.
    ///   - track: the candidate's track, a specialisation of `referential`.
    ///   - referential: the version whose blocks, competences and rule count (the active one).
    ///   - rooms: rooms; only the signed ones where the candidate sits count, and only their decisions on the
    ///     track's competences.
    public init(candidate: String, track: Referential.Specialisation, referential: Referential, rooms: [RoomState]) {
        self.candidate = candidate
        self.track = track.trackID
        var decided: [String: [SignedDecision]] = [:]
        for room in rooms where room.lifecycle == .signed && room.plan.candidates.contains(candidate) {
            guard let signedAt = room.signedAt else { continue }
            for code in room.plan.competences {
                guard let decision = room.decisions[GridKey(candidate: candidate, item: code)] else { continue }
                decided[code, default: []].append(SignedDecision(
                    room: room.plan.id, decision: decision.value, comment: decision.comment, signedAt: signedAt,
                    jurors: room.plan.jurors, president: room.plan.president
                ))
            }
        }
        let blockCodes = track.blocks
        var competences: [CompetenceResult] = []
        for competence in referential.competences where blockCodes.contains(competence.block) {
            // The latest signed decision counts; rooms signed at the same instant are ordered by id.
            let history = (decided[competence.code] ?? []).sorted { ($0.signedAt, $0.room) < ($1.signedAt, $1.room) }
            let latest = history.last
            let status: CompetenceStatus = switch latest?.decision {
            case .acquis?: .acquis
            case .nonAcquis?: .nonAcquis
            case nil: .undecided
            }
            competences.append(CompetenceResult(code: competence.code, block: competence.block, status: status, decision: latest, earlier: history.dropLast()))
        }
        self.competences = competences
        let rule = referential.rule
        blocks = blockCodes.map { code in
            let own = competences.filter { $0.block == code }
            let acquired = own.filter { $0.status == .acquis }.count
            let open = own.filter { $0.status == .undecided }.count
            let needed = rule.competencesPerBlock.needed(of: own.count)
            let status: BlockStatus = acquired >= needed ? .validated : acquired + open < needed ? .notValidated : .incomplete
            return BlockResult(code: code, status: status, acquired: acquired, total: own.count, needed: needed)
        }
        blocksNeeded = rule.blocksPerTrack.needed(of: blocks.count)
        let validated = blocks.filter { $0.status == .validated }.count
        let open = blocks.filter { $0.status == .incomplete }.count
        status = validated >= blocksNeeded ? .certified : validated + open < blocksNeeded ? .notCertified : .incomplete
    }
}

extension RoomState {
    /// When the room's result was signed and locked: the last of its signatures, while it is signed.
    public var signedAt: Date? {
        guard lifecycle == .signed else { return nil }
        return signatures.values.map(\.at).max()
    }
}
