import DefenceCore
import DefenceStore
import Foundation

/// What a procès-verbal is made of, read together from the room hub.
struct RoomRecord: Sendable {
    /// The room.
    let state: RoomState
    /// Its referential version.
    let referential: Referential
    /// Its stored events up to the state's last one.
    let events: [RoomEvent]
    /// The fingerprint of its log at that event.
    let fingerprint: String
    /// When it was read, on the domain clock.
    let at: Date
}

/// Schedules rooms: checks each new or changed plan against the referential, the accounts and the other rooms
/// (`RoomScheduler`), then has the room hub open or change the room.
///
/// One scheduling change runs at a time, so that two plans are never each checked against the other's absence
/// (two rooms booking the same juror at the same hour).
actor RoomPlanner {
    private let rooms: RoomHub
    private let accounts: AccountStore
    private let referentials: ReferentialCatalog
    private let now: @Sendable () -> Date
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(rooms: RoomHub, accounts: AccountStore, referentials: ReferentialCatalog, now: @escaping @Sendable () -> Date) {
        self.rooms = rooms
        self.accounts = accounts
        self.referentials = referentials
        self.now = now
    }

    /// Validates and schedules a new room.
    func create(_ request: RoomRequest, by actor: RoomActor) async throws -> RoomState {
        await acquire()
        defer { release() }
        let schedule = await rooms.schedule(excluding: request.id)
        guard !schedule.taken.contains(request.id) else {
            throw DomainError(.alreadyExists, context: [request.id], "room \(request.id) already exists")
        }
        let plan = try await makePlan(request, referentialHash: nil, otherRooms: schedule.plans)
        return try await rooms.open(plan, by: actor)
    }

    /// Changes a room's plan: `change` turns the current plan into the new request.
    func update(_ id: String, by actor: RoomActor, change: @Sendable (RoomPlan) throws -> RoomRequest) async throws -> RoomState {
        await acquire()
        defer { release() }
        let current = try await rooms.room(id, visibleTo: actor)
        let schedule = await rooms.schedule(excluding: id)
        let plan = try await makePlan(try change(current.plan), referentialHash: current.plan.referentialHash, otherRooms: schedule.plans)
        return try await rooms.perform(id, .update(plan), by: actor).state(of: id)
    }

    /// Cancels a room.
    func cancel(_ id: String, reason: String?, by actor: RoomActor) async throws -> RoomState {
        await acquire()
        defer { release() }
        return try await rooms.perform(id, .cancel(reason: reason), by: actor).state(of: id)
    }

    /// Validates a whole day and writes it in one transaction, or nothing.
    ///
    /// - Returns: the faults by CSV line; empty when the day was imported.
    func importDay(_ day: DayImport, by actor: RoomActor) async throws -> [DayImport.Fault] {
        await acquire()
        defer { release() }
        var faults = day.faults
        var newUsers: [String: User] = [:]
        var numbers: [String: String] = [:]
        let now = self.now()
        let referential = try await referentials.referential(nil)
        for row in day.users {
            if try await accounts.user(row.user.id) != nil || newUsers[row.user.id] != nil {
                faults.append(.init(line: row.line, code: .alreadyExists, text: "user \(row.user.id) already exists"))
                continue
            }
            var user = row.user
            user.createdAt = now
            do {
                user.fields = try AccountRules.validate(user.fields, role: user.role, referential: referential.referential)
            } catch {
                faults.append(.init(line: row.line, code: error.code, text: "user \(user.id): \(error.text)"))
                continue
            }
            if let number = user.fields.number {
                if let holder = try await accounts.user(number: number)?.id ?? numbers[number] {
                    faults.append(.init(line: row.line, code: .alreadyExists, text: "candidate number \(number) is already \(holder)'s"))
                    continue
                }
                numbers[number] = user.id
            }
            newUsers[user.id] = user
        }
        var existing: [String: User] = [:]
        for row in day.rooms {
            for person in row.request.candidates + row.request.jurors where newUsers[person] == nil && existing[person] == nil {
                existing[person] = try await accounts.user(person)
            }
        }
        let schedule = await rooms.schedule()
        var planned = schedule.plans
        var newRooms: [RoomPlan] = []
        for row in day.rooms {
            if schedule.taken.contains(row.request.id) || newRooms.contains(where: { $0.id == row.request.id }) {
                faults.append(.init(line: row.line, code: .alreadyExists, text: "room \(row.request.id) already exists"))
                continue
            }
            do {
                let plan = try RoomScheduler.plan(
                    row.request,
                    referential: referential,
                    users: { newUsers[$0] ?? existing[$0] ?? nil },
                    otherRooms: planned
                )
                planned.append(plan)
                newRooms.append(plan)
            } catch {
                faults.append(.init(line: row.line, code: error.code, text: error.text))
            }
        }
        guard faults.isEmpty else { return faults.sorted { $0.line < $1.line } }
        try await rooms.open(day: newRooms, users: Array(newUsers.values).sorted { $0.id < $1.id }, by: actor)
        return []
    }

    /// Refuses a track for a candidate whose rooms to come (not signed, not cancelled) assess a competence of
    /// another track.
    /// - Throws: `WRONG_TRACK`.
    func checkTrack(of user: User) async throws {
        guard let track = user.fields.track else { return }
        await acquire()
        defer { release() }
        let referential = try await referentials.referential(nil).referential
        for state in await rooms.rooms(visibleTo: RoomActor(user: "server", role: .admin))
        where state.plan.candidates.contains(user.id) && state.lifecycle != .cancelled && state.lifecycle != .signed {
            try RoomScheduler.checkTrack(track, of: user.id, competences: state.plan.competences, referential: referential)
        }
    }

    private func makePlan(_ request: RoomRequest, referentialHash: String?, otherRooms: [RoomPlan]) async throws -> RoomPlan {
        let referential = try await referentials.referential(referentialHash)
        var people: [String: User] = [:]
        for id in request.candidates + request.jurors { people[id] = try await accounts.user(id) }
        return try RoomScheduler.plan(request, referential: referential, users: { people[$0] }, otherRooms: otherRooms)
    }

    // MARK: One change at a time

    private func acquire() async {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            busy = true
        }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
