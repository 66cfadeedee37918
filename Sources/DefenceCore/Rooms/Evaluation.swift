import DefenceProtocol
import Foundation

/// One cell of a grid: a candidate and a criterion (for marks) or a competence (for proposals and decisions).
public struct GridKey: Codable, Hashable, Sendable, Comparable {
    /// The candidate's user id.
    public var candidate: String
    /// A criterion id or a competence code.
    public var item: String

    /// Creates a key.
    public init(candidate: String, item: String) {
        self.candidate = candidate
        self.item = item
    }

    public static func < (lhs: GridKey, rhs: GridKey) -> Bool {
        (lhs.candidate, lhs.item) < (rhs.candidate, rhs.item)
    }
}

/// A value with its optional comment, its author and its time.
public struct Assessment<Value: Codable & Hashable & Sendable>: Codable, Hashable, Sendable {
    /// The mark or decision.
    public var value: Value
    /// An optional comment.
    public var comment: String?
    /// Who set it.
    public var by: String
    /// When.
    public var at: Date
}

/// A juror's signature of the final grid.
public struct Signature: Codable, Hashable, Sendable {
    /// The juror.
    public var juror: String
    /// When they signed.
    public var at: Date
    /// The fingerprint of the final grid they signed.
    public var gridHash: String
}

/// An admin's reopening of a signed room.
public struct Reopening: Codable, Hashable, Sendable {
    /// The admin.
    public var by: String
    /// Why.
    public var reason: String
    /// When.
    public var at: Date
}

/// Where two jurors' proposals differ, or one of them has not proposed.
public struct Disagreement: Hashable, Sendable {
    /// The candidate.
    public var candidate: String
    /// The competence.
    public var competence: String
    /// Each juror's proposal (nil when missing), in the plan's juror order.
    public var proposals: [String: Decision?]
}

extension RoomState {
    /// What the jurors sign: SHA-256 (lower-case hex) of the final decisions and of every juror's criterion marks,
    /// with their comments (PROTOCOL.md §12.2). One line per decision, `decision TAB candidate TAB competence TAB
    /// value TAB comment`, then one per mark, `mark TAB juror TAB candidate TAB criterion TAB value TAB comment`
    /// (an absent comment is empty), each group sorted by its keys, lines joined by LF.
    public static func gridHash(decisions: [GridKey: Assessment<Decision>], marks: [String: [GridKey: Assessment<Mark>]]) -> String {
        var lines = decisions.sorted { $0.key < $1.key }.map { key, entry in
            "decision\t\(key.candidate)\t\(key.item)\t\(entry.value.rawValue)\t\(entry.comment ?? "")"
        }
        for (juror, grid) in marks.sorted(by: { $0.key < $1.key }) {
            lines += grid.sorted { $0.key < $1.key }.map { key, entry in
                "mark\t\(juror)\t\(key.candidate)\t\(key.item)\t\(entry.value.rawValue)\t\(entry.comment ?? "")"
            }
        }
        return SHA256Hex.of(lines.joined(separator: "\n"))
    }

    /// Every candidate × competence where the jurors' proposals differ or are missing.
    public var disagreements: [Disagreement] {
        var result: [Disagreement] = []
        for candidate in plan.candidates {
            for competence in plan.competences {
                let key = GridKey(candidate: candidate, item: competence)
                let values = plan.jurors.map { proposals[$0]?[key]?.value }
                if values[0] == nil || values[0] != values[1] {
                    result.append(Disagreement(
                        candidate: candidate,
                        competence: competence,
                        proposals: Dictionary(uniqueKeysWithValues: zip(plan.jurors, values))
                    ))
                }
            }
        }
        return result
    }

    /// Whether each juror may see the other's marks and proposals now: a live room, or both grids submitted.
    public var gridsOpen: Bool {
        plan.visibility == .live || submitted.isSuperset(of: plan.jurors)
    }

    /// Whether `viewer` may see `juror`'s marks and proposals now (always their own; the other juror's in a
    /// blind room only once both have submitted).
    public func gridVisible(of juror: String, to viewer: RoomActor) -> Bool {
        switch role(of: viewer) {
        case .observer: return true
        case .candidate, nil: return false
        case .juror: return viewer.user == juror || gridsOpen
        }
    }

    /// The criteria of `competences` not yet marked by `juror` for `candidate`.
    public func unassessed(by juror: String, candidate: String, criteria: [String]) -> [String] {
        criteria.filter { marks[juror]?[GridKey(candidate: candidate, item: $0)] == nil }
    }
}
