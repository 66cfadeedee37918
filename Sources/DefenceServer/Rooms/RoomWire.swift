import DefenceCore
import DefenceProtocol
import Foundation

/// How rooms and their events are written on the wire (PROTOCOL.md §11).
enum RoomWire {
    /// `EVENT <room> <seq> <time> <type> [parameters…] [:text]`. `state` is the room right after the event; `seq`
    /// is the number the recipients know it by (the candidates' own numbering, §4.3), the room's by default.
    static func event(_ event: RoomEvent, state: RoomState, seq: Int? = nil) -> Message {
        var parameters: [String] = []
        var text: String?
        switch event.kind {
        case .scheduled(let plan), .updated(let plan):
            parameters = [plan.kind.rawValue, "start=\(WireTime.format(plan.start))", "end=\(WireTime.format(plan.end))"]
        case .cancelled(let by, let reason):
            parameters = ["by=\(by)"]
            text = reason
        case .opened, .overtime:
            break
        case .joined(let user), .left(let user), .connectionLost(let user):
            parameters = [user, state.plan.role(of: user)?.rawValue ?? "observer"]
        case .timerStarted(let by, let endsAt), .timerResumed(let by, let endsAt):
            parameters = ["by=\(by)", "ends-at=\(WireTime.format(endsAt))"]
        case .timerPaused(let by, let remaining, let reason):
            parameters = ["by=\(by)", "remaining-ms=\(milliseconds(remaining))"]
            text = reason
        case .timeAdjusted(let by, let seconds, let reason):
            parameters = ["by=\(by)", "delta=\(seconds > 0 ? "+" : "")\(seconds)"] + clock(state, at: event.at)
            text = reason
        case .phaseChanged(let index):
            let phase = state.plan.phases[min(index, state.plan.phases.count - 1)]
            parameters = [String(index), phase.name, String(phase.seconds)]
        case .warning(let seconds):
            parameters = [String(seconds)]
        case .message(let from, let audience, let message):
            parameters = [from, audience.rawValue]
            text = message
        case .signal(let from, let kind):
            parameters = [from, kind.rawValue]
        case .outageStarted(let id, let user):
            parameters = [String(id), user]
        case .outageEnded(let id, let user):
            let seconds = state.outages.first { $0.id == id }?.seconds ?? 0
            parameters = [String(id), user, String(seconds)]
        case .downtime(let id, let from):
            let seconds = state.outages.first { $0.id == id }?.seconds ?? 0
            parameters = [String(id), "from=\(WireTime.format(from))", String(seconds)]
        case .outageCompensated(let id, let by, let seconds):
            parameters = [String(id), "by=\(by)", String(seconds)]
        case .deliberationStarted(let by):
            parameters = ["by=\(by)"]
        case .marked(let juror, let candidate, let criterion, let mark, let comment):
            parameters = [juror, candidate, criterion, mark?.rawValue ?? "cleared"]
            text = comment
        case .proposed(let juror, let candidate, let competence, let decision, let comment):
            parameters = [juror, candidate, competence, decision?.rawValue ?? "withdrawn"]
            text = comment
        case .gridSubmitted(let juror), .signatureWithdrawn(let juror):
            parameters = [juror]
        case .decided(let by, let candidate, let competence, let decision, let comment):
            parameters = ["by=\(by)", candidate, competence, decision.rawValue]
            text = comment
        case .signed(let juror, let hash):
            parameters = [juror, hash]
        case .locked:
            break
        case .reopened(let by, let reason):
            parameters = ["by=\(by)"]
            text = reason
        }
        return Message(
            id: nil,
            verb: "EVENT",
            [event.room, String(seq ?? event.seq), WireTime.format(event.at), event.kind.name] + parameters,
            text: text
        )
    }

    /// `ends-at=<time>` while the clock runs, `remaining-ms=<n>` otherwise.
    static func clock(_ state: RoomState, at now: Date) -> [String] {
        if let endsAt = state.endsAt { return ["ends-at=\(WireTime.format(endsAt))"] }
        return ["remaining-ms=\(milliseconds(state.remaining(at: now)))"]
    }

    static func milliseconds(_ seconds: Double) -> String {
        String(Int64((seconds * 1000).rounded()))
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
