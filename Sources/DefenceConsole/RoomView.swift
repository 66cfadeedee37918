import DefenceProtocol
import Foundation

/// What a client knows of a room, folded from the `SNAPSHOT` and `EVENT` lines it received.
public struct RoomView: Sendable, Equatable {
    /// A message shown in the room.
    public struct Note: Sendable, Equatable {
        /// The event's number (in the reader's numbering), so that history and live events are kept once.
        public var seq: Int
        /// When.
        public var at: Date
        /// Who.
        public var from: String
        /// `room` or `jury`.
        public var audience: String
        /// What.
        public var text: String
    }

    /// A competence of the checklist with its criteria (id, text).
    public struct ChecklistItem: Sendable, Equatable {
        /// The competence code.
        public var competence: String
        /// Its title.
        public var title: String
        /// Its criteria.
        public var criteria: [(id: String, text: String)]

        public static func == (lhs: ChecklistItem, rhs: ChecklistItem) -> Bool {
            lhs.competence == rhs.competence && lhs.title == rhs.title && lhs.criteria.map(\.id) == rhs.criteria.map(\.id)
                && lhs.criteria.map(\.text) == rhs.criteria.map(\.text)
        }

        /// Creates an item.
        public init(competence: String, title: String, criteria: [(id: String, text: String)]) {
            self.competence = competence
            self.title = title
            self.criteria = criteria
        }
    }

    /// The room id.
    public var room: String
    /// Its title.
    public var title: String?
    /// Its state (`scheduled`, `open`, `running`, `paused`, `deliberation`, `signed`, `cancelled`).
    public var state = "scheduled"
    /// The current phase.
    public var phaseIndex = 0
    /// Its name.
    public var phaseName = ""
    /// While the clock runs: when the planned time ends (server clock).
    public var endsAt: Date?
    /// While it does not: milliseconds left.
    public var remainingMs: Int64?
    /// Whether the planned time is over.
    public var overtime = false
    /// Participants present.
    public var present: Set<String> = []
    /// The last event's sequence number.
    public var lastSeq = 0
    /// The latest messages, oldest first.
    public var notes: [Note] = []
    /// The last warning's seconds-left threshold.
    public var lastWarning: Int?
    /// Candidates whose hand is up, in the order they raised it (jury: from the signals; a candidate: their own).
    public var raisedHands: [String] = []
    /// Candidates who said they are ready.
    public var ready: Set<String> = []
    /// Jurors whose grid is submitted (blind rooms).
    public var submitted: Set<String> = []
    /// Comments of marks by juror, then "candidate criterion".
    public var comments: [String: [String: String]] = [:]
    /// Marks by juror, then "candidate criterion".
    public var marks: [String: [String: String]] = [:]
    /// Proposals by juror, then "candidate competence".
    public var proposals: [String: [String: String]] = [:]
    /// Final decisions by "candidate competence".
    public var decisions: [String: String] = [:]
    /// Jurors who signed the current grid.
    public var signed: Set<String> = []
    /// Outages: id → (who, seconds when ended).
    public var outages: [Int: (user: String, seconds: Int?)] = [:]
    /// Outages the president already decided on (extended or declined): not offered again.
    public var settledOutages: Set<Int> = []
    /// The candidates' individual MSPR evidence, by "candidate part" (jury only).
    public var evidence: [String: String] = [:]
    /// The jury's observations (jury only).
    public var observations: String?
    /// In a final room, the decision already signed in an earlier room, by "candidate competence".
    public var earlier: [String: EarlierLine] = [:]
    /// `team`, `individual` or `final`, when known (from `ROOM-SHOW`).
    public var kind: String?
    /// `live` or `blind`, when known (from `ROOM-SHOW`).
    public var visibility: String?
    /// The candidates and jurors, when known (from `ROOM-SHOW`).
    public var candidates: [String] = []
    /// The jurors.
    public var jurors: [String] = []
    /// The president.
    public var president: String?
    /// The checklist, when loaded (jurors).
    public var checklist: [ChecklistItem] = []

    /// The most messages kept: the history pane scrolls through them.
    public static let keptNotes = 500

    /// An empty view of a room.
    public init(room: String) {
        self.room = room
    }

    public static func == (lhs: RoomView, rhs: RoomView) -> Bool {
        lhs.room == rhs.room && lhs.state == rhs.state && lhs.lastSeq == rhs.lastSeq && lhs.endsAt == rhs.endsAt
            && lhs.remainingMs == rhs.remainingMs && lhs.present == rhs.present && lhs.notes == rhs.notes
            && lhs.marks == rhs.marks && lhs.checklist == rhs.checklist
    }

    /// Seconds left at `serverNow` (negative in overtime), or nil when unknown.
    public func remaining(serverNow: Date) -> Double? {
        if let endsAt { return endsAt.timeIntervalSince(serverNow) }
        return remainingMs.map { Double($0) / 1000 }
    }

    /// Applies the plan of a `ROOM` line (its people, title, kind, and its state as the reader is told it: known
    /// before the first `SNAPSHOT` arrives).
    public mutating func applyPlan(_ line: RoomLine) {
        state = line.state.rawValue
        candidates = line.candidates
        jurors = line.jurors
        president = line.president
        title = line.title
        kind = line.kind
        if let details = line.details { visibility = details.visibility }
    }

    /// Applies the `PAST` lines of a `HISTORY` reply: the messages and signals from before this console started,
    /// each kept once. Nothing else changes (the room's state comes from its `SNAPSHOT` and events).
    public mutating func applyHistory(_ lines: [Message]) {
        for line in lines {
            guard let event = EventLine(past: line), event.room == room, let body = event.body else { continue }
            let at = WireTime.parse(event.time) ?? Date()
            switch body {
            case .message(let from, let audience, let text):
                addNote(Note(seq: event.seq, at: at, from: from, audience: audience.rawValue, text: text))
            case .signal(let from, let kind): signal(from: from, kind)
            case .acknowledged(_, let candidate): raisedHands.removeAll { $0 == candidate }
            case .left(let user, _), .connectionLost(let user, _):
                // Someone who left since raising a hand took it with them.
                raisedHands.removeAll { $0 == user }
                ready.remove(user)
            default: break
            }
        }
    }

    /// Keeps a message once, in the order of the room's numbering.
    private mutating func addNote(_ note: Note) {
        guard !notes.contains(where: { $0.seq == note.seq }) else { return }
        if let index = notes.firstIndex(where: { $0.seq > note.seq }) { notes.insert(note, at: index) } else { notes.append(note) }
        if notes.count > Self.keptNotes { notes.removeFirst(notes.count - Self.keptNotes) }
    }

    private mutating func signal(from: String, _ kind: SignalKind) {
        switch kind {
        case .ready: ready.insert(from)
        case .hand: if !raisedHands.contains(from) { raisedHands.append(from) }
        case .lower: raisedHands.removeAll { $0 == from }
        }
    }

    /// Applies the jury's lines of a `PROGRESS` reply: the grids, the evidence, the observations, the earlier
    /// decisions. Other lines are ignored.
    public mutating func applyProgress(_ lines: [Message]) {
        for line in lines {
            if let grid = GridLine(line) {
                let key = "\(grid.candidate) \(grid.item)"
                switch grid.value {
                case .mark(let mark):
                    marks[grid.juror, default: [:]][key] = mark.rawValue
                    comments[grid.juror, default: [:]][key] = grid.comment
                case .proposal(let decision): proposals[grid.juror, default: [:]][key] = decision.rawValue
                }
            } else if let line = EvidenceLine(line) {
                evidence["\(line.candidate) \(line.part.rawValue)"] = line.text
            } else if let line = ObservationsLine(line) {
                observations = line.text
            } else if let line = EarlierLine(line) {
                earlier["\(line.candidate) \(line.competence)"] = line
            } else if let line = SubmittedLine(line) {
                submitted.insert(line.juror)
            } else if let line = DecisionLine(line) {
                decisions["\(line.candidate) \(line.competence)"] = line.decision.rawValue
            } else if let line = SignatureLine(line) {
                signed.insert(line.juror)
            }
        }
    }

    /// Applies one `SNAPSHOT` or `EVENT` line of this room.
    public mutating func apply(_ line: Message) {
        if let snapshot = SnapshotLine(line) {
            guard snapshot.room == room else { return }
            let option = { (key: String) in snapshot.items[key] }
            lastSeq = snapshot.seq
            state = snapshot.state
            phaseIndex = option("phase").flatMap(Int.init) ?? 0
            phaseName = option("phase-name") ?? ""
            endsAt = option("ends-at").flatMap(WireTime.parse)
            remainingMs = endsAt == nil ? option("remaining-ms").flatMap { Int64($0) } : nil
            overtime = option("overtime") == "yes"
            present = Set((option("present") ?? "-").split(separator: ",").map(String.init).filter { $0 != "-" })
            if let title = snapshot.title { self.title = title }
            return
        }
        guard let event = EventLine(line), event.room == room else { return }
        lastSeq = event.seq
        // An event of a later version, or one whose words are not its type's, is counted but changes nothing.
        guard let body = event.body else { return }
        let at = WireTime.parse(event.time) ?? Date()
        switch body {
        case .opened: state = RoomLifecycle.open.rawValue
        case .cancelled: state = RoomLifecycle.cancelled.rawValue
        case .joined(let user, _): present.insert(user)
        case .left(let user, _), .connectionLost(let user, _):
            present.remove(user)
            // A hand raised or a "ready" given by someone who left no longer stands.
            raisedHands.removeAll { $0 == user }
            ready.remove(user)
        case .timerStarted(_, let ends), .timerResumed(_, let ends):
            state = RoomLifecycle.running.rawValue
            endsAt = ends
            remainingMs = nil
        case .timerPaused(_, let remaining, _):
            state = RoomLifecycle.paused.rawValue
            endsAt = nil
            remainingMs = remaining
        case .timeAdjusted(_, _, let clock, _):
            switch clock {
            case .endsAt(let ends): endsAt = ends
            case .remainingMs(let remaining): remainingMs = remaining
            }
            if (remaining(serverNow: at) ?? 0) > 0 { overtime = false }
        case .phase(let index, let name, _):
            phaseIndex = index
            phaseName = name
        case .warning(let seconds): lastWarning = seconds
        case .overtime: overtime = true
        case .message(let from, let audience, let text):
            addNote(Note(seq: event.seq, at: at, from: from, audience: audience.rawValue, text: text))
        case .signal(let from, let kind): signal(from: from, kind)
        case .acknowledged(_, let candidate): raisedHands.removeAll { $0 == candidate }
        case .downtime: present.removeAll()
        case .deliberation:
            state = RoomLifecycle.deliberation.rawValue
            endsAt = nil
        case .mark(let juror, let candidate, let criterion, let mark, let comment):
            marks[juror, default: [:]]["\(candidate) \(criterion)"] = mark?.rawValue
            comments[juror, default: [:]]["\(candidate) \(criterion)"] = mark == nil ? nil : comment
        case .proposal(let juror, let candidate, let competence, let decision, _):
            proposals[juror, default: [:]]["\(candidate) \(competence)"] = decision?.rawValue
        case .decision(_, let candidate, let competence, let decision, _):
            decisions["\(candidate) \(competence)"] = decision.rawValue
        case .signed(let juror, _): signed.insert(juror)
        case .signatureWithdrawn(let juror): signed.remove(juror)
        case .locked: state = RoomLifecycle.signed.rawValue
        case .reopened:
            state = RoomLifecycle.deliberation.rawValue
            signed.removeAll()
        case .outageStarted(let id, let user): outages[id] = (user, nil)
        case .outageEnded(let id, let user, let seconds): outages[id] = (user, seconds)
        case .evidence(_, let candidate, let part, let text): evidence["\(candidate) \(part.rawValue)"] = text
        case .observations(_, let text): observations = text
        case .restarted:
            state = RoomLifecycle.open.rawValue
            endsAt = nil
            remainingMs = nil
            overtime = false
            phaseIndex = 0
            lastWarning = nil
        case .postponed:
            state = RoomLifecycle.postponed.rawValue
            endsAt = nil
            remainingMs = nil
        case .gridSubmitted(let juror): submitted.insert(juror)
        case .outageCompensated(let id, _, _), .outageDeclined(let id, _, _): settledOutages.insert(id)
        case .scheduled, .updated: break
        }
    }
}
