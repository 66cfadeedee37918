import DefenceProtocol
import Foundation

/// A room's snapshot (its state as `JSONEncoder` stored it), read directly.
///
/// The server's start reads each room's last snapshot, and after the events (``RoomEventJSON/decode(_:)``) they were
/// the largest part of it in `JSONDecoder` (docs/performance.md): the grids are dictionaries keyed by a structure,
/// which Foundation decodes pair by pair through generic containers. This reads the same documents into equal
/// states; any document of another shape and any value of the wrong type are left to `JSONDecoder`, so what is
/// refused is refused with Foundation's error.
public enum RoomStateJSON {
    /// The state a stored snapshot holds.
    public static func decode(_ text: String) throws -> RoomState {
        try JSONTree.decode(text, RoomState.self, directly: state(in:))
    }

    /// The state, or nil when `text` is not a document this reads (``decode(_:)`` then asks `JSONDecoder`).
    static func state(in text: String) -> RoomState? {
        guard let root = JSONTree.parse(text)?.members else { return nil }
        var f = JSONFields(root)
        guard let plan = f.value("plan", plan),
            let lifecycle = f.raw("lifecycle", as: RoomLifecycle.self),
            let endsAt = f.optional("endsAt", { $0.date }),
            let remainingWhenStopped = f.double("remainingWhenStopped"),
            let phaseIndex = f.int("phaseIndex"),
            let warned = f.array("warned", { $0.int }),
            let isOvertime = f.value("isOvertime", { $0.bool }),
            let present = f.array("present", { $0.string }),
            let outages = f.array("outages", outage),
            let startedAt = f.optional("startedAt", { $0.date }),
            let marks = f.value("marks", { byJuror($0) { grid($0, Mark.self) } }),
            let proposals = f.value("proposals", { byJuror($0) { grid($0, Decision.self) } }),
            let submitted = f.array("submitted", { $0.string }),
            let decisions = f.value("decisions", { grid($0, Decision.self) }),
            let signatures = f.value("signatures", { byJuror($0, signature) }),
            let signatureHistory = f.array("signatureHistory", signature),
            let reopenings = f.array("reopenings", reopening),
            let endedAt = f.optional("endedAt", { $0.date }),
            let lastSeq = f.int("lastSeq"),
            let publicSeq = f.int("publicSeq"),
            let lastEventAt = f.date("lastEventAt"),
            let records = f.optional("storedRecords", records), f.complete
        else { return nil }
        return RoomState(
            plan: plan, lifecycle: lifecycle, endsAt: endsAt, remainingWhenStopped: remainingWhenStopped, phaseIndex: phaseIndex,
            warned: Set(warned), isOvertime: isOvertime, present: Set(present), outages: outages, startedAt: startedAt,
            marks: marks, proposals: proposals, submitted: Set(submitted), decisions: decisions, signatures: signatures,
            signatureHistory: signatureHistory, reopenings: reopenings, endedAt: endedAt, lastSeq: lastSeq, publicSeq: publicSeq,
            lastEventAt: lastEventAt, records: records
        )
    }

    private static func records(_ value: JSONTree) -> RoomRecords? {
        guard var f = value.members.map(JSONFields.init),
            let evidence = f.array("evidence", { element -> RoomRecords.Evidence? in
                guard var e = element.members.map(JSONFields.init), let candidate = e.string("candidate"),
                    let part = e.raw("part", as: EvidencePart.self), let text = e.string("text"), let by = e.string("by"),
                    let at = e.date("at"), e.complete
                else { return nil }
                return RoomRecords.Evidence(candidate: candidate, part: part, text: text, by: by, at: at)
            }),
            let observations = f.optional("observations", { element -> RoomRecords.Note? in
                guard var n = element.members.map(JSONFields.init), let by = n.string("by"), let at = n.date("at"), let text = n.string("text"),
                    n.complete
                else { return nil }
                return RoomRecords.Note(by: by, at: at, text: text)
            }),
            let decisions = f.array("decisions", { element -> RoomRecords.PresidentDecision? in
                guard var d = element.members.map(JSONFields.init), let kind = d.raw("kind", as: RoomRecords.PresidentDecision.Kind.self),
                    let outage = d.optional("outage", { $0.int }), let by = d.string("by"), let at = d.date("at"),
                    let reason = d.string("reason"), d.complete
                else { return nil }
                return RoomRecords.PresidentDecision(kind: kind, outage: outage, by: by, at: at, reason: reason)
            }), f.complete
        else { return nil }
        var records = RoomRecords()
        records.evidence = evidence
        records.observations = observations
        records.decisions = decisions
        return records
    }

    /// A plan (also inside the `scheduled` and `updated` events).
    static func plan(_ value: JSONTree) -> RoomPlan? {
        guard let members = value.members else { return nil }
        var f = JSONFields(members)
        guard let id = f.string("id"),
            let title = f.optionalString("title"),
            let kind = f.raw("kind", as: RoomKind.self),
            let epreuve = f.int("epreuve"),
            let referentialHash = f.string("referentialHash"),
            let competences = f.array("competences", { $0.string }),
            let candidates = f.array("candidates", { $0.string }),
            let jurors = f.array("jurors", { $0.string }),
            let president = f.string("president"),
            let start = f.date("start"),
            let phases = f.array("phases", phase),
            let warnings = f.array("warnings", { $0.int }),
            let visibility = f.raw("visibility", as: ScoringVisibility.self), f.complete
        else { return nil }
        return RoomPlan(
            id: id, title: title, kind: kind, epreuve: epreuve, referentialHash: referentialHash, competences: competences,
            candidates: candidates, jurors: jurors, president: president, start: start, phases: phases, warnings: warnings,
            visibility: visibility
        )
    }

    private static func phase(_ value: JSONTree) -> Phase? {
        guard var f = value.members.map(JSONFields.init), let name = f.string("name"), let seconds = f.int("seconds"), f.complete
        else { return nil }
        return Phase(name: name, seconds: seconds)
    }

    private static func outage(_ value: JSONTree) -> Outage? {
        guard var f = value.members.map(JSONFields.init), let id = f.int("id"), let user = f.optionalString("user"),
            let from = f.date("from"), let to = f.optional("to", { $0.date }), let compensated = f.optional("compensatedSeconds", { $0.int }),
            f.complete
        else { return nil }
        return Outage(id: id, user: user, from: from, to: to, compensatedSeconds: compensated)
    }

    private static func signature(_ value: JSONTree) -> Signature? {
        guard var f = value.members.map(JSONFields.init), let juror = f.string("juror"), let at = f.date("at"),
            let gridHash = f.string("gridHash"), f.complete
        else { return nil }
        return Signature(juror: juror, at: at, gridHash: gridHash)
    }

    private static func reopening(_ value: JSONTree) -> Reopening? {
        guard var f = value.members.map(JSONFields.init), let by = f.string("by"), let reason = f.string("reason"),
            let at = f.date("at"), f.complete
        else { return nil }
        return Reopening(by: by, reason: reason, at: at)
    }

    /// A dictionary keyed by strings (a JSON object), every value read by `read`.
    private static func byJuror<T>(_ value: JSONTree, _ read: (JSONTree) -> T?) -> [String: T]? {
        guard let members = value.members else { return nil }
        var result: [String: T] = [:]
        for (key, member) in members.pairs {
            guard let read = read(member) else { return nil }
            result[key] = read
        }
        return result
    }

    /// A grid: a dictionary keyed by ``GridKey``, which `JSONEncoder` writes as an array of keys and values in turn
    /// (a later duplicate key wins, as in `Dictionary`'s own decoding).
    private static func grid<Value: RawRepresentable & Codable & Hashable & Sendable>(
        _ value: JSONTree, _ type: Value.Type
    ) -> [GridKey: Assessment<Value>]?
    where Value.RawValue == String {
        guard let elements = value.elements, elements.count % 2 == 0 else { return nil }
        var result: [GridKey: Assessment<Value>] = [:]
        result.reserveCapacity(elements.count / 2)
        var index = 0
        while index < elements.count {
            guard var key = elements[index].members.map(JSONFields.init), let candidate = key.string("candidate"),
                let item = key.string("item"), key.complete,
                var cell = elements[index + 1].members.map(JSONFields.init), let value = cell.raw("value", as: Value.self),
                let comment = cell.optionalString("comment"), let by = cell.string("by"), let at = cell.date("at"), cell.complete
            else { return nil }
            result[GridKey(candidate: candidate, item: item)] = Assessment(value: value, comment: comment, by: by, at: at)
            index += 2
        }
        return result
    }
}
