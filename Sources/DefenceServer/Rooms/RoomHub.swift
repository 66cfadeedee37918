import DefenceChannel
import DefenceCore
import DefenceProtocol
import DefenceStore
import Foundation
import Logging
import NIOCore

/// A connection that receives a room's events.
struct RoomSubscriber: Sendable {
    /// The session.
    let sessionID: UInt64
    /// Who is connected.
    let actor: RoomActor
    /// Queues an event's line, encoded once (with its line feed) for every subscriber of its audience; returns
    /// `false` when the connection's queue is full.
    let deliver: @Sendable (ByteBuffer) -> Bool
    /// Queues a line that schedules no write of its own (a join's `SNAPSHOT`, a resume's replay): it is sent with
    /// the next line that does, the events the request commits or its `OK`. Returns `false` when the queue is full.
    let deliverBeforeReply: @Sendable (String) -> Bool
    /// Called when the queue overflowed: the connection is closed as a slow consumer.
    let overflow: @Sendable () -> Void

    /// ``deliverBeforeReply``, closing the connection as a slow consumer when its queue is full.
    /// - Returns: whether the line was queued.
    @discardableResult
    func deliverBeforeReplyOrOverflow(_ line: String) -> Bool {
        guard deliverBeforeReply(line) else {
            overflow()
            return false
        }
        return true
    }
}

/// What `RESUME` sends before its reply.
enum ResumeResult: Sendable {
    /// The events missed, in order (already delivered).
    case replayed(count: Int)
    /// The gap was too old: a snapshot was delivered instead.
    case snapshot
}

/// Runs every room: in-memory states rebuilt from the event log, one command at a time per room, events
/// persisted before they are delivered, timers that emit phase changes, warnings and overtime on time.
actor RoomHub {
    private let store: RoomStore
    private let referentials: ReferentialCatalog
    private let configuration: ServerConfiguration
    private let logger: Logger
    /// What the hub records for monitoring.
    let metrics: ServerMetrics
    private var clock: any ServerClock { configuration.clock }

    private var rooms: [String: RoomState] = [:]
    /// Rooms whose stored rows could not be read at start, with why: every request naming one gets `INTERNAL`.
    private var unreadable: [String: String] = [:]
    private var subscribers: [String: [UInt64: RoomSubscriber]] = [:]
    /// The rooms each session has joined (the inverse of `subscribers`): a closed connection leaves its own rooms
    /// without a look at every room of the day (12,000 connections closing at once each sorted 2,000 room ids).
    private var joined: [UInt64: Set<String>] = [:]
    private var connections: [String: [String: Int]] = [:]
    private var timers: [String: Task<Void, Never>] = [:]
    private var timerDue: [String: Date] = [:]
    private var heartbeat: Task<Void, Never>?
    private var busy: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    private static let system = RoomActor(user: "server", role: .admin)

    init(
        store: RoomStore, referentials: ReferentialCatalog, configuration: ServerConfiguration, metrics: ServerMetrics,
        logger: Logger
    ) {
        self.store = store
        self.metrics = metrics
        self.referentials = referentials
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: Life

    /// Rebuilds every room from its events, records the downtime of rooms under way, starts timers and the heartbeat.
    func start() async throws {
        let now = clock.now()
        // The last sign of life dates a crash's downtime. One that cannot be read, or lies in the future (a clock
        // set forward, then back), is not used: the rooms' own last events date it instead.
        var stored: Date?
        do {
            stored = try await store.lastHeartbeat()
        } catch {
            logger.warning("the last heartbeat cannot be read; downtimes start at each room's last event", metadata: ["error": "\(error)"])
        }
        if let beat = stored, beat > now {
            logger.warning("the last heartbeat is in the future; downtimes start at each room's last event", metadata: ["heartbeat": "\(WireTime.format(beat))"])
            stored = nil
        }
        let lastBeat = stored
        let loaded = try await store.loadStates()
        for state in loaded.states {
            rooms[state.plan.id] = state
        }
        for (room, error) in loaded.unreadable {
            // One room's unreadable rows must not keep the day's other rooms down: it is refused alone.
            logger.error("room cannot be read from storage; it is unavailable until restored", metadata: ["room": "\(room)", "error": "\(error)"])
            unreadable[room] = "\(error)"
        }
        metrics.setRooms(Dictionary(grouping: rooms.values, by: \.lifecycle).mapValues(\.count))
        // Every room at once: their restart events then share group commits instead of one fsync each.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in rooms.keys {
                group.addTask { try await self.recover(id, lastBeat: lastBeat, at: now) }
            }
            try await group.waitForAll()
        }
        try await store.heartbeat(now)
        let interval = configuration.heartbeatInterval
        heartbeat = Task { [clock, store] in
            while !Task.isCancelled {
                do {
                    try await clock.sleep(until: clock.now().addingTimeInterval(interval))
                    try await store.heartbeat(clock.now())
                } catch {
                    return
                }
            }
        }
        logger.info("rooms loaded", metadata: ["rooms": "\(rooms.count)"])
    }

    /// After a start: records the downtime of a room under way (or the departure of those who were present),
    /// then emits what became due meanwhile.
    private func recover(_ id: String, lastBeat: Date?, at now: Date) async throws {
        await acquire(id)
        defer { release(id) }
        guard let state = rooms[id] else { return }
        if state.lifecycle == .running || state.lifecycle == .paused {
            // Never before the room's last event: the server was alive then.
            let since = max(lastBeat ?? state.lastEventAt, state.lastEventAt)
            _ = try await execute(id, .serverRestarted(since: min(since, now)), by: Self.system, at: now)
        } else {
            for user in state.present.sorted() {
                _ = try await execute(id, .connectionLost, by: RoomActor(user: user, role: .candidate), at: now)
            }
        }
        try await tickLocked(id)
    }

    /// Stops timers and the heartbeat (recording a last one).
    func stop() async {
        heartbeat?.cancel()
        for timer in timers.values { timer.cancel() }
        timers.removeAll()
        try? await store.heartbeat(clock.now())
    }

    // MARK: Per-room serialisation

    private func acquire(_ key: String) async {
        if busy.contains(key) {
            await withCheckedContinuation { waiters[key, default: []].append($0) }
        } else {
            busy.insert(key)
        }
    }

    private func release(_ key: String) {
        if var queue = waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            busy.remove(key)
        }
    }

    // MARK: Reading

    /// The rooms `actor` may see (admins: all; others: their own), sorted by start then id.
    func rooms(visibleTo actor: RoomActor) -> [RoomState] {
        rooms.values.filter { actor.role == .admin || $0.plan.role(of: actor.user) != nil }
            .sorted { ($0.plan.start, $0.plan.id) < ($1.plan.start, $1.plan.id) }
    }

    /// One room, if `actor` may see it; otherwise the same `NOT_FOUND` as for a room that does not exist.
    func room(_ id: String, visibleTo actor: RoomActor) throws(DomainError) -> RoomState {
        if actor.role == .admin, unreadable[id] != nil {
            throw DomainError(.internal, context: [id], "room \(id) cannot be read from storage; check it with defence-server audit verify --room \(id)")
        }
        guard let state = rooms[id], actor.role == .admin || state.plan.role(of: actor.user) != nil else {
            throw DomainError(.notFound, context: [id], "no room \(id)")
        }
        return state
    }

    /// A room and its referential version, read together (PROGRESS), if `actor` may see it.
    func evaluation(_ id: String, visibleTo actor: RoomActor) async throws -> (state: RoomState, referential: Referential) {
        let state = try room(id, visibleTo: actor)
        return (state, try await referentials.referential(state.plan.referentialHash).referential)
    }

    /// What a procès-verbal is made of, read together: the room, its referential version, its stored events as
    /// of the state, the fingerprint of its log at the state's last event, and the time. Events committed after
    /// the state was taken are in none of them (a PV lists the events it counts and prints the link of the last one).
    func record(_ id: String, visibleTo actor: RoomActor) async throws -> RoomRecord {
        let state = try room(id, visibleTo: actor)
        let referential = try await referentials.referential(state.plan.referentialHash).referential
        let (events, fingerprint) = try await store.record(of: state.plan.id, through: state.lastSeq)
        return RoomRecord(state: state, referential: referential, events: events, fingerprint: fingerprint ?? "", at: clock.now())
    }

    /// A room and the time now, read together (TIME), if `actor` may see it.
    func clockReading(_ id: String, visibleTo actor: RoomActor) throws(DomainError) -> (state: RoomState, now: Date) {
        (try room(id, visibleTo: actor), clock.now())
    }

    /// Recomputes the event hash chains.
    func audit(room: String?) async throws -> RoomStore.AuditReport {
        try await store.verifyChains(room: room)
    }

    // MARK: Scheduling (for RoomPlanner)

    /// The plans of every room that is not cancelled, but `excluding`'s, and every room id that is taken (unreadable
    /// rooms' too): what a new or changed plan is checked against.
    func schedule(excluding: String? = nil) -> (plans: [RoomPlan], taken: Set<String>) {
        let plans = rooms.values.filter { $0.lifecycle != .cancelled && $0.plan.id != excluding }.map(\.plan)
        return (plans, Set(rooms.keys).union(unreadable.keys))
    }

    /// Opens a new room with a validated plan: its first event is stored and it is kept.
    /// - Throws: `ALREADY_EXISTS` when the id is taken.
    func open(_ plan: RoomPlan, by actor: RoomActor) async throws -> RoomState {
        guard rooms[plan.id] == nil, unreadable[plan.id] == nil else {
            throw DomainError(.alreadyExists, context: [plan.id], "room \(plan.id) already exists")
        }
        let now = clock.now()
        let state = RoomState(scheduled: plan, at: now)
        let event = RoomEvent(room: plan.id, seq: 1, at: now, kind: .scheduled(plan))
        try await store.append([event], state: state, delivered: [Self.delivery(of: event, state: state)])
        metrics.recordEvents(1)
        keep(state)
        logger.info("room scheduled", metadata: ["room": "\(plan.id)", "by": "\(actor.user)"])
        return state
    }

    /// Creates a day's new users and opens its rooms in one transaction: all of them, or none.
    /// - Throws: `ALREADY_EXISTS` when a room id was taken meanwhile.
    func open(day plans: [RoomPlan], users: [User], by actor: RoomActor) async throws {
        let now = clock.now()
        for plan in plans where rooms[plan.id] != nil || unreadable[plan.id] != nil {
            throw DomainError(.alreadyExists, context: [plan.id], "room \(plan.id) already exists")
        }
        let opened = plans.map { (event: RoomEvent(room: $0.id, seq: 1, at: now, kind: .scheduled($0)), state: RoomState(scheduled: $0, at: now)) }
        try await store.importDay(users: users, rooms: opened)
        metrics.recordEvents(opened.count)
        for room in opened { keep(room.state) }
        logger.info("day imported", metadata: ["users": "\(users.count)", "rooms": "\(opened.count)", "by": "\(actor.user)"])
    }

    // MARK: Participation

    /// Subscribes a connection to a room and marks its participant present.
    /// - Returns: the room after the join; its `SNAPSHOT` was delivered first, then the join's events.
    /// - Throws: `WRONG_STATE` when the connection has already joined the room.
    func join(_ id: String, subscriber: RoomSubscriber) async throws -> RoomState {
        _ = try room(id, visibleTo: subscriber.actor)
        try refuseSecondJoin(id, subscriber)
        await acquire(id)
        defer { release(id) }
        try refuseSecondJoin(id, subscriber)
        guard let state = rooms[id] else { throw DomainError(.notFound, context: [id], "no room \(id)") }
        subscriber.deliverBeforeReplyOrOverflow(RoomWire.snapshot(state, at: clock.now(), for: state.role(of: subscriber.actor)).serialized)
        try await attach(id, subscriber)
        return try room(id, visibleTo: subscriber.actor)
    }

    private func refuseSecondJoin(_ id: String, _ subscriber: RoomSubscriber) throws(DomainError) {
        if subscribers[id]?[subscriber.sessionID] != nil {
            throw DomainError(.wrongState, context: [id], "this connection has already joined room \(id)")
        }
    }

    /// The limits for reading back a stored event line: the server's own lines, not a peer's.
    static let storedLineLimits = Limits.serverLines

    /// Resubscribes a connection and delivers what it missed after `lastSeq`, or a snapshot when the gap is too old.
    /// A candidate's `lastSeq` is in the candidates' own numbering, and so are the events replayed to it.
    /// - Returns: what was delivered, and the room after the resumption.
    /// - Throws: `WRONG_STATE` when the connection has already joined the room.
    func resume(_ id: String, after lastSeq: Int, subscriber: RoomSubscriber) async throws -> (result: ResumeResult, state: RoomState) {
        _ = try room(id, visibleTo: subscriber.actor)
        try refuseSecondJoin(id, subscriber)
        await acquire(id)
        defer { release(id) }
        try refuseSecondJoin(id, subscriber)
        guard let state = rooms[id] else { throw DomainError(.notFound, context: [id], "no room \(id)") }
        let result: ResumeResult
        let window = configuration.resumeWindow
        let role = state.role(of: subscriber.actor)
        let current = state.view(for: role).seq
        if lastSeq > current || current - lastSeq > window {
            subscriber.deliverBeforeReplyOrOverflow(RoomWire.snapshot(state, at: clock.now(), for: role).serialized)
            result = .snapshot
        } else {
            var count = 0
            try await visibleLines(id, after: lastSeq, for: subscriber.actor, role: role) { line in
                guard subscriber.deliverBeforeReplyOrOverflow(line) else { return false }
                count += 1
                return true
            }
            result = .replayed(count: count)
        }
        try await attach(id, subscriber)
        return (result, try room(id, visibleTo: subscriber.actor))
    }

    private func attach(_ id: String, _ subscriber: RoomSubscriber) async throws {
        subscribers[id, default: [:]][subscriber.sessionID] = subscriber
        joined[subscriber.sessionID, default: []].insert(id)
        guard let state = rooms[id], state.plan.role(of: subscriber.actor.user) != nil else { return }
        let count = connections[id, default: [:]][subscriber.actor.user, default: 0]
        connections[id, default: [:]][subscriber.actor.user] = count + 1
        if count == 0 {
            _ = try await execute(id, .join, by: subscriber.actor, at: clock.now())
        }
    }

    /// Unsubscribes a connection; a participant whose last connection leaves is marked as having left.
    func leave(_ id: String, sessionID: UInt64, actor: RoomActor) async throws {
        _ = try room(id, visibleTo: actor)
        await acquire(id)
        defer { release(id) }
        guard subscribers[id]?.removeValue(forKey: sessionID) != nil else {
            throw DomainError(.wrongState, context: [id], "this connection has not joined room \(id)")
        }
        forget(id, sessionID: sessionID)
        if try await detach(id, user: actor.user) {
            _ = try await execute(id, .leave, by: actor, at: clock.now())
        }
    }

    /// A connection closed: for each room it had joined, a participant whose last connection this was is
    /// recorded as having left (`clean`: the client said `QUIT`) or as having lost the connection (an outage while
    /// the defence is under way).
    func sessionEnded(_ sessionID: UInt64, actor: RoomActor, clean: Bool = false) async {
        for id in (joined[sessionID] ?? []).sorted() {
            await acquire(id)
            // Another task of this session may have left the room while this one waited for it.
            guard subscribers[id]?.removeValue(forKey: sessionID) != nil else {
                release(id)
                continue
            }
            forget(id, sessionID: sessionID)
            do {
                if try await detach(id, user: actor.user) {
                    _ = try await execute(id, clean ? .leave : .connectionLost, by: actor, at: clock.now())
                }
            } catch {
                logger.error("could not record a connection loss", metadata: ["room": "\(id)", "error": "\(error)"])
            }
            release(id)
        }
    }

    /// The room's latest messages, signals and acknowledgements that `actor` may see, oldest first, at most
    /// `limit`, each as it was delivered to them (in a candidate's own numbering for a candidate): what a console
    /// that starts again shows (`HISTORY`, PROTOCOL.md §11.3).
    func history(_ id: String, visibleTo actor: RoomActor, limit: Int) async throws -> [EventLine] {
        let state = try room(id, visibleTo: actor)
        var lines: [EventLine] = []
        try await visibleLines(id, after: 0, for: actor, role: state.role(of: actor)) { text in
            guard let message = try? LineParser(limits: Self.storedLineLimits).parse(text), let line = EventLine(message),
                Self.historyTypes.contains(line.type)
            else { return true }
            lines.append(line)
            if lines.count > limit { lines.removeFirst() }
            return true
        }
        return lines
    }

    /// The event types `HISTORY` gives: messages and signals, and arrivals and departures (a hand raised by someone
    /// who left since is no longer up).
    static let historyTypes: Set<String> = ["message", "signal", "acknowledged", "joined", "left", "connection-lost"]

    /// Each event line of room `id` after `lastSeq` (in the reader's numbering) that `actor`, of `role`, may see, in
    /// order and exactly as it was delivered (a candidate's in the candidates' numbering), given to `body` until it
    /// returns `false`. What `RESUME` replays and `HISTORY` reads.
    private func visibleLines(_ id: String, after lastSeq: Int, for actor: RoomActor, role: RoomRole?, _ body: (String) -> Bool) async throws {
        let forCandidates = role == .candidate
        if let replay = try await store.replay(of: id, after: lastSeq, juryOnly: !forCandidates) {
            // Each event with the line it was delivered as: replayed exactly as live subscribers saw it, without
            // reading the events themselves. A candidate, usually far behind (it sees none of the jury's messages and
            // marks), reads only the events it may see, numbered as it knows them.
            var count = 0
            for event in replay
            where Self.visible(juryOnly: event.juryOnly, gridOwner: event.gridOwner, user: actor.user, role: role, gridOpen: event.gridOpen) {
                var line = event.line
                if forCandidates {
                    // Read back with the room of the longest line the server writes (an event of a 1,000-scalar text
                    // passes the 4,096 bytes of a request's line).
                    guard let message = try? LineParser(limits: Self.storedLineLimits).parse(line), var numbered = EventLine(message) else {
                        throw DomainError(.internal, "room \(id): event \(event.seq) was stored with a line that is not an event")
                    }
                    numbered.seq = lastSeq + count + 1
                    line = numbered.message.serialized
                }
                guard body(line) else { return }
                count += 1
            }
            return
        }
        // Events stored before lines were kept: fold the history from the start so that each line shows the room
        // right after its event, exactly as live subscribers saw it.
        var folded: RoomState?
        for event in try await store.events(of: id, after: 0) {
            if var current = folded {
                current.apply(event)
                folded = current
            } else {
                folded = try RoomState.fold([event])
            }
            guard let after = folded, (forCandidates ? after.publicSeq : event.seq) > lastSeq else { continue }
            let visible = Self.visible(
                juryOnly: event.kind.isJuryOnly, gridOwner: event.kind.gridOwner, user: actor.user, role: after.role(of: actor), gridOpen: after.gridsOpen
            )
            guard visible else { continue }
            guard body(RoomWire.event(event, state: after, seq: forCandidates ? after.publicSeq : nil).serialized) else { return }
        }
    }

    /// The idempotency keys committed in each room, once read from the store (PROTOCOL.md §4.4): fingerprints, whose
    /// matches are read back from the store.
    private var requestKeys: [String: RequestKeyIndex] = [:]

    /// Removes a room from a session's joined rooms (its subscriber was removed).
    private func forget(_ id: String, sessionID: UInt64) {
        joined[sessionID]?.remove(id)
        if joined[sessionID]?.isEmpty == true { joined[sessionID] = nil }
        if subscribers[id]?.isEmpty == true { subscribers[id] = nil }
    }

    /// Decrements a participant's connection count; returns whether it reached zero.
    private func detach(_ id: String, user: String) async throws -> Bool {
        guard let count = connections[id]?[user] else { return false }
        if count <= 1 {
            connections[id]?[user] = nil
            return true
        }
        connections[id]?[user] = count - 1
        return false
    }

    // MARK: Commands

    /// What a room command came to.
    enum Performed {
        /// Carried out (`changed`: it stored events), leaving the room in `state`.
        case done(state: RoomState, changed: Bool)
        /// Its idempotency key was already committed: nothing done again; `seq` is the original reply's number.
        case replayed(seq: Int)

        /// The room after a command sent without a key (which is never replayed).
        func state(of room: String) throws -> RoomState {
            guard case .done(let state, _) = self else { throw DomainError(.internal, context: [room], "a command without a key was replayed") }
            return state
        }
    }

    /// Carries out a room command, once per idempotency `key` of this user in this room (PROTOCOL.md §4.4).
    /// - Parameter request: the SHA-256 of the request `key` tags: the same key on another request is `INVALID`.
    func perform(_ id: String, _ command: RoomCommand, by actor: RoomActor, key: String? = nil, request: String? = nil) async throws -> Performed {
        _ = try room(id, visibleTo: actor)
        let started = ContinuousClock.now
        await acquire(id)
        defer { release(id) }
        if let key {
            if requestKeys[id] == nil {
                requestKeys[id] = RequestKeyIndex(try await store.requestKeyNames(room: id), fingerprint: configuration.requestKeyFingerprint)
            }
            // Almost every key is new and matches no fingerprint; a match is read back (it may be another key's).
            if requestKeys[id]?.mayHold(user: actor.user, key: key) == true, let known = try await store.requestKey(room: id, user: actor.user, key: key) {
                if let stored = known.request, let request, stored != request {
                    throw DomainError(.invalid, context: [key], "the key \(key) was already used for another request; give each request its own key")
                }
                let candidate = rooms[id]?.role(of: actor) == .candidate
                return .replayed(seq: candidate ? known.publicSeq : known.seq)
            }
        }
        let events = try await execute(id, command, by: actor, at: clock.now(), key: key, request: request)
        try await tickLocked(id)
        metrics.recordCommand(ContinuousClock.now - started)
        guard let state = rooms[id] else { throw DomainError(.notFound, context: [id], "no room \(id)") }
        return .done(state: state, changed: !events.isEmpty)
    }

    /// The checklist of a plan's competences in its referential version, computed once per version and set of
    /// competences.
    private func checklist(of plan: RoomPlan) async throws -> RoomChecklist {
        let key = ChecklistKey(referentialHash: plan.referentialHash, competences: plan.competences)
        if let known = checklists[key] { return known }
        let checklist = RoomChecklist(plan: plan, referential: try await referentials.referential(plan.referentialHash).referential)
        checklists[key] = checklist
        return checklist
    }

    private struct ChecklistKey: Hashable {
        let referentialHash: String
        let competences: [String]
    }

    private var checklists: [ChecklistKey: RoomChecklist] = [:]

    /// Keeps a room's new state, and counts it in its lifecycle state's gauge.
    private func keep(_ state: RoomState) {
        let id = state.plan.id
        metrics.roomMoved(from: rooms[id]?.lifecycle, to: state.lifecycle)
        rooms[id] = state
    }

    /// Decides, persists, applies and delivers. The caller holds the room's lock.
    private func execute(_ id: String, _ command: RoomCommand, by actor: RoomActor, at now: Date, key: String? = nil, request: String? = nil) async throws -> [RoomEvent] {
        // A mark is checked against the room's checklist by the room itself; the checklist is read first, as the
        // referential may have to be loaded.
        var checklist: RoomChecklist?
        if case .mark = command, let plan = rooms[id]?.plan { checklist = try await self.checklist(of: plan) }
        guard var state = rooms[id] else { throw DomainError(.notFound, context: [id], "no room \(id)") }
        let kinds = try state.decide(command, by: actor, at: now, checklist: checklist)
        guard !kinds.isEmpty else { return [] }
        var events: [RoomEvent] = []
        var deliveries: [RoomStore.Delivered] = []
        // The line candidates receive: the same event under their own number (§4.3); nil for the jury's events.
        var candidateLines: [String?] = []
        for kind in kinds {
            let event = RoomEvent(room: id, seq: state.lastSeq + 1, at: now, kind: kind)
            state.apply(event)
            events.append(event)
            // Encoded once; the candidates' line is the same event under their number.
            var line = EventLine(room: id, seq: event.seq, at: event.at, body: event.body(in: state))
            deliveries.append(RoomStore.Delivered(line: line.message.serialized, gridOpen: state.gridsOpen))
            line.seq = state.publicSeq
            candidateLines.append(kind.isJuryOnly ? nil : line.message.serialized)
        }
        // The key is committed with the events, in one transaction: a crash cannot keep one without the other.
        let committedKey = key.map { RoomStore.RequestKey(room: id, user: actor.user, key: $0, seq: state.lastSeq, publicSeq: state.publicSeq, request: request) }
        try await store.append(events, state: state, delivered: deliveries, key: committedKey)
        if let committedKey { requestKeys[id]?.insert(user: committedKey.user, key: committedKey.key) }
        metrics.recordEvents(events.count)
        keep(state)
        for index in events.indices { deliver(events[index], deliveries[index], toCandidates: candidateLines[index]) }
        scheduleTimer(id)
        return events
    }

    /// Delivers an event to the room's subscribers who may see it: its line is encoded once per audience (the
    /// jury's, the candidates' under their own number) and the same bytes are queued for each subscriber.
    private func deliver(_ event: RoomEvent, _ delivery: RoomStore.Delivered, toCandidates candidateLine: String?) {
        guard let audience = subscribers[event.room], !audience.isEmpty, let state = rooms[event.room] else { return }
        var juryBytes: ByteBuffer?
        var candidateBytes: ByteBuffer?
        for subscriber in audience.values {
            // Someone taken out of the room by a new plan receives nothing more of it (in either numbering).
            guard let role = state.role(of: subscriber.actor),
                Self.visible(juryOnly: event.kind.isJuryOnly, gridOwner: event.kind.gridOwner, user: subscriber.actor.user, role: role, gridOpen: delivery.gridOpen)
            else { continue }
            let bytes: ByteBuffer
            if role == .candidate, let candidateLine {
                bytes = candidateBytes ?? ByteBuffer(line: candidateLine)
                candidateBytes = bytes
            } else {
                bytes = juryBytes ?? ByteBuffer(line: delivery.line)
                juryBytes = bytes
            }
            if !subscriber.deliver(bytes) { subscriber.overflow() }
        }
    }

    /// The line an event is delivered as, and whether the grids were open right after it.
    static func delivery(of event: RoomEvent, state: RoomState) -> RoomStore.Delivered {
        RoomStore.Delivered(line: RoomWire.event(event, state: state).serialized, gridOpen: state.gridsOpen)
    }

    /// Candidates never receive jury-only events; in a blind room a juror receives the other juror's marks and
    /// proposals only once both grids are submitted (and can then read them with `PROGRESS`). Decided from what is
    /// stored with each event: whether it is for the jury, whose grid it belongs to, and whether the grids were open
    /// right after it (as ``RoomState/gridVisible(of:to:)`` decides).
    static func visible(juryOnly: Bool, gridOwner: String?, user: String, role: RoomRole?, gridOpen: Bool) -> Bool {
        guard juryOnly else { return true }
        guard let role, role != .candidate else { return false }
        guard let owner = gridOwner, role == .juror else { return true }
        return user == owner || gridOpen
    }

    // MARK: Timers

    private func tick(_ id: String) async throws {
        await acquire(id)
        defer { release(id) }
        try await tickLocked(id)
    }

    private func tickLocked(_ id: String) async throws {
        _ = try await execute(id, .tick, by: Self.system, at: clock.now())
        scheduleTimer(id)
    }

    private func scheduleTimer(_ id: String) {
        let due = rooms[id]?.nextDue()
        // Most commands do not move the next deadline: keep the timer already waiting for it.
        if let due, timerDue[id] == due, timers[id] != nil { return }
        timers[id]?.cancel()
        timerDue[id] = due
        guard let due else {
            timers[id] = nil
            return
        }
        timers[id] = Task { [clock] in
            do {
                try await clock.sleep(until: due)
            } catch {
                return
            }
            // A fresh task, so that this timer being replaced cannot cancel the write of what it emits.
            await Task { await self.timerFired(id) }.value
        }
    }

    private func timerFired(_ id: String) async {
        // This timer is spent: whatever the tick leaves due gets a new one.
        timerDue[id] = nil
        do {
            try await tick(id)
        } catch {
            logger.error("timer failed", metadata: ["room": "\(id)", "error": "\(error)"])
            scheduleTimer(id)
        }
    }
}
