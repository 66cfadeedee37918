import DefenceCore
import DefenceProtocol
import DefenceStore
import Foundation

/// What the router needs of the session that sent a command.
struct SessionLink: Sendable {
    /// The session's number.
    let id: UInt64
    /// Makes the subscriber through which the session receives room events.
    let subscriber: @Sendable (RoomActor) -> RoomSubscriber
}

/// Carries out the commands of authenticated sessions against the store and answers with protocol lines.
struct CommandRouter: Sendable {
    let accounts: AccountStore
    let referentials: ReferentialCatalog
    let rooms: RoomHub
    let planner: RoomPlanner
    let registry: SessionRegistry
    let now: @Sendable () -> Date
    /// The zone records write their times in.
    let timeZone: TimeZone

    /// The longest life `TOKEN-ISSUE ttl=` gives a token: ten years.
    static let longestTokenLife: Int64 = 10 * 366 * 86_400

    /// Executes `command` for `principal`. The role has already been checked.
    ///
    /// Each area of verbs runs in a function of its own, never inlined here. A task keeps the memory of the
    /// deepest call it made until it ends (Swift's task allocator keeps its slabs), and one function with every
    /// verb's locals needed a 24 KB async frame, then held by each of 12,000 connections' tasks
    /// (docs/performance.md); a request's step still allocates only what its verb needs.
    ///
    /// - Returns: the data lines followed by the terminal `OK` line, all tagged with `id`.
    /// - Throws: ``DomainError`` for refusals; anything else is an internal fault.
    func execute(_ command: Command, for principal: Principal, session: SessionLink, id: String?, key: String? = nil) async throws -> [Message] {
        let actor = RoomActor(user: principal.user.id, role: principal.user.role)
        switch command {
        case .whoami, .userCreate, .userUpdate, .userList, .userDisable, .userEnable, .tokenIssue, .tokenList, .tokenRevoke:
            return try await accountCommand(command, principal, session, actor, id)
        case .referential, .blockList, .competenceList, .competenceShow:
            return try await referentialCommand(command, principal, session, actor, id)
        case .roomCreate, .roomUpdate, .roomCancel, .roomList, .roomShow:
            return try await schedulingCommand(command, principal, session, actor, id)
        case .join, .resume, .leave, .time, .history:
            return try await participationCommand(command, principal, session, actor, id)
        case .timerStart, .timerPause, .timerResume, .timerAdjust, .say, .signal, .outageExtend, .deliberate, .mark, .propose, .submit, .decide, .sign, .reopen,
            .evidence, .observations, .outageDecline, .restart, .postpone, .acknowledge:
            if let key { try Self.validateKey(key, verb: command.verb) }
            return try await roomStateCommand(command, principal, session, actor, id, key, request: key.map { _ in TokenSecret.hash(command.message(id: nil).serialized) })
        case .outages, .progress, .disagreements, .results, .pv, .audit:
            return try await reportCommand(command, principal, session, actor, id)
        case .outcome, .outcomes, .transcript:
            return try await certificationCommand(command, principal, actor, id)
        case .dayImport:
            throw DomainError(.internal, "DAY-IMPORT is handled by the session")

        case .hello, .auth, .ping, .pong, .quit:
            // Session-level verbs never reach the router.
            throw DomainError(.internal, "\(command.verb.rawValue) is handled by the session")
        }
    }

    /// Accounts and tokens.
    @inline(never)
    private func accountCommand(
        _ command: Command, _ principal: Principal, _ session: SessionLink, _ actor: RoomActor, _ id: String?
    ) async throws -> [Message] {
        switch command {
        case .whoami:
            let user = principal.user
            return [.ok(verb: "WHOAMI", [user.id, user.role.rawValue] + emailOption(user) + user.fields.options, text: user.displayName, id: id)]

        case .userCreate(let userID, let roleName, let email, let fields, let displayName):
            try AccountRules.validateUserID(userID)
            let role = try AccountRules.parseRole(roleName)
            try AccountRules.validateDisplayName(displayName)
            if let email { try AccountRules.validateEmail(email) }
            let valid = fields.isEmpty ? fields : try AccountRules.validate(fields, role: role, referential: try await referentials.referential(nil).referential)
            let user = User(id: userID, role: role, displayName: displayName, email: email, createdAt: now(), fields: valid)
            try await accounts.createUser(user)
            return [.ok(verb: "USER-CREATE", [user.id, user.role.rawValue], id: id)]

        case .userUpdate(let userID, let changes):
            let referential = try await referentials.referential(nil).referential
            guard let before = try await accounts.user(userID) else { throw DomainError(.notFound, context: [userID], "no user \(userID)") }
            // A candidate's rooms must keep to a new track: checked before anything is stored.
            let proposed = try Self.apply(changes, to: before, referential: referential)
            if proposed.fields.track != before.fields.track { try await planner.checkTrack(of: proposed) }
            let user = try await accounts.updateUser(userID) { current throws in try Self.apply(changes, to: current, referential: referential) }
            return [
                Self.userLine(user, id: id),
                .ok(verb: "USER-UPDATE", [user.id], id: id),
            ]

        case .userList(let roleName, let state):
            let role = try roleName.map { name throws(DomainError) in try AccountRules.parseRole(name) }
            var active: Bool?
            switch state?.lowercased() {
            case nil: active = nil
            case "active": active = true
            case "disabled": active = false
            case let other?:
                throw DomainError(.invalid, "unknown state '\(other.prefix(32))'; states are active, disabled")
            }
            let users = try await accounts.users(role: role, active: active)
            let lines = users.map { Self.userLine($0, id: id) }
            return lines + [.ok(verb: "USER-LIST", [String(users.count)], id: id)]

        case .userDisable(let userID, let reason):
            if let reason { try RoomState.validateReason(reason) }
            let user = try await accounts.disableUser(userID, now: now())
            await registry.closeSessions(ofUser: user.id, reason: "account \(user.id) was disabled" + (reason.map { ": \($0)" } ?? ""))
            return [.ok(verb: "USER-DISABLE", [user.id], id: id)]

        case .userEnable(let userID):
            let user = try await accounts.enableUser(userID)
            return [.ok(verb: "USER-ENABLE", [user.id], id: id)]

        case .tokenIssue(let userID, let expiry, let label):
            let issuedAt = now()
            var expiresAt: Date?
            switch expiry {
            case .at(let text):
                guard let date = WireTime.parse(text) else {
                    throw DomainError(
                        .invalid, "expires must be a real RFC 3339 time between the years 2000 and 2999, such as 2026-12-01T18:00:00Z"
                    )
                }
                guard date > issuedAt else { throw DomainError(.invalid, "expires is in the past") }
                expiresAt = date
            case .after(let seconds):
                // A ttl reaching past the supported years would store a date nothing can read back.
                let date = issuedAt.addingTimeInterval(TimeInterval(seconds))
                guard seconds <= Self.longestTokenLife, WireTime.isSupported(date) else {
                    throw DomainError(.invalid, "ttl is at most \(Self.longestTokenLife) seconds (ten years)")
                }
                expiresAt = date
            case nil:
                expiresAt = nil
            }
            if let label { try AccountRules.validateTokenLabel(label) }
            let (token, secret) = try await accounts.issueToken(
                for: userID,
                expiresAt: expiresAt,
                label: label,
                now: issuedAt
            )
            var parameters = [String(token.id), token.userID, secret]
            if let expiresAt { parameters.append("expires=\(WireTime.format(expiresAt))") }
            return [.ok(verb: "TOKEN-ISSUE", parameters, id: id)]

        case .tokenList(let userID):
            let tokens = try await accounts.tokens(of: userID)
            let at = now()
            let lines = tokens.map { token in
                var parameters = [String(token.id), token.userID, token.state(at: at).rawValue]
                parameters.append("created=\(WireTime.format(token.createdAt))")
                if let expiresAt = token.expiresAt { parameters.append("expires=\(WireTime.format(expiresAt))") }
                if let lastUsed = token.lastUsedAt { parameters.append("last-used=\(WireTime.format(lastUsed))") }
                if let label = token.label { parameters.append("label=\(label)") }
                return Message(id: id, verb: "TOKEN", parameters)
            }
            return lines + [.ok(verb: "TOKEN-LIST", [String(tokens.count)], id: id)]

        case .tokenRevoke(let tokenID):
            let token = try await accounts.revokeToken(tokenID, now: now())
            await registry.closeSessions(ofToken: token.id, reason: "token \(token.id) was revoked")
            return [.ok(verb: "TOKEN-REVOKE", [String(token.id)], id: id)]

        default:
            throw DomainError(.internal, "\(command.verb.rawValue) is not routed to accountCommand")
        }
    }

    /// Reading the referential.
    @inline(never)
    private func referentialCommand(
        _ command: Command, _ principal: Principal, _ session: SessionLink, _ actor: RoomActor, _ id: String?
    ) async throws -> [Message] {
        switch command {
        case .referential(let ref):
            let loaded = try await referentials.referential(ref)
            let referential = loaded.referential
            return [
                .ok(
                    verb: "REFERENTIAL",
                    [
                        loaded.hash, referential.id, "blocks=\(referential.blocks.count)",
                        "competences=\(referential.competences.count)", "criteria=\(referential.criteriaCount)",
                    ],
                    text: referential.title,
                    id: id
                )
            ]

        case .blockList(let ref):
            let referential = try await referentials.referential(ref).referential
            var lines: [Message] = []
            for block in referential.blocks {
                let count = referential.competences(block: block.code).count
                lines.append(Message(id: id, verb: "BLOCK", [block.code, String(count)], text: block.title))
                for task in block.tasks {
                    lines.append(Message(id: id, verb: "TASK", [task.code, block.code], text: task.title))
                    for subtask in task.subtasks {
                        lines.append(Message(id: id, verb: "SUBTASK", [subtask.code, task.code], text: subtask.title))
                    }
                }
            }
            return lines + [.ok(verb: "BLOCK-LIST", [String(lines.count)], id: id)]

        case .competenceList(let block, let epreuve, let ref):
            let referential = try await referentials.referential(ref).referential
            if let block, referential.block(block) == nil {
                throw DomainError(.notFound, context: [block], "no block \(block)")
            }
            if let epreuve, referential.epreuve(epreuve) == nil {
                throw DomainError(.notFound, context: [String(epreuve)], "no épreuve \(epreuve)")
            }
            let lines = referential.competences(block: block, epreuve: epreuve).map { competence in
                Self.competenceLine(competence, detailed: false).message(id: id)
            }
            return lines + [.ok(verb: "COMPETENCE-LIST", [String(lines.count)], id: id)]

        case .competenceShow(let code, let ref):
            let referential = try await referentials.referential(ref).referential
            guard let competence = referential.competence(code) else {
                throw DomainError(.notFound, context: [code], "no competence \(code)")
            }
            var lines = [Self.competenceLine(competence, detailed: true).message(id: id)]
            for (index, group) in competence.criteriaGroups.enumerated() {
                let number = String(index + 1)
                if let leadIn = group.leadIn {
                    lines.append(Message(id: id, verb: "CRITERIA", [number], text: leadIn))
                }
                for criterion in group.criteria {
                    lines.append(CriterionLine(id: criterion.id, group: index + 1, text: criterion.text).message(id: id))
                }
            }
            return lines + [.ok(verb: "COMPETENCE-SHOW", [competence.code, String(competence.criteria.count)], id: id)]

        default:
            throw DomainError(.internal, "\(command.verb.rawValue) is not routed to referentialCommand")
        }
    }

    /// Scheduling rooms.
    @inline(never)
    private func schedulingCommand(
        _ command: Command, _ principal: Principal, _ session: SessionLink, _ actor: RoomActor, _ id: String?
    ) async throws -> [Message] {
        switch command {
        case .roomCreate(let room, let kind, let options, let title):
            let request = try RoomOptions.request(room: room, kind: kind, options: options, title: title)
            let state = try await planner.create(request, by: actor)
            return [RoomWire.room(state, detailed: true, id: id, for: .observer), .ok(verb: "ROOM-CREATE", [state.plan.id, String(state.lastSeq)], id: id)]

        case .roomUpdate(let room, let options, let title):
            let state = try await planner.update(room, by: actor) { plan in
                try RoomOptions.request(updating: plan, options: options, title: title)
            }
            return [RoomWire.room(state, detailed: true, id: id, for: .observer), .ok(verb: "ROOM-UPDATE", [room, String(state.lastSeq)], id: id)]

        case .roomCancel(let room, let reason):
            if let reason { try RoomState.validateReason(reason) }
            let state = try await planner.cancel(room, reason: reason, by: actor)
            return [.ok(verb: "ROOM-CANCEL", [room, String(state.lastSeq)], id: id)]

        case .roomList(let day, let stateName):
            var states = await rooms.rooms(visibleTo: actor)
            if let day {
                guard let start = WireTime.parseDay(day) else {
                    throw DomainError(.invalid, "day is a date such as 2026-12-01 (UTC)")
                }
                let end = start.addingTimeInterval(86_400)
                states = states.filter { $0.plan.start >= start && $0.plan.start < end }
            }
            if let stateName {
                guard let lifecycle = RoomLifecycle(rawValue: stateName.lowercased()) else {
                    throw DomainError(.invalid, "state is one of \(RoomLifecycle.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                // By the state each is told of: a candidate's signed room is in deliberation (§12).
                states = states.filter { $0.view(for: actor).lifecycle == lifecycle }
            }
            return states.map { RoomWire.room($0, detailed: false, id: id, for: $0.role(of: actor)) }
                + [.ok(verb: "ROOM-LIST", [String(states.count)], id: id)]

        case .roomShow(let room):
            let state = try await rooms.room(room, visibleTo: actor)
            return [RoomWire.room(state, detailed: true, id: id, for: state.role(of: actor)), .ok(verb: "ROOM-SHOW", [room], id: id)]

        default:
            throw DomainError(.internal, "\(command.verb.rawValue) is not routed to schedulingCommand")
        }
    }

    /// Joining, resuming and leaving a room; its clock.
    @inline(never)
    private func participationCommand(
        _ command: Command, _ principal: Principal, _ session: SessionLink, _ actor: RoomActor, _ id: String?
    ) async throws -> [Message] {
        switch command {
        case .join(let room):
            let state = try await rooms.join(room, subscriber: session.subscriber(actor))
            return [.ok(verb: "JOIN", [room, String(state.view(for: actor).seq)], id: id)]

        case .resume(let room, let lastSeq):
            let (result, state) = try await rooms.resume(room, after: lastSeq, subscriber: session.subscriber(actor))
            let seq = String(state.view(for: actor).seq)
            switch result {
            case .replayed(let count):
                return [.ok(verb: "RESUME", [room, seq, "replayed=\(count)"], id: id)]
            case .snapshot:
                return [.ok(verb: "RESUME", [room, seq, "snapshot"], id: id)]
            }

        case .leave(let room):
            try await rooms.leave(room, sessionID: session.id, actor: actor)
            return [.ok(verb: "LEAVE", [room], id: id)]

        case .time(let room):
            let (state, now) = try await rooms.clockReading(room, visibleTo: actor)
            var parameters = [room, state.view(for: actor).lifecycle.rawValue, String(state.phaseIndex), state.phase.name]
            parameters.append("remaining-ms=\(RoomWire.milliseconds(state.remaining(at: now)))")
            parameters.append("ends-at=\(state.endsAt.map(WireTime.format) ?? "-")")
            parameters.append("overtime=\(state.isOvertime ? "yes" : "no")")
            parameters.append("server-time=\(WireTime.format(now))")
            return [.ok(verb: "TIME", parameters, id: id)]

        case .history(let room, let limit):
            let events = try await rooms.history(room, visibleTo: actor, limit: limit ?? Command.defaultHistory)
            let lines = events.map { $0.pastMessage(id: id) }
            return lines + [.ok(verb: "HISTORY", [room, String(lines.count)], id: id)]

        default:
            throw DomainError(.internal, "\(command.verb.rawValue) is not routed to participationCommand")
        }
    }

    /// Commands that change a room: its timer, messages, marks, decisions, signatures.
    @inline(never)
    private func roomStateCommand(
        _ command: Command, _ principal: Principal, _ session: SessionLink, _ actor: RoomActor, _ id: String?, _ key: String?, request: String?
    ) async throws -> [Message] {
        switch command {
        case .timerStart(let room):
            return try await roomCommand(room, .startTimer, actor, "TIMER-START", id, key: key, request: request)
        case .timerPause(let room, let reason):
            return try await roomCommand(room, .pause(reason: reason), actor, "TIMER-PAUSE", id, key: key, request: request)
        case .timerResume(let room):
            return try await roomCommand(room, .resume, actor, "TIMER-RESUME", id, key: key, request: request)
        case .timerAdjust(let room, let seconds, let reason):
            return try await roomCommand(room, .adjust(seconds: seconds, reason: reason), actor, "TIMER-ADJUST", id, key: key, request: request)
        case .say(let room, let audience, let text):
            return try await roomCommand(room, .say(audience: audience, text: text), actor, "SAY", id, key: key, request: request)
        case .signal(let room, let kind):
            return try await roomCommand(room, .signal(kind), actor, "SIGNAL", id, key: key, request: request)
        case .acknowledge(let room, let candidate):
            return try await roomCommand(room, .acknowledge(candidate: candidate), actor, "ACKNOWLEDGE", id, key: key, request: request)
        case .outageExtend(let room, let outage):
            return try await roomCommand(room, .compensateOutage(id: outage), actor, "OUTAGE-EXTEND", id, key: key, request: request)
        case .deliberate(let room):
            return try await roomCommand(room, .deliberate, actor, "DELIBERATE", id, key: key, request: request)

        case .mark(let room, let candidate, let criterion, let mark, let comment):
            // The room checks the criterion against its own checklist (RoomState.decide).
            return try await roomCommand(room, .mark(candidate: candidate, criterion: criterion, mark: mark, comment: comment), actor, "MARK", id, key: key, request: request)

        case .propose(let room, let candidate, let competence, let decision, let comment):
            return try await roomCommand(room, .propose(candidate: candidate, competence: competence, decision: decision, comment: comment), actor, "PROPOSE", id, key: key, request: request)

        case .submit(let room):
            return try await roomCommand(room, .submitGrid, actor, "SUBMIT", id, key: key, request: request)

        case .decide(let room, let candidate, let competence, let decision, let comment):
            return try await roomCommand(room, .decide(candidate: candidate, competence: competence, decision: decision, comment: comment), actor, "DECIDE", id, key: key, request: request)

        case .sign(let room):
            return try await roomCommand(room, .sign, actor, "SIGN", id, key: key, request: request)

        case .reopen(let room, let reason):
            return try await roomCommand(room, .reopen(reason: reason), actor, "REOPEN", id, key: key, request: request)
        case .evidence(let room, let candidate, let part, let text):
            return try await roomCommand(room, .recordEvidence(candidate: candidate, part: part, text: text), actor, "EVIDENCE", id, key: key, request: request)
        case .observations(let room, let text):
            return try await roomCommand(room, .writeObservations(text: text), actor, "OBSERVATIONS", id, key: key, request: request)
        case .outageDecline(let room, let outage, let reason):
            return try await roomCommand(room, .declineOutage(id: outage, reason: reason), actor, "OUTAGE-DECLINE", id, key: key, request: request)
        case .restart(let room, let reason):
            return try await roomCommand(room, .restart(reason: reason), actor, "RESTART", id, key: key, request: request)
        case .postpone(let room, let reason):
            return try await roomCommand(room, .postpone(reason: reason), actor, "POSTPONE", id, key: key, request: request)

        default:
            throw DomainError(.internal, "\(command.verb.rawValue) is not routed to roomStateCommand")
        }
    }

    /// Reading a room's evaluation and records: outages, progress, disagreements, results, PV, audit.
    @inline(never)
    private func reportCommand(
        _ command: Command, _ principal: Principal, _ session: SessionLink, _ actor: RoomActor, _ id: String?
    ) async throws -> [Message] {
        switch command {
        case .outages(let room):
            let state = try await rooms.room(room, visibleTo: actor)
            guard state.role(of: actor) != .candidate else {
                throw DomainError(.forbidden, "the outage ledger is for the room's jurors and admins")
            }
            let declined = Set(state.records.decisions.filter { $0.kind == .declinedOutage }.compactMap(\.outage))
            let lines = state.outages.map { outage in
                Message(
                    id: id,
                    verb: "OUTAGE",
                    [
                        String(outage.id), outage.user ?? "*server*", WireTime.format(outage.from),
                        outage.to.map(WireTime.format) ?? "-", outage.seconds.map(String.init) ?? "-",
                        outage.compensatedSeconds.map { "compensated=\($0)" } ?? (outage.to == nil ? "open" : declined.contains(outage.id) ? "declined" : "not-compensated"),
                    ]
                )
            }
            return lines + [.ok(verb: "OUTAGES", [room, String(lines.count)], id: id)]

        case .progress(let room):
            let (state, referential) = try await rooms.evaluation(room, visibleTo: actor)
            guard state.role(of: actor) != .candidate else {
                throw DomainError(.forbidden, "grids are for the room's jurors and admins")
            }
            var lines: [Message] = []
            for juror in state.plan.jurors where state.gridVisible(of: juror, to: actor) {
                for (key, mark) in (state.marks[juror] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    lines.append(Message(id: id, verb: "MARK", [juror, key.candidate, key.item, mark.value.rawValue], text: mark.comment))
                }
                for (key, proposal) in (state.proposals[juror] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    lines.append(Message(id: id, verb: "PROPOSAL", [juror, key.candidate, key.item, proposal.value.rawValue], text: proposal.comment))
                }
            }
            for (key, decision) in state.decisions.sorted(by: { $0.key < $1.key }) {
                lines.append(DecisionLine(candidate: key.candidate, competence: key.item, decision: decision.value, by: decision.by, comment: decision.comment).message(id: id))
            }
            for juror in state.plan.jurors where actor.role == .admin || juror == actor.user {
                for candidate in state.plan.candidates {
                    for code in state.plan.competences {
                        let criteria = referential.competence(code)?.criteria.map(\.id) ?? []
                        let left = state.unassessed(by: juror, candidate: candidate, criteria: criteria)
                        lines.append(Message(id: id, verb: "REMAINING", [juror, candidate, code, String(left.count), left.isEmpty ? "-" : left.joined(separator: ",")]))
                    }
                }
            }
            for juror in state.plan.jurors where state.submitted.contains(juror) {
                lines.append(SubmittedLine(juror: juror).message(id: id))
            }
            for juror in state.plan.jurors {
                if let signature = state.signatures[juror] {
                    lines.append(SignatureLine(juror: juror, at: signature.at, gridHash: signature.gridHash).message(id: id))
                }
            }
            for evidence in state.records.evidence {
                lines.append(EvidenceLine(candidate: evidence.candidate, part: evidence.part, by: evidence.by, text: evidence.text).message(id: id))
            }
            if let observations = state.records.observations {
                lines.append(ObservationsLine(by: observations.by, text: observations.text).message(id: id))
            }
            // A final defence shows, beside each competence, the decision already signed in an earlier room.
            if state.plan.kind == .final {
                let all = await rooms.rooms(visibleTo: Self.staff)
                for candidate in state.plan.candidates {
                    let earlier = CandidateOutcome.earlierDecisions(of: candidate, before: state.plan.id, in: all)
                    for code in state.plan.competences {
                        guard let decision = earlier[code] else { continue }
                        lines.append(EarlierLine(candidate: candidate, competence: code, decision: decision.decision, room: decision.room, at: decision.signedAt).message(id: id))
                    }
                }
            }
            return lines + [.ok(verb: "PROGRESS", [room, state.lifecycle.rawValue, String(lines.count)], id: id)]

        case .disagreements(let room):
            let state = try await rooms.room(room, visibleTo: actor)
            guard state.role(of: actor) != .candidate else {
                throw DomainError(.forbidden, "proposals are for the room's jurors and admins")
            }
            guard state.plan.jurors.allSatisfy({ state.gridVisible(of: $0, to: actor) }) else {
                throw DomainError(.wrongState, context: ["blind"], "in a blind room the proposals are compared once both grids are submitted")
            }
            let lines = state.disagreements.map { disagreement in
                Message(
                    id: id,
                    verb: "DISAGREEMENT",
                    [disagreement.candidate, disagreement.competence] + state.plan.jurors.map { juror in
                        "\(juror)=\((disagreement.proposals[juror] ?? nil)?.rawValue ?? "-")"
                    }
                )
            }
            return lines + [.ok(verb: "DISAGREEMENTS", [room, String(lines.count)], id: id)]

        case .results(let roomFilter, let day):
            var states = if let roomFilter { [try await rooms.room(roomFilter, visibleTo: actor)] } else { await rooms.rooms(visibleTo: actor) }
            if let day {
                guard let start = WireTime.parseDay(day) else {
                    throw DomainError(.invalid, "day is a date such as 2026-12-01 (UTC)")
                }
                states = states.filter { $0.plan.start >= start && $0.plan.start < start.addingTimeInterval(86_400) }
            }
            var lines: [Message] = []
            for state in states where state.lifecycle != .cancelled {
                for candidate in state.plan.candidates {
                    for code in state.plan.competences {
                        let decision = state.decisions[GridKey(candidate: candidate, item: code)]
                        lines.append(Message(
                            id: id,
                            verb: "RESULT",
                            [state.plan.id, candidate, code, decision?.value.rawValue ?? "-", state.lifecycle == .signed ? "signed" : "provisional"],
                            text: decision?.comment
                        ))
                    }
                }
            }
            return lines + [.ok(verb: "RESULTS", [String(lines.count)], id: id)]

        case .pv(let room, let format, let lang):
            let record = try await rooms.record(room, visibleTo: actor)
            let state = record.state
            var people: [String: User] = [:]
            let actors = state.plan.participants + state.reopenings.map(\.by) + state.records.decisions.map(\.by) + state.records.evidence.map(\.by)
            for person in actors where people[person] == nil {
                people[person] = try await accounts.user(person)
            }
            // Beside a final defence's competences: the decisions already signed in the candidate's other rooms.
            var earlier: [String: [String: SignedDecision]] = [:]
            if state.plan.kind == .final {
                let all = await rooms.rooms(visibleTo: Self.staff)
                for candidate in state.plan.candidates {
                    earlier[candidate] = CandidateOutcome.earlierDecisions(of: candidate, before: state.plan.id, in: all)
                }
            }
            let document = ProcesVerbal(
                state: state, events: record.events, referential: record.referential, people: people, earlier: earlier,
                fingerprint: record.fingerprint, generatedAt: record.at, language: RecordLanguage(rawValue: lang ?? "fr") ?? .fr,
                timeZone: timeZone
            )
            let text = format == "html" ? document.html : document.markdown
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Message(id: id, verb: "PV", [], text: String($0)) }
            return lines + [.ok(verb: "PV", [room, format ?? "markdown", String(lines.count), "fingerprint=\(record.fingerprint)"], id: id)]

        case .audit(let room):
            // Admins only (AccessPolicy), so no visibility check: a room that cannot be loaded is audited too.
            let report: RoomStore.AuditReport
            do {
                report = try await rooms.audit(room: room)
            } catch RoomStore.AuditError.unknownRoom(let room) {
                throw DomainError(.notFound, context: [room], "no room \(room)")
            }
            let lines = report.breaks.map { broken in
                Message(id: id, verb: "BROKEN", [broken.room, String(broken.seq)], text: broken.problem)
            }
            return lines + [.ok(verb: "AUDIT", ["rooms=\(report.rooms)", "events=\(report.events)", "broken=\(report.breaks.count)"], id: id)]

        default:
            throw DomainError(.internal, "\(command.verb.rawValue) is not routed to reportCommand")
        }
    }

    /// Runs a room command; the reply carries the room's sequence number after it.
    private func roomCommand(_ room: String, _ command: RoomCommand, _ actor: RoomActor, _ verb: String, _ id: String?, key: String?, request: String?) async throws -> [Message] {
        switch try await rooms.perform(room, command, by: actor, key: key, request: request) {
        case .done(let state, let changed):
            // A command that changed nothing (a mark repeated with its value, a second SUBMIT) says so (PROTOCOL.md §4.1).
            let seq = state.view(for: actor).seq
            return [.ok(verb: verb, [room, String(seq)] + (changed ? [] : ["unchanged"]), id: id)]
        case .replayed(let seq):
            // A key already committed: the original reply, flagged, and nothing done again (PROTOCOL.md §4.4).
            return [.ok(verb: verb, [room, String(seq), "replayed"], id: id)]
        }
    }

    /// An idempotency key: 1 to 64 characters among `A-Z a-z 0-9 . _ : -`.
    static func validateKey(_ key: String, verb: Verb) throws(DomainError) {
        let allowed = key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || ".-_:".unicodeScalars.contains($0) }
        guard (1...64).contains(key.count), allowed else {
            throw DomainError(.badArguments, "an idempotency key (@key=) is 1 to 64 characters among A-Z a-z 0-9 . _ : -")
        }
    }

    /// Validates and runs a CSV day import.
    func importDay(_ lines: [String], for principal: Principal, id: String?) async throws -> [Message] {
        let day = DayImport(lines: lines)
        let faults = try await planner.importDay(day, by: RoomActor(user: principal.user.id, role: principal.user.role))
        guard faults.isEmpty else {
            let lines = faults.map { fault in
                Message(id: id, verb: "IMPORT-ERROR", [String(fault.line), fault.code.rawValue], text: fault.text)
            }
            return lines + [.fail(verb: "DAY-IMPORT", code: .importFailed, context: [String(faults.count)], text: "nothing was imported; fix the lines listed", id: id)]
        }
        return [.ok(verb: "DAY-IMPORT", ["users=\(day.users.count)", "rooms=\(day.rooms.count)"], id: id)]
    }

    /// A competence as `COMPETENCE-LIST` (`detailed: false`) and `COMPETENCE-SHOW` write it.
    static func competenceLine(_ competence: Referential.Competence, detailed: Bool) -> CompetenceLine {
        CompetenceLine(
            code: competence.code, block: competence.block, epreuve: competence.epreuve, epreuveStated: competence.epreuveStated,
            task: detailed ? competence.task : nil, subtask: detailed ? competence.subtask : nil,
            hours: detailed ? competence.preparationHours.map { "\($0)" } : nil, criteria: competence.criteria.count, title: competence.title
        )
    }

    /// `USER <id> <role> <active|disabled> [email=] [track=] [number=] [legal-name=] [capacity=] :<display name>`.
    static func userLine(_ user: User, id: String?) -> Message {
        Message(
            id: id,
            verb: "USER",
            [user.id, user.role.rawValue, user.isActive ? "active" : "disabled"] + (user.email.map { ["email=\($0)"] } ?? []) + user.fields.options,
            text: user.displayName
        )
    }

    /// The account `changes` make of `user`, checked as USER-CREATE checks a new one.
    static func apply(_ changes: AccountChanges, to user: User, referential: Referential) throws(DomainError) -> User {
        var changed = user
        func value(_ change: FieldChange?, _ current: String?) -> String? {
            switch change {
            case nil: current
            case .clear?: nil
            case .set(let value)?: value
            }
        }
        changed.email = value(changes.email, user.email)
        if let email = changed.email, changes.email != nil { try AccountRules.validateEmail(email) }
        if let name = changes.displayName {
            try AccountRules.validateDisplayName(name)
            changed.displayName = name
        }
        let fields = AccountFields(
            track: value(changes.track, user.fields.track), number: value(changes.number, user.fields.number),
            legalName: value(changes.legalName, user.fields.legalName), capacity: value(changes.capacity, user.fields.capacity)
        )
        changed.fields = try AccountRules.validate(fields, role: user.role, referential: referential)
        return changed
    }

    private func emailOption(_ user: User) -> [String] {
        user.email.map { ["email=\($0)"] } ?? []
    }
}
