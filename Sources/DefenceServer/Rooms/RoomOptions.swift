import DefenceCore
import DefenceProtocol
import Foundation

/// Reads the `key=value` options of `ROOM-CREATE` and `ROOM-UPDATE` into a room request.
enum RoomOptions {
    /// A new room's request; `start`, `candidates`, `jurors` and `president` are required.
    static func request(room: String, kind: String, options: [String: String], title: String?) throws(DomainError) -> RoomRequest {
        guard let kind = RoomKind(rawValue: kind.lowercased()) else {
            throw DomainError(.badArguments, "kind is team, individual or final")
        }
        for required in ["start", "candidates", "jurors", "president"] where options[required] == nil {
            throw DomainError(.badArguments, "\(required)= is required")
        }
        var request = RoomRequest(id: room, kind: kind, start: Date(), candidates: [], jurors: [], president: "")
        try apply(options, title: title, to: &request)
        return request
    }

    /// The request that keeps `plan` but for the given options (competences are kept unless one of
    /// `competences=`, `block=`, `specialisation=` is given).
    static func request(updating plan: RoomPlan, options: [String: String], title: String?) throws(DomainError) -> RoomRequest {
        var request = RoomRequest(
            id: plan.id, kind: plan.kind, start: plan.start, candidates: plan.candidates, jurors: plan.jurors,
            president: plan.president, competences: plan.competences, phases: plan.phases, warnings: plan.warnings,
            visibility: plan.visibility, title: plan.title
        )
        if let kindText = options["kind"] {
            guard let kind = RoomKind(rawValue: kindText.lowercased()) else {
                throw DomainError(.badArguments, "kind is team, individual or final")
            }
            if kind != plan.kind {
                request.kind = kind
                // Phases and competences belong to the épreuve: take the new kind's defaults unless given.
                request.phases = nil
                if options["competences"] == nil && options["block"] == nil && options["specialisation"] == nil {
                    throw DomainError(.badArguments, "changing the kind needs competences=, block= or specialisation=")
                }
            }
        }
        if options["competences"] != nil || options["block"] != nil || options["specialisation"] != nil {
            request.competences = nil
        }
        try apply(options, title: title, to: &request)
        return request
    }

    private static func apply(_ options: [String: String], title: String?, to request: inout RoomRequest) throws(DomainError) {
        let sources = ["competences", "block", "specialisation"].filter { options[$0] != nil }
        guard sources.count <= 1 else {
            throw DomainError(.badArguments, "give one competence source, not \(sources.map { "\($0)=" }.joined(separator: " and "))")
        }
        if let start = options["start"] {
            guard let date = WireTime.parse(start) else {
                throw DomainError(.invalid, "start must be an RFC 3339 time such as 2026-12-01T09:00:00Z")
            }
            request.start = date
        }
        if let value = options["candidates"] { request.candidates = list(value) }
        if let value = options["jurors"] { request.jurors = list(value) }
        if let value = options["president"] { request.president = value }
        if let value = options["competences"] { request.competences = list(value) }
        if let value = options["block"] { request.block = value }
        if let value = options["specialisation"] { request.specialisation = value }
        if let value = options["phases"] { request.phases = try phases(value) }
        if let value = options["warnings"] {
            var warnings: [Int] = []
            for item in list(value) {
                guard let seconds = Int(item) else { throw DomainError(.invalid, "warnings are seconds, e.g. warnings=300,60") }
                warnings.append(seconds)
            }
            request.warnings = warnings
        }
        if let value = options["visibility"] {
            guard let visibility = ScoringVisibility(rawValue: value.lowercased()) else {
                throw DomainError(.invalid, "visibility is live or blind")
            }
            request.visibility = visibility
        }
        if let title { request.title = title }
    }

    /// `presentation:20,questions:10` (minutes) or `demo:90s` (seconds).
    static func phases(_ text: String) throws(DomainError) -> [Phase] {
        var phases: [Phase] = []
        for item in list(text) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw DomainError(.badPhases, "phases are name:minutes, e.g. presentation:20,questions:10") }
            let amount = parts[1]
            let seconds: Int?
            if amount.hasSuffix("s") {
                seconds = Int(amount.dropLast())
            } else {
                seconds = Int(amount).map { $0 * 60 }
            }
            guard let seconds, seconds > 0 else {
                throw DomainError(.badPhases, "phase \(parts[0]): length is minutes (20) or seconds (90s)")
            }
            phases.append(Phase(name: String(parts[0]), seconds: seconds))
        }
        return phases
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
