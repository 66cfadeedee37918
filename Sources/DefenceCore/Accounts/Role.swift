/// What a user is in the product, which decides what they may do.
public enum Role: String, Sendable, CaseIterable, Hashable, Codable {
    /// A candidate: joins their own defences, sees time and room messages, never marks.
    case candidate
    /// A juror: runs the clock and evaluates in the rooms they sit on.
    case juror
    /// Certification staff: accounts, scheduling, observation, exports.
    case admin

    /// Parses a role name as written on the wire (case-insensitive).
    public init?(wire: String) {
        self.init(rawValue: wire.lowercased())
    }
}
