import DefenceCore
import DefenceProtocol
import Foundation

/// How rooms and their events are written on the wire (PROTOCOL.md §11).
enum RoomWire {
    /// `EVENT <room> <seq> <time> <type> [parameters…] [:text]`. `state` is the room right after the event; `seq`
    /// is the number the recipients know it by (the candidates' own numbering, §4.3), the room's by default.
    static func event(_ event: RoomEvent, state: RoomState, seq: Int? = nil) -> Message {
        EventLine(room: event.room, seq: seq ?? event.seq, at: event.at, body: body(of: event, state: state)).message
    }

    /// What the event says on the wire (§11.4), with what the room knew right after it (roles, phases, outages).
    static func body(of event: RoomEvent, state: RoomState) -> EventBody {
        func role(_ user: String) -> String { state.plan.role(of: user)?.rawValue ?? "observer" }
        func seconds(ofOutage id: Int) -> Int { state.outages.first { $0.id == id }?.seconds ?? 0 }
        switch event.kind {
        case .scheduled(let plan): return .scheduled(kind: plan.kind.rawValue, start: plan.start, end: plan.end)
        case .updated(let plan): return .updated(kind: plan.kind.rawValue, start: plan.start, end: plan.end)
        case .cancelled(let by, let reason): return .cancelled(by: by, reason: reason)
        case .opened: return .opened
        case .overtime: return .overtime
        case .joined(let user): return .joined(user: user, role: role(user))
        case .left(let user): return .left(user: user, role: role(user))
        case .connectionLost(let user): return .connectionLost(user: user, role: role(user))
        case .timerStarted(let by, let endsAt): return .timerStarted(by: by, endsAt: endsAt)
        case .timerResumed(let by, let endsAt): return .timerResumed(by: by, endsAt: endsAt)
        case .timerPaused(let by, let remaining, let reason): return .timerPaused(by: by, remainingMs: millisecondCount(remaining), reason: reason)
        case .timeAdjusted(let by, let delta, let reason):
            let clock: EventBody.Clock = state.endsAt.map { .endsAt($0) } ?? .remainingMs(millisecondCount(state.remaining(at: event.at)))
            return .timeAdjusted(by: by, delta: delta, clock: clock, reason: reason)
        case .phaseChanged(let index):
            let phase = state.plan.phases[min(index, state.plan.phases.count - 1)]
            return .phase(index: index, name: phase.name, seconds: phase.seconds)
        case .warning(let secondsLeft): return .warning(secondsLeft: secondsLeft)
        case .message(let from, let audience, let text): return .message(from: from, audience: audience, text: text)
        case .signal(let from, let kind): return .signal(from: from, kind: kind)
        case .outageStarted(let id, let user): return .outageStarted(id: id, user: user)
        case .outageEnded(let id, let user): return .outageEnded(id: id, user: user, seconds: seconds(ofOutage: id))
        case .downtime(let id, let from): return .downtime(id: id, from: from, seconds: seconds(ofOutage: id))
        case .outageCompensated(let id, let by, let seconds): return .outageCompensated(id: id, by: by, seconds: seconds)
        case .deliberationStarted(let by): return .deliberation(by: by)
        case .marked(let juror, let candidate, let criterion, let mark, let comment):
            return .mark(juror: juror, candidate: candidate, criterion: criterion, mark: mark, comment: comment)
        case .proposed(let juror, let candidate, let competence, let decision, let comment):
            return .proposal(juror: juror, candidate: candidate, competence: competence, decision: decision, comment: comment)
        case .gridSubmitted(let juror): return .gridSubmitted(juror: juror)
        case .signatureWithdrawn(let juror): return .signatureWithdrawn(juror: juror)
        case .decided(let by, let candidate, let competence, let decision, let comment):
            return .decision(by: by, candidate: candidate, competence: competence, decision: decision, comment: comment)
        case .signed(let juror, let hash): return .signed(juror: juror, gridHash: hash)
        case .locked: return .locked
        case .reopened(let by, let reason): return .reopened(by: by, reason: reason)
        }
    }

    static func milliseconds(_ seconds: Double) -> String {
        String(millisecondCount(seconds))
    }

    /// Seconds as whole milliseconds (a sound state's durations are far inside `Int64`).
    static func millisecondCount(_ seconds: Double) -> Int64 {
        Int64((seconds * 1000).rounded())
    }

    /// `SNAPSHOT <room> <seq> <time> <state> phase=<i> phase-name=<name> remaining-ms=<n> [ends-at=<t>] overtime=<yes|no> present=<a,b|-> [:title]`.
    /// As `role` is told of the room: a candidate's numbering and state (``RoomState/view(for:)``).
    static func snapshot(_ state: RoomState, at now: Date, for role: RoomRole?) -> Message {
        let view = state.view(for: role)
        var parameters = [
            state.plan.id, String(view.seq), WireTime.format(now), view.lifecycle.rawValue,
            "phase=\(state.phaseIndex)", "phase-name=\(state.phase.name)",
            "remaining-ms=\(milliseconds(state.remaining(at: now)))",
        ]
        if let endsAt = state.endsAt { parameters.append("ends-at=\(WireTime.format(endsAt))") }
        parameters.append("overtime=\(state.isOvertime ? "yes" : "no")")
        parameters.append("present=\(state.present.isEmpty ? "-" : state.present.sorted().joined(separator: ","))")
        return Message(id: nil, verb: "SNAPSHOT", parameters, text: state.plan.title)
    }

    /// `ROOM <id> <state> <kind> <start> <end> candidates=… jurors=… president=… [details] [:title]`.
    /// As `role` is told of the room: a candidate's numbering and state (``RoomState/view(for:)``).
    static func room(_ state: RoomState, detailed: Bool, id: String?, for role: RoomRole?) -> Message {
        let plan = state.plan
        let view = state.view(for: role)
        var parameters = [
            plan.id, view.lifecycle.rawValue, plan.kind.rawValue, WireTime.format(plan.start), WireTime.format(plan.end),
            "candidates=\(plan.candidates.joined(separator: ","))", "jurors=\(plan.jurors.joined(separator: ","))",
            "president=\(plan.president)",
        ]
        if detailed {
            parameters += [
                "epreuve=\(plan.epreuve)",
                "competences=\(plan.competences.joined(separator: ","))",
                "phases=\(plan.phases.map { "\($0.name):\($0.seconds)s" }.joined(separator: ","))",
                "warnings=\(plan.warnings.map(String.init).joined(separator: ","))",
                "visibility=\(plan.visibility.rawValue)",
                "referential=\(plan.referentialHash)",
                "seq=\(view.seq)",
            ]
        }
        return Message(id: id, verb: "ROOM", parameters, text: plan.title)
    }
}
