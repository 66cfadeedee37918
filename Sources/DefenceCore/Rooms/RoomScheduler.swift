import Foundation

/// What an admin asks for when creating or updating a room; unset fields take defaults.
public struct RoomRequest: Hashable, Sendable {
    /// The room's identifier.
    public var id: String
    /// Team or individual.
    public var kind: RoomKind
    /// The planned start.
    public var start: Date
    /// Candidate user ids.
    public var candidates: [String]
    /// Juror user ids (two).
    public var jurors: [String]
    /// The president, one of the jurors.
    public var president: String
    /// An explicit list of competences; wins over `block` and `specialisation`.
    public var competences: [String]?
    /// Assess the épreuve's competences of this block.
    public var block: String?
    /// Assess the épreuve's competences of this specialisation's blocks.
    public var specialisation: String?
    /// Phases; defaults to the kind's.
    public var phases: [Phase]?
    /// Warning thresholds in seconds; defaults to 300 and 60.
    public var warnings: [Int]?
    /// Scoring visibility; defaults to live.
    public var visibility: ScoringVisibility?
    /// An optional title.
    public var title: String?

    /// Creates a request.
    public init(
        id: String,
        kind: RoomKind,
        start: Date,
        candidates: [String],
        jurors: [String],
        president: String,
        competences: [String]? = nil,
        block: String? = nil,
        specialisation: String? = nil,
        phases: [Phase]? = nil,
        warnings: [Int]? = nil,
        visibility: ScoringVisibility? = nil,
        title: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.start = start
        self.candidates = candidates
        self.jurors = jurors
        self.president = president
        self.competences = competences
        self.block = block
        self.specialisation = specialisation
        self.phases = phases
        self.warnings = warnings
        self.visibility = visibility
        self.title = title
    }
}

/// Turns requests into validated plans. One rule, one error code.
public enum RoomScheduler {
    /// The most characters of a room title.
    public static let maxTitleLength = 120

    /// Builds and validates the plan of a request.
    ///
    /// - Parameters:
    ///   - request: what the admin asked for.
    ///   - referential: the version the room will keep.
    ///   - users: looks up accounts by id.
    ///   - otherRooms: the plans of every other live (not cancelled) room, for double-booking.
    /// - Throws: `INVALID` (id, title, warnings), `UNKNOWN_USER`, `WRONG_ROLE`, `TEAM_SIZE`, `JURY_COMPOSITION`,
    ///   `ROLE_CONFLICT`, `UNKNOWN_COMPETENCE`, `WRONG_EPREUVE`, `BAD_PHASES`, `DOUBLE_BOOKED`, `NOT_FOUND` (block,
    ///   specialisation), `BAD_ARGUMENTS` when no competence source is given.
    public static func plan(
        _ request: RoomRequest,
        referential: LoadedReferential,
        users: (String) -> User?,
        otherRooms: [RoomPlan]
    ) throws(DomainError) -> RoomPlan {
        let ref = referential.referential
        try validateRoomID(request.id)
        if let title = request.title {
            try AccountRules.validateDisplayName(title, what: "title", maxLength: maxTitleLength)
        }
        guard let epreuve = ref.epreuves.first(where: { $0.kind == request.kind.epreuveKind }) else {
            throw DomainError(.invalid, "the referential has no épreuve of kind \(request.kind.epreuveKind)")
        }
        let isFinal = request.kind == .final
        // A final defence lasts what the closing section says (45 minutes), and may assess any épreuve's competence.
        let oralMinutes = isFinal ? (ref.finalAssessment?.oralMinutes ?? epreuve.oralMinutes) : epreuve.oralMinutes
        func assessable(_ competence: Referential.Competence) -> Bool { isFinal || competence.epreuve == epreuve.number }

        // People: existence and account roles.
        for id in request.candidates + request.jurors {
            guard let user = users(id) else {
                throw DomainError(.unknownUser, context: [id], "no user \(id)")
            }
            let expected: Role = request.jurors.contains(id) ? .juror : .candidate
            if request.candidates.contains(id) && request.jurors.contains(id) { continue }
            guard user.role == expected else {
                throw DomainError(.wrongRole, context: [id], "\(id) is a \(user.role.rawValue) account and cannot sit as \(expected.rawValue)")
            }
        }
        if let both = request.candidates.first(where: request.jurors.contains) {
            throw DomainError(.roleConflict, context: [both], "\(both) cannot be both juror and candidate of the room")
        }
        let candidates = request.candidates
        guard Set(candidates).count == candidates.count else {
            throw DomainError(.teamSize, "a candidate is listed twice")
        }
        guard (epreuve.minCandidates...epreuve.maxCandidates).contains(candidates.count) else {
            throw DomainError(
                .teamSize,
                context: [String(candidates.count)],
                "a \(request.kind.rawValue) defence has \(epreuve.minCandidates) to \(epreuve.maxCandidates) candidate\(epreuve.maxCandidates == 1 ? "" : "s"), not \(candidates.count)"
            )
        }
        guard request.jurors.count == 2, Set(request.jurors).count == 2 else {
            throw DomainError(.juryComposition, "a jury is exactly two distinct jurors")
        }
        guard request.jurors.contains(request.president) else {
            throw DomainError(.juryComposition, context: [request.president], "the president must be one of the two jurors")
        }

        // Competences.
        let competences: [String]
        if let explicit = request.competences {
            guard !explicit.isEmpty else { throw DomainError(.unknownCompetence, "the competence list is empty") }
            for code in explicit {
                guard let competence = ref.competence(code) else {
                    throw DomainError(.unknownCompetence, context: [code], "no competence \(code) in the referential")
                }
                guard assessable(competence) else {
                    throw DomainError(
                        .wrongEpreuve,
                        context: [code],
                        "\(code) is assessed through épreuve \(competence.epreuve), not épreuve \(epreuve.number) (\(request.kind.rawValue))"
                    )
                }
            }
            guard Set(explicit).count == explicit.count else {
                throw DomainError(.unknownCompetence, "a competence is listed twice")
            }
            let order = Dictionary(uniqueKeysWithValues: ref.competences.enumerated().map { ($1.code, $0) })
            competences = explicit.sorted { order[$0, default: 0] < order[$1, default: 0] }
        } else {
            var blocks: [String]
            if let block = request.block {
                guard ref.block(block) != nil else { throw DomainError(.notFound, context: [block], "no block \(block)") }
                blocks = [block]
            } else if let id = request.specialisation {
                guard let specialisation = ref.specialisations.first(where: { $0.id == id }) ?? ref.specialisation(track: id) else {
                    throw DomainError(.notFound, context: [id], "no specialisation \(id)")
                }
                blocks = specialisation.blocks
            } else if isFinal, let track = candidates.first.flatMap(users)?.fields.track, let specialisation = ref.specialisation(track: track) {
                // A final defence assesses the candidate's whole track unless told otherwise.
                blocks = specialisation.blocks
            } else {
                throw DomainError(.badArguments, isFinal ? "give competences=, block= or specialisation=, or give the candidate a track" : "give competences=, block= or specialisation=")
            }
            competences = ref.competences.filter { blocks.contains($0.block) && assessable($0) }.map(\.code)
            guard !competences.isEmpty else {
                throw DomainError(.wrongEpreuve, "no competence of \(blocks.joined(separator: ", ")) is assessed through épreuve \(epreuve.number)")
            }
        }

        // Tracks: a candidate is assessed only on the competences of their track.
        for candidate in candidates {
            guard let track = users(candidate)?.fields.track else { continue }
            try checkTrack(track, of: candidate, competences: competences, referential: ref)
        }

        // Time.
        let phases = request.phases ?? RoomPlan.defaultPhases(for: request.kind, oralMinutes: oralMinutes)
        try validatePhases(phases, totalMinutes: oralMinutes)
        let warnings = (request.warnings ?? RoomPlan.defaultWarnings).sorted(by: >)
        guard warnings.allSatisfy({ $0 > 0 && $0 < oralMinutes * 60 }), Set(warnings).count == warnings.count,
            warnings.count <= 5
        else {
            throw DomainError(.invalid, "warnings are up to 5 distinct thresholds in seconds, each shorter than the defence")
        }

        let plan = RoomPlan(
            id: request.id,
            title: request.title,
            kind: request.kind,
            epreuve: epreuve.number,
            referentialHash: referential.hash,
            competences: competences,
            candidates: candidates,
            jurors: request.jurors,
            president: request.president,
            start: request.start,
            phases: phases,
            warnings: warnings,
            visibility: request.visibility ?? .live
        )
        for other in otherRooms where other.id != plan.id && other.overlaps(plan) {
            if let person = plan.participants.first(where: other.participants.contains) {
                throw DomainError(
                    .doubleBooked,
                    context: [person, other.id],
                    "\(person) is already in room \(other.id) at an overlapping time"
                )
            }
        }
        return plan
    }

    /// Refuses competences outside a candidate's track.
    /// - Throws: `WRONG_TRACK` naming the candidate and the first competence that is not of the track.
    public static func checkTrack(_ track: String, of candidate: String, competences: [String], referential: Referential) throws(DomainError) {
        guard let specialisation = referential.specialisation(track: track) else {
            throw DomainError(.wrongTrack, context: [candidate, track], "\(candidate)'s track \(track) is not in the referential")
        }
        let blocks = Set(specialisation.blocks)
        for code in competences {
            guard let block = referential.competence(code)?.block, blocks.contains(block) else {
                throw DomainError(
                    .wrongTrack, context: [candidate, code],
                    "\(code) is not of \(candidate)'s track \(specialisation.trackID) (\(specialisation.title): \(specialisation.blocks.joined(separator: ", ")))"
                )
            }
        }
    }

    /// A room id: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit.
    public static func validateRoomID(_ id: String) throws(DomainError) {
        do {
            try AccountRules.validateUserID(id)
        } catch {
            throw DomainError(.invalid, "room id '\(id.prefix(64))' must be 1 to 64 characters among a-z 0-9 . _ -, starting with a letter or digit")
        }
    }

    /// Phases: 1 to 6, names 1 to 32 of `a-z 0-9 -`, unique, each at least a minute, adding up to the épreuve.
    public static func validatePhases(_ phases: [Phase], totalMinutes: Int) throws(DomainError) {
        guard (1...6).contains(phases.count) else { throw DomainError(.badPhases, "a defence has 1 to 6 phases") }
        for phase in phases {
            guard !phase.name.isEmpty, phase.name.count <= 32,
                phase.name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
            else {
                throw DomainError(.badPhases, context: [String(phase.name.prefix(32))], "phase names are 1 to 32 of a-z 0-9 -")
            }
            guard phase.seconds >= 60 else {
                throw DomainError(.badPhases, context: [phase.name], "phase \(phase.name) lasts less than a minute")
            }
        }
        guard Set(phases.map(\.name)).count == phases.count else {
            throw DomainError(.badPhases, "phase names must be distinct")
        }
        let total = phases.reduce(0) { $0 + $1.seconds }
        guard total == totalMinutes * 60 else {
            throw DomainError(
                .badPhases,
                "phases add up to \(total / 60) min \(total % 60) s; the épreuve lasts \(totalMinutes) min"
            )
        }
    }
}
