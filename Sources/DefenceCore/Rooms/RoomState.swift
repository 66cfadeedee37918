import DefenceProtocol
import Foundation

/// One line of the outage ledger.
public struct Outage: Codable, Hashable, Sendable {
    /// Its number in the room, from 1.
    public var id: Int
    /// The participant who lost the connection, or `nil` for a server downtime.
    public var user: String?
    /// When it started.
    public var from: Date
    /// When it ended, once it has.
    public var to: Date?
    /// Seconds added to the clock by the president for it, if any.
    public var compensatedSeconds: Int?

    /// Creates a ledger line.
    public init(id: Int, user: String?, from: Date, to: Date? = nil, compensatedSeconds: Int? = nil) {
        self.id = id
        self.user = user
        self.from = from
        self.to = to
        self.compensatedSeconds = compensatedSeconds
    }

    /// Its length in whole seconds (rounded up), once it has ended.
    public var seconds: Int? {
        to.map { Int(($0.timeIntervalSince(from)).rounded(.up)) }
    }
}

/// Who is acting on a room.
public struct RoomActor: Hashable, Sendable {
    /// The user.
    public var user: String
    /// Their account role.
    public var role: Role

    /// Creates an actor.
    public init(user: String, role: Role) {
        self.user = user
        self.role = role
    }
}

/// What can be asked of a room. Scheduling (create, update) is validated by ``RoomScheduler`` first.
public enum RoomCommand: Hashable, Sendable {
    /// Replace the plan (before the defence starts).
    case update(RoomPlan)
    /// Cancel the room.
    case cancel(reason: String?)
    /// A participant connects (or reconnects) to the room.
    case join
    /// A participant leaves on purpose.
    case leave
    /// A participant's last connection dropped.
    case connectionLost
    /// Start the clock.
    case startTimer
    /// Pause the clock.
    case pause(reason: String?)
    /// Resume the clock.
    case resume
    /// Add (positive) or remove (negative) seconds.
    case adjust(seconds: Int, reason: String?)
    /// Send a message.
    case say(audience: Audience, text: String)
    /// A candidate's signal.
    case signal(SignalKind)
    /// A juror (or an observing admin) saw a candidate's raised hand.
    case acknowledge(candidate: String)
    /// Extend the time by the length of an ended outage (president only).
    case compensateOutage(id: Int)
    /// End the defence and start deliberating.
    case deliberate
    /// Mark (or, with `nil`, clear) a criterion for a candidate. The criterion must be in the room's checklist, which
    /// the caller of ``RoomState/decide(_:by:at:checklist:)`` passes.
    case mark(candidate: String, criterion: String, mark: Mark?, comment: String?)
    /// Propose (or, with `nil`, withdraw) a decision for a candidate and competence.
    case propose(candidate: String, competence: String, decision: Decision?, comment: String?)
    /// Submit one's grid.
    case submitGrid
    /// Set the final decision for a candidate and competence (deliberation).
    case decide(candidate: String, competence: String, decision: Decision, comment: String?)
    /// Sign the final grid.
    case sign
    /// Reopen a signed room (admin), with a reason.
    case reopen(reason: String)
    /// Record a candidate's individual MSPR evidence (a juror of a team room).
    case recordEvidence(candidate: String, part: EvidencePart, text: String)
    /// Write the jury's observations for the PV (the president).
    case writeObservations(text: String)
    /// Decline to extend the time by an ended outage (the president), with a reason.
    case declineOutage(id: Int, reason: String)
    /// Restart the defence with a new clock (the president), with a reason.
    case restart(reason: String)
    /// Postpone the defence (the president), with a reason.
    case postpone(reason: String)
    /// Emit the phase changes, warnings and overtime that are due.
    case tick
    /// The server restarted after being down since `since`.
    case serverRestarted(since: Date)
}

/// A room: its plan, its life, its clock, who is here, its outages. A pure value: commands in, events out.
public struct RoomState: Codable, Hashable, Sendable {
    /// The plan.
    public private(set) var plan: RoomPlan
    /// Where the room is in its life.
    public private(set) var lifecycle: RoomLifecycle = .scheduled
    /// When the clock runs: the moment the planned time is over.
    public private(set) var endsAt: Date?
    /// When the clock does not run: the seconds left (negative in overtime).
    public private(set) var remainingWhenStopped: Double
    /// The current phase (index into the plan's phases).
    public private(set) var phaseIndex = 0
    /// The warning thresholds already announced.
    public private(set) var warned: Set<Int> = []
    /// Whether the planned time is over.
    public private(set) var isOvertime = false
    /// Participants currently connected.
    public private(set) var present: Set<String> = []
    /// The outage ledger.
    public private(set) var outages: [Outage] = []
    /// When the clock first started.
    public private(set) var startedAt: Date?
    /// Each juror's marks.
    public private(set) var marks: [String: [GridKey: Assessment<Mark>]] = [:]
    /// Each juror's proposals.
    public private(set) var proposals: [String: [GridKey: Assessment<Decision>]] = [:]
    /// Jurors who submitted their grid.
    public private(set) var submitted: Set<String> = []
    /// The jury's final decisions.
    public private(set) var decisions: [GridKey: Assessment<Decision>] = [:]
    /// Current signatures of the final grid.
    public private(set) var signatures: [String: Signature] = [:]
    /// Every signature ever given, withdrawn ones included, for the PV.
    public private(set) var signatureHistory: [Signature] = []
    /// Reopenings, for the PV.
    public private(set) var reopenings: [Reopening] = []
    /// The jury's records and the president's decisions (evidence, observations, declined outages, restarts,
    /// postponements); `nil` until the first one, so that snapshots stored before them read the same.
    private var storedRecords: RoomRecords?
    /// When the defence ended (deliberation started).
    public private(set) var endedAt: Date?
    /// The last event's sequence number.
    public private(set) var lastSeq = 0
    /// The number of the last event candidates may see, in their own numbering: candidates' events are numbered
    /// 1, 2, 3… without the jury's in between, so that nothing they receive counts or times the jury's work
    /// (PROTOCOL.md §4.3). The `scheduled` event is 1 in both.
    public private(set) var publicSeq = 0
    /// The last event's time.
    public private(set) var lastEventAt: Date

    /// The most characters of a message.
    public static let maxMessageLength = 1000
    /// The most seconds one adjustment may add or remove.
    public static let maxAdjustment = 3600

    /// The state after the room's first event.
    public init(scheduled plan: RoomPlan, at: Date) {
        self.plan = plan
        self.remainingWhenStopped = Double(plan.durationSeconds)
        self.lastEventAt = at
        self.lastSeq = 1
        self.publicSeq = 1
    }

    /// A state from its stored fields, for the snapshot's reader (``RoomStateJSON``): the fields as the
    /// synthesized `Decodable` would set them.
    init(
        plan: RoomPlan, lifecycle: RoomLifecycle, endsAt: Date?, remainingWhenStopped: Double, phaseIndex: Int, warned: Set<Int>,
        isOvertime: Bool, present: Set<String>, outages: [Outage], startedAt: Date?,
        marks: [String: [GridKey: Assessment<Mark>]], proposals: [String: [GridKey: Assessment<Decision>]], submitted: Set<String>,
        decisions: [GridKey: Assessment<Decision>], signatures: [String: Signature], signatureHistory: [Signature],
        reopenings: [Reopening], endedAt: Date?, lastSeq: Int, publicSeq: Int, lastEventAt: Date, records: RoomRecords? = nil
    ) {
        self.storedRecords = records
        self.plan = plan
        self.lifecycle = lifecycle
        self.endsAt = endsAt
        self.remainingWhenStopped = remainingWhenStopped
        self.phaseIndex = phaseIndex
        self.warned = warned
        self.isOvertime = isOvertime
        self.present = present
        self.outages = outages
        self.startedAt = startedAt
        self.marks = marks
        self.proposals = proposals
        self.submitted = submitted
        self.decisions = decisions
        self.signatures = signatures
        self.signatureHistory = signatureHistory
        self.reopenings = reopenings
        self.endedAt = endedAt
        self.lastSeq = lastSeq
        self.publicSeq = publicSeq
        self.lastEventAt = lastEventAt
    }

    /// Rebuilds a room from its events (the first must be `scheduled`).
    /// - Throws: `INTERNAL` when the history is empty, does not start with `scheduled`, or has a gap.
    public static func fold(_ events: [RoomEvent]) throws(DomainError) -> RoomState {
        guard let first = events.first, case .scheduled(let plan) = first.kind, first.seq == 1 else {
            throw DomainError(.internal, "a room's history starts with its 'scheduled' event")
        }
        var state = RoomState(scheduled: plan, at: first.at)
        for event in events.dropFirst() {
            guard event.seq == state.lastSeq + 1 else {
                throw DomainError(.internal, "room \(plan.id): event \(event.seq) follows \(state.lastSeq)")
            }
            state.apply(event)
        }
        return state
    }

    // MARK: Reading

    /// Seconds left at `now` (negative in overtime).
    public func remaining(at now: Date) -> Double {
        endsAt.map { $0.timeIntervalSince(now) } ?? remainingWhenStopped
    }

    /// Whether the clock runs.
    public var isRunning: Bool { lifecycle == .running }

    /// The current phase.
    public var phase: Phase { plan.phases[min(phaseIndex, plan.phases.count - 1)] }

    /// The role `user` has in this room (an admin who is not a participant observes).
    public func role(of actor: RoomActor) -> RoomRole? {
        if let role = plan.role(of: actor.user) { return role }
        return actor.role == .admin ? .observer : nil
    }

    /// What a participant in `role` is told of the room's numbering and life (PROTOCOL.md §4.3, §12): the jury and
    /// admins the room's sequence number and state; candidates their own numbering, and `deliberation` for a signed
    /// room, since signing, locking and reopening are the jury's events.
    public func view(for role: RoomRole?) -> (seq: Int, lifecycle: RoomLifecycle) {
        guard role == .candidate else { return (lastSeq, lifecycle) }
        return (publicSeq, lifecycle == .signed ? .deliberation : lifecycle)
    }

    /// ``view(for:)`` for `actor`'s role in the room.
    public func view(for actor: RoomActor) -> (seq: Int, lifecycle: RoomLifecycle) {
        view(for: role(of: actor))
    }

    /// The moment the next phase change, warning or overtime is due, while the clock runs.
    public func nextDue() -> Date? {
        guard let endsAt else { return nil }
        var marks: [Double] = []
        let thresholds = phaseThresholds
        if phaseIndex + 1 < thresholds.count { marks.append(Double(thresholds[phaseIndex + 1])) }
        marks += plan.warnings.filter { !warned.contains($0) }.map(Double.init)
        if !isOvertime { marks.append(0) }
        guard let mark = marks.max() else { return nil }
        return endsAt.addingTimeInterval(-mark)
    }

    /// For each phase, the remaining time at which it begins.
    var phaseThresholds: [Int] {
        var thresholds: [Int] = []
        var rest = plan.durationSeconds
        for phase in plan.phases {
            thresholds.append(rest)
            rest -= phase.seconds
        }
        return thresholds
    }

    /// The phase that should be current with `remaining` seconds left.
    func expectedPhase(remaining: Double) -> Int {
        let thresholds = phaseThresholds
        var index = 0
        for (candidate, threshold) in thresholds.enumerated() where remaining <= Double(threshold) {
            index = candidate
        }
        return index
    }

    // MARK: Deciding

    /// Decides what `command` by `actor` produces at `now`, without changing the room.
    ///
    /// - Parameter checklist: the criteria of the room's competences in its referential version; needed for `mark`
    ///   only (a `mark` without it is refused with `INTERNAL`, never recorded unchecked).
    /// - Returns: the events to persist and then apply, in order (possibly none).
    /// - Throws: `FORBIDDEN` (the actor's role in the room may not), `WRONG_STATE`, `INVALID`, `TEXT_TOO_LONG`,
    ///   `NOT_FOUND` (an outage, a candidate, a competence or a criterion not in the room).
    public func decide(
        _ command: RoomCommand, by actor: RoomActor, at now: Date, checklist: RoomChecklist? = nil
    ) throws(DomainError) -> [RoomEventKind] {
        let role = self.role(of: actor)
        let isJury = role == .juror || role == .observer
        func require(_ allowed: Bool, _ what: String) throws(DomainError) {
            guard allowed else { throw DomainError(.forbidden, "\(what) is for the room's jurors and admins") }
        }
        func requireState(_ states: Set<RoomLifecycle>, _ what: String) throws(DomainError) {
            guard states.contains(lifecycle) else {
                // The state as the actor is told it: a candidate's signed room is in deliberation (PROTOCOL.md §12).
                let shown = view(for: role).lifecycle.rawValue
                throw DomainError(.wrongState, context: [shown], "cannot \(what) while the room is \(shown)")
            }
        }

        switch command {
        case .update(let newPlan):
            try require(actor.role == .admin, "changing the plan")
            try requireState([.scheduled, .open, .postponed], "change the plan")
            return [.updated(newPlan)]

        case .cancel(let reason):
            try require(actor.role == .admin, "cancelling")
            try requireState([.scheduled, .open, .postponed], "cancel")
            return [.cancelled(by: actor.user, reason: reason)]

        case .join:
            guard let role, role != .observer else { return [] }
            guard lifecycle != .cancelled else { return [] }
            var events: [RoomEventKind] = []
            if lifecycle == .scheduled { events.append(.opened) }
            if !present.contains(actor.user) { events.append(.joined(user: actor.user)) }
            if let open = outages.last(where: { $0.user == actor.user && $0.to == nil }) {
                events.append(.outageEnded(id: open.id, user: actor.user))
            }
            return events

        case .leave:
            guard present.contains(actor.user) else { return [] }
            return [.left(user: actor.user)]

        case .connectionLost:
            guard present.contains(actor.user) else { return [] }
            var events: [RoomEventKind] = [.connectionLost(user: actor.user)]
            if lifecycle == .running || lifecycle == .paused {
                events.append(.outageStarted(id: (outages.last?.id ?? 0) + 1, user: actor.user))
            }
            return events

        case .startTimer:
            try require(isJury, "starting the clock")
            try requireState([.scheduled, .open], "start the clock")
            return [.timerStarted(by: actor.user, endsAt: now.addingTimeInterval(remainingWhenStopped)), .phaseChanged(index: 0)]

        case .pause(let reason):
            try require(isJury, "pausing the clock")
            try requireState([.running], "pause the clock")
            try Self.validateText(reason, allowEmpty: true)
            return [.timerPaused(by: actor.user, remaining: remaining(at: now), reason: reason)]

        case .resume:
            try require(isJury, "resuming the clock")
            try requireState([.paused], "resume the clock")
            return [.timerResumed(by: actor.user, endsAt: now.addingTimeInterval(remainingWhenStopped))]

        case .adjust(let seconds, let reason):
            try require(isJury, "changing the time")
            try requireState([.open, .scheduled, .running, .paused], "change the time")
            guard seconds != 0, abs(seconds) <= Self.maxAdjustment else {
                throw DomainError(.invalid, "an adjustment is 1 to \(Self.maxAdjustment) seconds, added or removed")
            }
            // Removing time stops at zero: a deadline in the past would skip phases and warnings at once.
            let left = Int(remaining(at: now).rounded(.down))
            guard seconds > 0 || -seconds <= left else {
                throw DomainError(.invalid, left > 0 ? "only \(left) s are left; remove at most \(left)" : "the planned time is over; only adding time is possible")
            }
            try Self.validateText(reason, allowEmpty: true)
            return [.timeAdjusted(by: actor.user, seconds: seconds, reason: reason)]

        case .say(let audience, let text):
            guard role == .juror || role == .observer else {
                throw DomainError(.forbidden, "candidates signal the jury with SIGNAL; messages are for jurors and admins")
            }
            try requireState([.scheduled, .open, .running, .paused, .deliberation], "send messages")
            try Self.validateText(text, allowEmpty: false)
            return [.message(from: actor.user, audience: audience, text: text)]

        case .signal(let kind):
            guard role == .candidate else { throw DomainError(.forbidden, "signals are for the room's candidates") }
            try requireState([.open, .running, .paused], "signal")
            return [.signal(from: actor.user, kind: kind)]

        case .acknowledge(let candidate):
            try require(isJury, "acknowledging a signal")
            try requireState([.open, .running, .paused], "acknowledge a signal")
            try requireCandidate(candidate)
            return [.acknowledged(juror: actor.user, candidate: candidate)]

        case .compensateOutage(let id):
            try requirePresident(actor, "extending the time for an outage")
            try requireState([.running, .paused], "extend the time")
            guard let outage = outages.first(where: { $0.id == id }) else {
                throw DomainError(.notFound, context: [String(id)], "no outage \(id) in this room")
            }
            guard let seconds = outage.seconds else {
                throw DomainError(.wrongState, context: [String(id)], "outage \(id) has not ended yet")
            }
            guard outage.compensatedSeconds == nil, !records.declinedOutages.contains(id) else {
                throw DomainError(.wrongState, context: [String(id)], "the president already decided on outage \(id)")
            }
            // A zero-second outage gives no time back, but the president's decision is recorded all the same.
            guard seconds > 0 else { return [.outageCompensated(id: id, by: actor.user, seconds: 0)] }
            return [
                .outageCompensated(id: id, by: actor.user, seconds: seconds),
                .timeAdjusted(by: actor.user, seconds: seconds, reason: "outage \(id)"),
            ]

        case .deliberate:
            guard role == .juror || actor.role == .admin else {
                throw DomainError(.forbidden, "ending the defence is for the room's jurors and admins")
            }
            try requireState([.open, .running, .paused], "start the deliberation")
            return [.deliberationStarted(by: actor.user)]

        case .tick:
            guard lifecycle == .running, let endsAt else { return [] }
            let left = endsAt.timeIntervalSince(now)
            var events: [RoomEventKind] = []
            let target = expectedPhase(remaining: left)
            if target > phaseIndex { events.append(.phaseChanged(index: target)) }
            for threshold in plan.warnings.sorted(by: >) where !warned.contains(threshold) && left <= Double(threshold) {
                events.append(.warning(secondsLeft: threshold))
            }
            if left <= 0 && !isOvertime { events.append(.overtime) }
            return events

        case .serverRestarted(let since):
            let downtime = (outages.last?.id ?? 0) + 1
            var events: [RoomEventKind] = [.downtime(id: downtime, from: since)]
            if lifecycle == .running || lifecycle == .paused {
                // Someone already away when the server stopped is still away after it: the downtime closes their
                // outage at the stop, and a new one runs from the restart until they are back.
                let away = outages.filter { $0.to == nil }.compactMap(\.user)
                for (offset, user) in away.enumerated() { events.append(.outageStarted(id: downtime + 1 + offset, user: user)) }
            }
            return events

        case .mark(let candidate, let criterion, let mark, let comment):
            try requireJuror(role, "marking")
            try requireEvaluable()
            try requireCandidate(candidate)
            guard let checklist else {
                throw DomainError(.internal, "the checklist of room \(plan.id) is not known; the mark was not recorded")
            }
            let competence = criterion.split(separator: ".").first.map(String.init) ?? ""
            guard plan.competences.contains(competence), checklist.contains(criterion) else {
                throw DomainError(.notFound, context: [criterion], "criterion \(criterion) is not in this room's checklist")
            }
            try Self.validateText(comment, allowEmpty: true)
            let key = GridKey(candidate: candidate, item: criterion)
            let current = marks[actor.user]?[key]
            if current?.value == mark && current?.comment == comment || (mark == nil && current == nil) { return [] }
            // The signed grid covers the marks: a change withdraws every signature given, as a decision's does.
            return [.marked(juror: actor.user, candidate: candidate, criterion: criterion, mark: mark, comment: mark == nil ? nil : comment)]
                + signatures.keys.sorted().map { RoomEventKind.signatureWithdrawn(juror: $0) }

        case .propose(let candidate, let competence, let decision, let comment):
            try requireJuror(role, "proposing a decision")
            try requireEvaluable()
            try requireCandidate(candidate)
            try requireCompetence(competence)
            try Self.validateText(comment, allowEmpty: true)
            let key = GridKey(candidate: candidate, item: competence)
            let current = proposals[actor.user]?[key]
            if current?.value == decision && current?.comment == comment || (decision == nil && current == nil) { return [] }
            return [.proposed(juror: actor.user, candidate: candidate, competence: competence, decision: decision, comment: decision == nil ? nil : comment)]

        case .submitGrid:
            try requireJuror(role, "submitting a grid")
            try requireEvaluable()
            return submitted.contains(actor.user) ? [] : [.gridSubmitted(juror: actor.user)]

        case .decide(let candidate, let competence, let decision, let comment):
            try requireJuror(role, "deciding")
            if lifecycle == .signed { throw DomainError(.locked, "the result is signed and locked; an admin may reopen it") }
            try requireState([.deliberation], "decide")
            try requireCandidate(candidate)
            try requireCompetence(competence)
            try Self.validateText(comment, allowEmpty: true)
            let key = GridKey(candidate: candidate, item: competence)
            if decisions[key]?.value == decision && decisions[key]?.comment == comment { return [] }
            var events: [RoomEventKind] = [
                .decided(by: actor.user, candidate: candidate, competence: competence, decision: decision, comment: comment),
            ]
            events += signatures.keys.sorted().map { RoomEventKind.signatureWithdrawn(juror: $0) }
            return events

        case .sign:
            try requireJuror(role, "signing")
            if lifecycle == .signed { throw DomainError(.locked, "the result is already signed and locked") }
            try requireState([.deliberation], "sign")
            let missing = plan.candidates.count * plan.competences.count - decisions.count
            guard missing == 0 else {
                throw DomainError(.incomplete, context: [String(missing)], "\(missing) decision\(missing == 1 ? " is" : "s are") still missing")
            }
            let hash = Self.gridHash(decisions: decisions, marks: marks)
            if signatures[actor.user]?.gridHash == hash { return [] }
            var events: [RoomEventKind] = [.signed(juror: actor.user, gridHash: hash)]
            let others = plan.jurors.filter { $0 != actor.user }
            if others.allSatisfy({ signatures[$0]?.gridHash == hash }) { events.append(.locked) }
            return events

        case .reopen(let reason):
            guard actor.role == .admin else { throw DomainError(.forbidden, "only an admin reopens a signed room") }
            try requireState([.signed], "reopen")
            guard !FreeText.isBlank(reason) else {
                throw DomainError(.invalid, "reopening needs a reason")
            }
            try Self.validateText(reason, allowEmpty: false)
            return [.reopened(by: actor.user, reason: reason)]

        case .recordEvidence(let candidate, let part, let text):
            try requireJuror(role, "recording evidence")
            guard plan.kind == .team else {
                throw DomainError(.wrongState, context: [plan.kind.rawValue], "evidence of the written parts is recorded in a team (MSPR) room")
            }
            try requireEvaluable()
            try requireCandidate(candidate)
            try Self.validateText(text, allowEmpty: false)
            if records.evidence.first(where: { $0.candidate == candidate && $0.part == part })?.text == text { return [] }
            return [.evidence(juror: actor.user, candidate: candidate, part: part, text: text)]

        case .writeObservations(let text):
            try requirePresident(actor, "writing the jury's observations")
            if lifecycle == .signed { throw DomainError(.locked, "the result is signed and locked; an admin may reopen it") }
            try requireState([.open, .running, .paused, .deliberation], "write observations")
            try Self.validateText(text, allowEmpty: false)
            if records.observations?.text == text { return [] }
            return [.observations(by: actor.user, text: text)]

        case .declineOutage(let id, let reason):
            try requirePresident(actor, "declining to extend the time for an outage")
            try requireState([.running, .paused, .deliberation], "decline an extension")
            guard let outage = outages.first(where: { $0.id == id }) else {
                throw DomainError(.notFound, context: [String(id)], "no outage \(id) in this room")
            }
            guard outage.to != nil else { throw DomainError(.wrongState, context: [String(id)], "outage \(id) has not ended yet") }
            guard outage.compensatedSeconds == nil, !records.declinedOutages.contains(id) else {
                throw DomainError(.wrongState, context: [String(id)], "the president already decided on outage \(id)")
            }
            try Self.validateText(reason, allowEmpty: false)
            return [.outageDeclined(id: id, by: actor.user, reason: reason)]

        case .restart(let reason):
            try requirePresident(actor, "restarting the defence")
            try requireState([.running, .paused, .deliberation], "restart the defence")
            guard signatures.isEmpty else { throw DomainError(.wrongState, context: ["signing"], "a signature was given: withdraw it by changing the grid first") }
            try Self.validateText(reason, allowEmpty: false)
            return [.restarted(by: actor.user, reason: reason)]

        case .postpone(let reason):
            try requirePresident(actor, "postponing the defence")
            try requireState([.open, .running, .paused], "postpone the defence")
            try Self.validateText(reason, allowEmpty: false)
            return [.postponed(by: actor.user, reason: reason)]
        }
    }

    private func requirePresident(_ actor: RoomActor, _ what: String) throws(DomainError) {
        guard actor.user == plan.president else { throw DomainError(.forbidden, "\(what) is the jury president's decision") }
    }

    /// The jury's records and the president's decisions.
    public var records: RoomRecords { storedRecords ?? RoomRecords() }

    private func requireJuror(_ role: RoomRole?, _ what: String) throws(DomainError) {
        guard role == .juror else { throw DomainError(.forbidden, "\(what) is for the room's jurors") }
    }

    private func requireEvaluable() throws(DomainError) {
        if lifecycle == .signed { throw DomainError(.locked, "the result is signed and locked; an admin may reopen it") }
        guard [.open, .running, .paused, .deliberation].contains(lifecycle) else {
            throw DomainError(.wrongState, context: [lifecycle.rawValue], "cannot evaluate while the room is \(lifecycle.rawValue)")
        }
    }

    private func requireCandidate(_ candidate: String) throws(DomainError) {
        guard plan.candidates.contains(candidate) else {
            throw DomainError(.notFound, context: [candidate], "\(candidate) is not a candidate of this room")
        }
    }

    private func requireCompetence(_ competence: String) throws(DomainError) {
        guard plan.competences.contains(competence) else {
            throw DomainError(.notFound, context: [competence], "competence \(competence) is not assessed in this room")
        }
    }

    /// Checks a free-text reason (cancellation, pause, adjustment).
    public static func validateReason(_ text: String) throws(DomainError) {
        try validateText(text, allowEmpty: true)
    }

    static func validateText(_ text: String?, allowEmpty: Bool) throws(DomainError) {
        guard let text else { return }
        // Optional or not, a text that is given must show something (PROTOCOL.md §3).
        if (!allowEmpty || !text.isEmpty) && FreeText.isBlank(text) {
            throw DomainError(.invalid, "the text is blank (only spaces or invisible characters)")
        }
        // Counted in Unicode scalars, which a client in any language counts the same way (PROTOCOL.md §3); the
        // user-perceived characters of Swift's `count` follow the Unicode version of the runtime.
        guard text.unicodeScalars.count <= maxMessageLength else {
            throw DomainError(.textTooLong, "text is longer than \(maxMessageLength) Unicode scalars")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw DomainError(.invalid, "text must not contain control characters")
        }
    }

    // MARK: Applying

    /// Applies a persisted event.
    public mutating func apply(_ event: RoomEvent) {
        lastSeq = event.seq
        if !event.kind.isJuryOnly { publicSeq += 1 }
        lastEventAt = event.at
        let now = event.at
        switch event.kind {
        case .scheduled(let plan), .updated(let plan):
            self.plan = plan
            if endsAt == nil && (startedAt == nil || lifecycle == .postponed) { remainingWhenStopped = Double(plan.durationSeconds) }
            // A postponed room given a new plan is planned again: open if somebody is still here.
            if lifecycle == .postponed { lifecycle = present.isEmpty ? .scheduled : .open }
        case .cancelled:
            lifecycle = .cancelled
        case .opened:
            lifecycle = .open
        case .joined(let user):
            present.insert(user)
        case .left(let user), .connectionLost(let user):
            present.remove(user)
        case .timerStarted(_, let endsAt):
            lifecycle = .running
            self.endsAt = endsAt
            startedAt = startedAt ?? now
        case .timerPaused(_, let remaining, _):
            lifecycle = .paused
            endsAt = nil
            remainingWhenStopped = remaining
        case .timerResumed(_, let endsAt):
            lifecycle = .running
            self.endsAt = endsAt
        case .timeAdjusted(_, let seconds, _):
            if let endsAt {
                self.endsAt = endsAt.addingTimeInterval(TimeInterval(seconds))
            } else {
                remainingWhenStopped += Double(seconds)
            }
            let left = remaining(at: now)
            warned = warned.filter { Double($0) >= left }
            if left > 0 { isOvertime = false }
        case .phaseChanged(let index):
            phaseIndex = index
        case .warning(let seconds):
            warned.insert(seconds)
        case .overtime:
            isOvertime = true
        case .message, .signal, .acknowledged:
            break
        case .outageStarted(let id, let user):
            outages.append(Outage(id: id, user: user, from: now))
        case .outageEnded(let id, _):
            if let index = outages.firstIndex(where: { $0.id == id }) { outages[index].to = now }
        case .downtime(let id, let from):
            outages.append(Outage(id: id, user: nil, from: from, to: now))
            for index in outages.indices where outages[index].to == nil { outages[index].to = from }
            present.removeAll()
        case .outageCompensated(let id, _, let seconds):
            if let index = outages.firstIndex(where: { $0.id == id }) { outages[index].compensatedSeconds = seconds }
        case .deliberationStarted:
            if let endsAt { remainingWhenStopped = endsAt.timeIntervalSince(now) }
            endsAt = nil
            lifecycle = .deliberation
            endedAt = now
        case .marked(let juror, let candidate, let criterion, let mark, let comment):
            let key = GridKey(candidate: candidate, item: criterion)
            marks[juror, default: [:]][key] = mark.map { Assessment(value: $0, comment: comment, by: juror, at: now) }
        case .proposed(let juror, let candidate, let competence, let decision, let comment):
            let key = GridKey(candidate: candidate, item: competence)
            proposals[juror, default: [:]][key] = decision.map { Assessment(value: $0, comment: comment, by: juror, at: now) }
        case .gridSubmitted(let juror):
            submitted.insert(juror)
        case .decided(let by, let candidate, let competence, let decision, let comment):
            decisions[GridKey(candidate: candidate, item: competence)] = Assessment(value: decision, comment: comment, by: by, at: now)
        case .signed(let juror, let hash):
            let signature = Signature(juror: juror, at: now, gridHash: hash)
            signatures[juror] = signature
            signatureHistory.append(signature)
        case .signatureWithdrawn(let juror):
            signatures[juror] = nil
        case .locked:
            lifecycle = .signed
        case .reopened(let by, let reason):
            reopenings.append(Reopening(by: by, reason: reason, at: now))
            signatures.removeAll()
            lifecycle = .deliberation
        case .evidence(let juror, let candidate, let part, let text):
            var records = self.records
            records.evidence.removeAll { $0.candidate == candidate && $0.part == part }
            records.evidence.append(RoomRecords.Evidence(candidate: candidate, part: part, text: text, by: juror, at: now))
            storedRecords = records
        case .observations(let by, let text):
            var records = self.records
            records.observations = RoomRecords.Note(by: by, at: now, text: text)
            storedRecords = records
        case .outageDeclined(let id, let by, let reason):
            var records = self.records
            records.decisions.append(RoomRecords.PresidentDecision(kind: .declinedOutage, outage: id, by: by, at: now, reason: reason))
            storedRecords = records
        case .restarted(let by, let reason), .postponed(let by, let reason):
            var records = self.records
            let postponed: Bool
            if case .postponed = event.kind { postponed = true } else { postponed = false }
            records.decisions.append(RoomRecords.PresidentDecision(kind: postponed ? .postponed : .restarted, outage: nil, by: by, at: now, reason: reason))
            storedRecords = records
            // A new clock: the plan's full length, from its first phase, when started again.
            lifecycle = postponed ? .postponed : .open
            endsAt = nil
            remainingWhenStopped = Double(plan.durationSeconds)
            phaseIndex = 0
            warned = []
            isOvertime = false
            endedAt = nil
        }
    }
}
