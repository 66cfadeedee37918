import DefenceProtocol
import Foundation

extension RoomEvent {
    /// What the event says on the wire (PROTOCOL.md §11.4), with what the room knew right after it (`state`: roles,
    /// phases, outages). The server writes every event through it; its type is the event's stored name.
    public func body(in state: RoomState) -> EventBody {
        func role(_ user: String) -> String { state.plan.role(of: user)?.rawValue ?? "observer" }
        func seconds(ofOutage id: Int) -> Int { state.outages.first { $0.id == id }?.seconds ?? 0 }
        switch kind {
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
        case .timerPaused(let by, let remaining, let reason): return .timerPaused(by: by, remainingMs: Self.milliseconds(remaining), reason: reason)
        case .timeAdjusted(let by, let delta, let reason):
            let clock: EventBody.Clock = state.endsAt.map { .endsAt($0) } ?? .remainingMs(Self.milliseconds(state.remaining(at: at)))
            return .timeAdjusted(by: by, delta: delta, clock: clock, reason: reason)
        case .phaseChanged(let index):
            let phase = state.plan.phases[min(index, state.plan.phases.count - 1)]
            return .phase(index: index, name: phase.name, seconds: phase.seconds)
        case .warning(let secondsLeft): return .warning(secondsLeft: secondsLeft)
        case .message(let from, let audience, let text): return .message(from: from, audience: audience, text: text)
        case .signal(let from, let kind): return .signal(from: from, kind: kind)
        case .acknowledged(let juror, let candidate): return .acknowledged(juror: juror, candidate: candidate)
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
        case .evidence(let juror, let candidate, let part, let text): return .evidence(juror: juror, candidate: candidate, part: part, text: text)
        case .observations(let by, let text): return .observations(by: by, text: text)
        case .outageDeclined(let id, let by, let reason): return .outageDeclined(id: id, by: by, reason: reason)
        case .restarted(let by, let reason): return .restarted(by: by, reason: reason)
        case .postponed(let by, let reason): return .postponed(by: by, reason: reason)
        }
    }

    /// Seconds as whole milliseconds, as the wire writes durations (a sound state's are far inside `Int64`).
    public static func milliseconds(_ seconds: Double) -> Int64 {
        Int64((seconds * 1000).rounded())
    }
}
