import DefenceProtocol
import Foundation

/// What a client knows of a room, folded from the `SNAPSHOT` and `EVENT` lines it received.
public struct RoomView: Sendable, Equatable {
    /// A message shown in the room.
    public struct Note: Sendable, Equatable {
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
    /// Candidates' signals, latest last: (who, ready|hand).
    public var signals: [(from: String, kind: String)] = []
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
    /// The candidates and jurors, when known (from `ROOM-SHOW`).
    public var candidates: [String] = []
    /// The jurors.
    public var jurors: [String] = []
    /// The president.
    public var president: String?
    /// The checklist, when loaded (jurors).
    public var checklist: [ChecklistItem] = []

    /// The most messages kept.
    public static let keptNotes = 8

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

    /// Applies the plan details of a `ROOM` line.
    public mutating func applyPlan(_ line: Message) {
        for parameter in line.parameters {
            if parameter.hasPrefix("candidates=") { candidates = list(parameter) }
            if parameter.hasPrefix("jurors=") { jurors = list(parameter) }
            if parameter.hasPrefix("president=") { president = String(parameter.dropFirst(10)) }
        }
        if line.hasText { title = line.parameters.last }
    }

    private func list(_ parameter: String) -> [String] {
        parameter.split(separator: "=", maxSplits: 1).last.map { $0.split(separator: ",").map(String.init) } ?? []
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
        func option(_ key: String) -> String? {
            event.arguments.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        lastSeq = event.seq
        let at = WireTime.parse(event.time) ?? Date()
        let type = event.type
        let args = event.arguments
        switch type {
        case "opened": state = "open"
        case "cancelled": state = "cancelled"
        case "joined": if let user = args.first { present.insert(user) }
        case "left", "connection-lost": if let user = args.first { present.remove(user) }
        case "timer-started", "timer-resumed":
            state = "running"
            endsAt = option("ends-at").flatMap(WireTime.parse)
            remainingMs = nil
        case "timer-paused":
            state = "paused"
            endsAt = nil
            remainingMs = option("remaining-ms").flatMap { Int64($0) }
        case "time-adjusted":
            if let value = option("ends-at").flatMap(WireTime.parse) { endsAt = value }
            if let value = option("remaining-ms").flatMap({ Int64($0) }) { remainingMs = value }
            if (remaining(serverNow: at) ?? 0) > 0 { overtime = false }
        case "phase":
            phaseIndex = args.first.flatMap(Int.init) ?? phaseIndex
            phaseName = args.count > 1 ? args[1] : phaseName
        case "warning": lastWarning = args.first.flatMap(Int.init)
        case "overtime": overtime = true
        case "message":
            if args.count >= 3 {
                notes.append(Note(at: at, from: args[0], audience: args[1], text: args[2]))
                if notes.count > Self.keptNotes { notes.removeFirst(notes.count - Self.keptNotes) }
            }
        case "signal": if args.count >= 2 { signals.append((args[0], args[1])) }
        case "downtime":
            present.removeAll()
        case "deliberation":
            state = "deliberation"
            endsAt = nil
        case "mark":
            if args.count >= 4 {
                let key = "\(args[1]) \(args[2])"
                marks[args[0], default: [:]][key] = args[3] == "cleared" ? nil : args[3]
            }
        case "proposal":
            if args.count >= 4 {
                proposals[args[0], default: [:]]["\(args[1]) \(args[2])"] = args[3] == "withdrawn" ? nil : args[3]
            }
        case "decision":
            if args.count >= 4 { decisions["\(args[1]) \(args[2])"] = args[3] }
        case "signed": if let juror = args.first { signed.insert(juror) }
        case "signature-withdrawn": if let juror = args.first { signed.remove(juror) }
        case "locked": state = "signed"
        case "reopened":
            state = "deliberation"
            signed.removeAll()
        case "outage-started":
            if args.count >= 2, let id = Int(args[0]) { outages[id] = (args[1], nil) }
        case "outage-ended":
            if args.count >= 3, let id = Int(args[0]) { outages[id] = (args[1], Int(args[2])) }
        default: break
        }
    }
}
