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
            let (_, outcome, _, _) = try await outcome(of: candidate)
            return Self.outcomeLines(outcome, id: id)

        case .transcript(let candidate, let format, let lang):
            let (user, outcome, referential, states) = try await outcome(of: candidate)
            var people: [String: User] = [candidate: user]
            for state in states where state.plan.candidates.contains(candidate) {
                for juror in state.plan.jurors where people[juror] == nil { people[juror] = try await accounts.user(juror) }
            }
            let document = CandidateTranscript(
                outcome: outcome, candidate: user, referential: referential, people: people, generatedAt: now(),
                language: lang == "en" ? .en : .fr, timeZone: timeZone
            )
            let text = format == "html" ? document.html : document.markdown
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Message(id: id, verb: "TRANSCRIPT", [], text: String($0)) }
            return lines + [.ok(verb: "TRANSCRIPT", [candidate, format ?? "markdown", String(lines.count), outcome.status.rawValue], id: id)]

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

    /// A candidate's account and outcome, with the referential and the rooms it was computed from.
    /// - Throws: `NOT_FOUND` (no such candidate), `WRONG_STATE no-track`.
    private func outcome(of candidate: String) async throws -> (User, CandidateOutcome, Referential, [RoomState]) {
        guard let user = try await accounts.user(candidate), user.role == .candidate else {
            throw DomainError(.notFound, context: [candidate], "no candidate \(candidate)")
        }
        let referential = try await referentials.referential(nil).referential
        guard let track = user.fields.track, let specialisation = referential.specialisation(track: track) else {
            throw DomainError(.wrongState, context: ["no-track"], "\(candidate) has no track yet: the certification staff sets it (USER-UPDATE \(candidate) track=…)")
        }
        let states = await rooms.rooms(visibleTo: Self.staff)
        return (user, CandidateOutcome(candidate: candidate, track: specialisation, referential: referential, rooms: states), referential, states)
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
