/// The criteria a room's jurors may mark: those of the room's competences in the room's referential version.
public struct RoomChecklist: Hashable, Sendable {
    /// The criterion identifiers, `<competence>.<n>`.
    public let criteria: Set<String>

    /// A checklist of these criteria.
    public init(criteria: Set<String>) {
        self.criteria = criteria
    }

    /// The checklist of `plan` in `referential` (the version the plan names).
    public init(plan: RoomPlan, referential: Referential) {
        criteria = Set(plan.competences.flatMap { referential.competence($0)?.criteria.map(\.id) ?? [] })
    }

    /// Whether the checklist holds the criterion.
    public func contains(_ criterion: String) -> Bool {
        criteria.contains(criterion)
    }
}
