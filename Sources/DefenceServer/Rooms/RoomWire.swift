import DefenceCore
import DefenceProtocol
import Foundation

/// How rooms and their events are written on the wire (PROTOCOL.md §11).
enum RoomWire {
    /// `EVENT <room> <seq> <time> <type> [parameters…] [:text]`. `state` is the room right after the event; `seq`
    /// is the number the recipients know it by (the candidates' own numbering, §4.3), the room's by default.
    static func event(_ event: RoomEvent, state: RoomState, seq: Int? = nil) -> Message {
        EventLine(room: event.room, seq: seq ?? event.seq, at: event.at, body: event.body(in: state)).message
    }

    static func milliseconds(_ seconds: Double) -> String {
        String(RoomEvent.milliseconds(seconds))
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
        let details = RoomLine.Details(
            epreuve: plan.epreuve, competences: plan.competences, phases: plan.phases.map { .init(name: $0.name, seconds: $0.seconds) },
            warnings: plan.warnings, visibility: plan.visibility.rawValue, referential: plan.referentialHash, seq: view.seq
        )
        return RoomLine(
            room: plan.id, state: view.lifecycle, kind: plan.kind.rawValue, start: plan.start, end: plan.end, candidates: plan.candidates,
            jurors: plan.jurors, president: plan.president, details: detailed ? details : nil, title: plan.title
        ).message(id: id)
    }
}
