import DefenceCore
import DefenceProtocol
import Foundation

extension CommandRouter {
    /// A candidate's outcome, and every candidate's (PROTOCOL.md §12.5).
    @inline(never)
    func certificationCommand(_ command: Command, _ principal: Principal, _ actor: RoomActor, _ id: String?) async throws -> [Message] {
        switch command {
        case .outcome(let candidate):
            // A candidate reads their own outcome only; whether another candidate exists is not told.
            if principal.user.role == .candidate, candidate != principal.user.id {
                throw DomainError(.forbidden, "a candidate may read only their own outcome")
            }
            guard let user = try await accounts.user(candidate), user.role == .candidate else {
                throw DomainError(.notFound, context: [candidate], "no candidate \(candidate)")
            }
            let referential = try await referentials.referential(nil).referential
            guard let track = user.fields.track, let specialisation = referential.specialisation(track: track) else {
                throw DomainError(.wrongState, context: ["no-track"], "\(candidate) has no track; set one with USER-UPDATE \(candidate) track=…")
            }
            let outcome = CandidateOutcome(
                candidate: candidate, track: specialisation, referential: referential, rooms: await rooms.rooms(visibleTo: Self.staff)
            )
            return Self.outcomeLines(outcome, id: id)

        case .outcomes(let day, let trackFilter, let stateFilter):
            let referential = try await referentials.referential(nil).referential
            if let trackFilter, referential.specialisation(track: trackFilter) == nil {
                throw DomainError(.invalid, "unknown track '\(trackFilter.prefix(64))'; tracks are \(referential.specialisations.map(\.trackID).joined(separator: ", "))")
            }
            if let stateFilter, CandidateOutcome.Status(rawValue: stateFilter) == nil {
                throw DomainError(.invalid, "state is certified, not-certified or incomplete")
            }
            var dayRange: Range<Date>?
            if let day {
                guard let start = WireTime.parseDay(day) else { throw DomainError(.invalid, "day is a date such as 2026-12-01 (UTC)") }
                dayRange = start..<start.addingTimeInterval(86_400)
            }
            let states = await rooms.rooms(visibleTo: Self.staff)
            var lines: [Message] = []
            for user in try await accounts.users(role: .candidate) {
                // With day=: the candidates with a room (not cancelled) that day.
                if let dayRange, !states.contains(where: {
                    $0.lifecycle != .cancelled && $0.plan.candidates.contains(user.id) && dayRange.contains($0.plan.start)
                }) { continue }
                let summary: OutcomeSummary
                if let track = user.fields.track, let specialisation = referential.specialisation(track: track) {
                    let outcome = CandidateOutcome(candidate: user.id, track: specialisation, referential: referential, rooms: states)
                    summary = Self.summary(outcome, number: user.fields.number, name: user.recordName)
                } else {
                    summary = OutcomeSummary(
                        candidate: user.id, status: CandidateOutcome.Status.incomplete.rawValue, track: nil, validated: 0, total: 0, needed: 0,
                        number: user.fields.number, name: user.recordName
                    )
                }
                if let trackFilter, summary.track != referential.specialisation(track: trackFilter)?.trackID { continue }
                if let stateFilter, summary.status != stateFilter { continue }
                lines.append(summary.line(id: id))
            }
            return lines + [.ok(verb: "OUTCOMES", [String(lines.count)], id: id)]

        default:
            throw DomainError(.internal, "\(command.verb.rawValue) is not routed to certificationCommand")
        }
    }

    /// Who reads every room to compute outcomes.
    static let staff = RoomActor(user: "server", role: .admin)

    static func summary(_ outcome: CandidateOutcome, number: String? = nil, name: String? = nil) -> OutcomeSummary {
        OutcomeSummary(
            candidate: outcome.candidate, status: outcome.status.rawValue, track: outcome.track, validated: outcome.validatedBlocks,
            total: outcome.blocks.count, needed: outcome.blocksNeeded, number: number, name: name
        )
    }

    /// `COMPETENCE` lines, `BLOCK` lines, then `OK OUTCOME`.
    static func outcomeLines(_ outcome: CandidateOutcome, id: String?) -> [Message] {
        let competences = outcome.competences.map { result in
            OutcomeCompetenceLine(
                code: result.code, decision: result.decision?.decision, room: result.decision?.room, at: result.decision?.signedAt,
                earlier: result.earlier.map { .init(room: $0.room, decision: $0.decision) }
            ).message(id: id)
        }
        let blocks = outcome.blocks.map { block in
            OutcomeBlockLine(code: block.code, status: block.status.rawValue, acquired: block.acquired, total: block.total, needed: block.needed).message(id: id)
        }
        return competences + blocks + [summary(outcome).reply(id: id)]
    }
}
