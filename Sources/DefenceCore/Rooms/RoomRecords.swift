import DefenceProtocol
import Foundation

/// What the jury records beside the grid, and the president's decisions on incidents: printed in the PV, folded
/// from their events like the rest of the room.
public struct RoomRecords: Codable, Hashable, Sendable {
    /// A candidate's individual MSPR evidence: the written production, or the one-hour written test.
    public struct Evidence: Codable, Hashable, Sendable {
        /// The candidate.
        public var candidate: String
        /// Which part.
        public var part: EvidencePart
        /// What the jury records of it.
        public var text: String
        /// The juror who recorded it.
        public var by: String
        /// When.
        public var at: Date
    }

    /// A text written by someone at some time.
    public struct Note: Codable, Hashable, Sendable {
        /// Who wrote it.
        public var by: String
        /// When.
        public var at: Date
        /// The text.
        public var text: String
    }

    /// A decision of the jury's president on an incident (extending for an outage is an `outage-compensated`
    /// event of its own).
    public struct PresidentDecision: Codable, Hashable, Sendable {
        /// What was decided.
        public enum Kind: String, Codable, Hashable, Sendable {
            /// Not to extend the time by an outage.
            case declinedOutage = "declined-outage"
            /// To restart the defence with a new clock.
            case restarted
            /// To postpone the defence.
            case postponed
        }

        /// What was decided.
        public var kind: Kind
        /// The outage concerned, for a declined extension.
        public var outage: Int?
        /// The president.
        public var by: String
        /// When.
        public var at: Date
        /// Why.
        public var reason: String
    }

    /// The latest evidence per candidate and part, in the order recorded.
    public var evidence: [Evidence] = []
    /// The jury's observations (the latest text).
    public var observations: Note?
    /// The president's decisions, in order.
    public var decisions: [PresidentDecision] = []

    /// Creates empty records.
    public init() {}

    /// The outages the president declined to compensate.
    public var declinedOutages: Set<Int> { Set(decisions.compactMap { $0.kind == .declinedOutage ? $0.outage : nil }) }
}
