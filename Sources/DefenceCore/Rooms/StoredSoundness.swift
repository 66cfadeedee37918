import DefenceProtocol
import Foundation

// What a room read back from storage must hold before the domain computes with it. The server only ever stores
// rooms that hold it (the scheduler and the state machine guarantee it), but stored data is read as untrusted: a
// row altered by hand must make its room unreadable, never make a later computation trap (an index out of range,
// an overflowing sum).

/// Seconds a stored duration may span either way (a remaining time, a time change, a compensation): a year.
let soundSeconds = -31_536_000.0...31_536_000.0

/// Whether a stored time is one the server could have written (``WireTime/supportedRange``).
func isSoundTime(_ date: Date?) -> Bool {
    date.map(WireTime.isSupported) ?? true
}

extension RoomPlan {
    /// Whether the plan holds what scheduling guarantees: 1 to 64 phases of 1 s to 24 h each, at most 64 warnings
    /// of 0 to 24 h, two distinct jurors with the president among them, distinct candidates, a supported start.
    public var isSound: Bool {
        isSoundTime(start) && (1...64).contains(phases.count) && phases.allSatisfy { (1...86_400).contains($0.seconds) }
            && warnings.count <= 64 && warnings.allSatisfy { (0...86_400).contains($0) }
            && jurors.count == 2 && jurors[0] != jurors[1] && jurors.contains(president)
            && !candidates.isEmpty && Set(candidates).count == candidates.count
    }
}

extension RoomEvent {
    /// The sequence numbers and outage ids a stored room may have: far beyond any real room, far below overflow.
    public static let soundNumbers = 0...(1 << 40)

    /// Whether the event's numbers, times and durations are in range and any plan it carries is sound.
    public var isSound: Bool {
        guard seq >= 1, Self.soundNumbers.contains(seq), isSoundTime(at) else { return false }
        switch kind {
        case .scheduled(let plan), .updated(let plan):
            return plan.isSound
        case .outageStarted(let id, _), .outageEnded(let id, _):
            return Self.soundNumbers.contains(id)
        case .downtime(let id, let from):
            return Self.soundNumbers.contains(id) && isSoundTime(from)
        case .outageCompensated(let id, _, let seconds):
            return Self.soundNumbers.contains(id) && soundSeconds.contains(Double(seconds))
        case .timerStarted(_, let endsAt), .timerResumed(_, let endsAt):
            return isSoundTime(endsAt)
        case .timerPaused(_, let remaining, _):
            return soundSeconds.contains(remaining)
        case .timeAdjusted(_, let seconds, _):
            return soundSeconds.contains(Double(seconds))
        case .phaseChanged(let index):
            return (0..<64).contains(index)
        default:
            return true
        }
    }
}

extension RoomState {
    /// Whether a state read back (a snapshot, or the fold of stored events) is one the domain can compute with: a
    /// sound plan, a phase of it, a sequence number, outage ids, times and durations in range.
    public var isSound: Bool {
        plan.isSound && (0..<plan.phases.count).contains(phaseIndex) && lastSeq >= 1 && RoomEvent.soundNumbers.contains(lastSeq)
            && (1...lastSeq).contains(publicSeq)
            && isSoundTime(endsAt) && isSoundTime(startedAt) && isSoundTime(endedAt) && isSoundTime(lastEventAt)
            && soundSeconds.contains(remainingWhenStopped)
            && outages.allSatisfy { outage in
                RoomEvent.soundNumbers.contains(outage.id) && isSoundTime(outage.from) && isSoundTime(outage.to)
                    && outage.compensatedSeconds.map { soundSeconds.contains(Double($0)) } ?? true
            }
    }
}
