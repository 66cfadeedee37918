import DefenceProtocol
import Foundation

/// Something that happened in a room. The room's state is the fold of its events.
public enum RoomEventKind: Codable, Hashable, Sendable {
    /// The room was scheduled with this plan (always event 1).
    case scheduled(RoomPlan)
    /// The plan was changed before the defence started.
    case updated(RoomPlan)
    /// The room was cancelled.
    case cancelled(by: String, reason: String?)
    /// A first participant arrived: the lobby is open.
    case opened
    /// A participant is now connected to the room.
    case joined(user: String)
    /// A participant left the room on purpose.
    case left(user: String)
    /// A participant's last connection to the room dropped.
    case connectionLost(user: String)
    /// The shared timer started; the defence ends at `endsAt`.
    case timerStarted(by: String, endsAt: Date)
    /// The timer was paused with `remaining` seconds left.
    case timerPaused(by: String, remaining: Double, reason: String?)
    /// The timer resumed; the defence now ends at `endsAt`.
    case timerResumed(by: String, endsAt: Date)
    /// Time was added (positive) or removed (negative).
    case timeAdjusted(by: String, seconds: Int, reason: String?)
    /// The defence entered phase `index` of the plan.
    case phaseChanged(index: Int)
    /// `secondsLeft` seconds remain.
    case warning(secondsLeft: Int)
    /// The planned time is over; the clock keeps counting.
    case overtime
    /// A message to the room or to the jury.
    case message(from: String, audience: Audience, text: String)
    /// A candidate's signal to the jury.
    case signal(from: String, kind: SignalKind)
    /// A juror saw a candidate's raised hand (everyone sees it: the candidate is told).
    case acknowledged(juror: String, candidate: String)
    /// A participant's connection loss while the defence was under way (outage ledger).
    case outageStarted(id: Int, user: String)
    /// The participant is back; the outage lasted from its start to this event.
    case outageEnded(id: Int, user: String)
    /// The server was down from `from` until this event; everybody was disconnected.
    case downtime(id: Int, from: Date)
    /// The president extended the time by an outage's length.
    case outageCompensated(id: Int, by: String, seconds: Int)
    /// The jury ended the defence and deliberates.
    case deliberationStarted(by: String)
    /// A juror marked (or, with `nil`, cleared) a criterion for a candidate.
    case marked(juror: String, candidate: String, criterion: String, mark: Mark?, comment: String?)
    /// A juror proposed (or, with `nil`, withdrew) a decision for a candidate and competence.
    case proposed(juror: String, candidate: String, competence: String, decision: Decision?, comment: String?)
    /// A juror submitted their grid (opens a blind room's grids to the other juror once both have).
    case gridSubmitted(juror: String)
    /// The jury set the final decision for a candidate and competence.
    case decided(by: String, candidate: String, competence: String, decision: Decision, comment: String?)
    /// A juror signed the final grid.
    case signed(juror: String, gridHash: String)
    /// A signature was withdrawn because the grid changed after it.
    case signatureWithdrawn(juror: String)
    /// Both jurors signed the same grid: the result is locked.
    case locked
    /// An admin reopened the signed room.
    case reopened(by: String, reason: String)
    /// A juror recorded a candidate's individual MSPR evidence (the written production, or the written test).
    case evidence(juror: String, candidate: String, part: EvidencePart, text: String)
    /// The president wrote the jury's observations for the PV (the latest counts).
    case observations(by: String, text: String)
    /// The president decided not to extend the time by an ended outage.
    case outageDeclined(id: Int, by: String, reason: String)
    /// The president restarted the defence: a new clock from the plan's full length; the old one stays on record.
    case restarted(by: String, reason: String)
    /// The president postponed the defence; an admin gives it a new start.
    case postponed(by: String, reason: String)

    /// The event's name on the wire and in the database.
    public var name: String {
        switch self {
        case .scheduled: return "scheduled"
        case .updated: return "updated"
        case .cancelled: return "cancelled"
        case .opened: return "opened"
        case .joined: return "joined"
        case .left: return "left"
        case .connectionLost: return "connection-lost"
        case .timerStarted: return "timer-started"
        case .timerPaused: return "timer-paused"
        case .timerResumed: return "timer-resumed"
        case .timeAdjusted: return "time-adjusted"
        case .phaseChanged: return "phase"
        case .warning: return "warning"
        case .overtime: return "overtime"
        case .message: return "message"
        case .signal: return "signal"
        case .acknowledged: return "acknowledged"
        case .outageStarted: return "outage-started"
        case .outageEnded: return "outage-ended"
        case .downtime: return "downtime"
        case .outageCompensated: return "outage-compensated"
        case .deliberationStarted: return "deliberation"
        case .marked: return "mark"
        case .proposed: return "proposal"
        case .gridSubmitted: return "grid-submitted"
        case .decided: return "decision"
        case .signed: return "signed"
        case .signatureWithdrawn: return "signature-withdrawn"
        case .locked: return "locked"
        case .reopened: return "reopened"
        case .evidence: return "evidence"
        case .observations: return "observations"
        case .outageDeclined: return "outage-declined"
        case .restarted: return "restarted"
        case .postponed: return "postponed"
        }
    }

    /// The juror whose grid the event belongs to (marks and proposals), for blind rooms.
    public var gridOwner: String? {
        switch self {
        case .marked(let juror, _, _, _, _), .proposed(let juror, _, _, _, _): return juror
        default: return nil
        }
    }

    /// Whether only the jury and admins may receive it (never candidates).
    public var isJuryOnly: Bool {
        switch self {
        case .message(_, let audience, _): return audience == .jury
        case .signal, .outageStarted, .outageEnded, .outageCompensated, .marked, .proposed, .gridSubmitted, .decided,
            .signed, .signatureWithdrawn, .locked, .reopened, .evidence, .observations, .outageDeclined:
            return true
        default: return false
        }
    }
}

/// A stored room event: its room, its place in the room's sequence, its server time.
public struct RoomEvent: Codable, Hashable, Sendable {
    /// The room.
    public var room: String
    /// 1, 2, 3 … without gaps, per room.
    public var seq: Int
    /// The server's time of the event.
    public var at: Date
    /// What happened.
    public var kind: RoomEventKind

    /// Creates an event.
    public init(room: String, seq: Int, at: Date, kind: RoomEventKind) {
        self.room = room
        self.seq = seq
        self.at = at
        self.kind = kind
    }
}
