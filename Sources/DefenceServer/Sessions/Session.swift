import DefenceCore
import DefenceProtocol
import DefenceStore
import Foundation
import Logging
import DefenceChannel
import NIOCore

/// Shared, server-wide things a session needs.
struct ServerContext: Sendable {
    let configuration: ServerConfiguration
    let accounts: AccountStore
    let registry: SessionRegistry
    let authGate: AuthGate
    let router: CommandRouter
    let rooms: RoomHub
    let logger: Logger
    let serverName: String
}

/// One client connection: executes what its ``SessionMachine`` decides (greeting, authentication, deadlines, the
/// flood guard, `DAY-IMPORT`'s payload) and carries out its requests.
///
/// Lines to send go through a bounded outbox flushed on the connection's event loop; a peer that lets the
/// outbox fill up is closed with `SLOW_CONSUMER`.
actor Session: DrivenSession {
    nonisolated let id: UInt64
    let address: String
    let context: ServerContext
    let outbox: Outbox
    let channel: Channel
    private var machine: SessionMachine
    // Liveness uses the monotonic clock, never the domain clock.
    private let startedAt: ContinuousClock.Instant
    private var watchdog: Scheduled<Void>?
    /// Where the deadline checks run: the connection's event loop.
    private let checkExecutor: EventLoopTaskExecutor
    private var logger: Logger

    /// - Parameter executor: the connection's event loop as a task executor, where its deadline checks run.
    init(id: UInt64, address: String, context: ServerContext, outbox: Outbox, channel: Channel, executor: EventLoopTaskExecutor) {
        self.id = id
        self.address = address
        self.context = context
        self.outbox = outbox
        self.channel = channel
        self.checkExecutor = executor
        self.machine = SessionMachine(settings: Self.settings(context))
        self.startedAt = ContinuousClock.now
        var logger = context.logger
        logger[metadataKey: "session"] = "\(id)"
        logger[metadataKey: "peer"] = "\(address)"
        self.logger = logger
    }

    private static func settings(_ context: ServerContext) -> SessionMachine.Settings {
        let configuration = context.configuration
        var settings = SessionMachine.Settings()
        settings.limits = configuration.limits
        settings.authTimeout = configuration.authTimeout
        settings.pingInterval = configuration.pingInterval
        settings.idleTimeout = configuration.idleTimeout
        settings.linesPerSecond = configuration.linesPerSecond
        settings.lineBurst = configuration.lineBurst
        settings.outboundQueueLimit = configuration.outboundQueueLimit
        settings.serverName = context.serverName
        return settings
    }

    private var configuration: ServerConfiguration { context.configuration }

    /// Both clocks, now.
    private var now: SessionMachine.Now {
        SessionMachine.Now(elapsed: ContinuousClock.now - startedAt, wall: configuration.now())
    }

    /// Registers the session, then greets the peer and starts the deadlines; while the server shuts down, the
    /// registry refuses it and the peer is told so.
    func open() async {
        if await context.registry.register(self) {
            await start()
        } else {
            await terminate(.shuttingDown, "server is shutting down")
        }
    }

    /// Sends the greeting and starts the deadlines.
    private func start() async {
        await perform(machine.start(at: now))
        scheduleWatchdog()
    }

    // MARK: Input

    /// Handles one frame from the peer.
    func receive(_ frame: InboundFrame) async {
        let input: SessionMachine.Frame
        switch frame {
        case .line(let bytes): input = .line(bytes)
        case .overlong(let count): input = .overlong(count: count)
        }
        await perform(machine.receive(input, at: now))
    }

    /// Carries out the machine's actions, in order.
    private func perform(_ actions: [SessionMachine.Action]) async {
        for action in actions {
            switch action {
            case .send(let message):
                send(message)
            case .close:
                close()
                // After QUIT the person has left now, not when the client gets round to closing its socket.
                if machine.quitCleanly { await leave() }
            case .authenticate(let token, let id):
                await authenticate(token: token, id: id)
            case .execute(let command, let principal, let id, let key):
                await execute(command.verb.rawValue, id: id) {
                    try await self.context.router.execute(command, for: principal, session: self.link(for: principal), id: id, key: key)
                }
            case .importDay(let lines, let principal, let id):
                await execute("DAY-IMPORT", id: id) {
                    try await self.context.router.importDay(lines, for: principal, id: id)
                }
            }
        }
    }

    /// Runs a request and sends its reply, or the refusal it threw.
    private func execute(_ verb: String, id: String?, _ body: () async throws -> [Message]) async {
        do {
            await sendReply(try await body())
        } catch let error as DomainError {
            send(.fail(verb: verb, code: error.code, context: error.context, text: error.text, id: id))
        } catch {
            logger.error("request failed", metadata: ["verb": "\(verb)", "error": "\(error)"])
            send(.fail(verb: verb, code: .internal, text: "the server could not carry out the request; nothing was changed", id: id))
        }
    }

    /// How the room hub reaches this session.
    private func link(for principal: Principal) -> SessionLink {
        let outbox = self.outbox
        let sessionID = self.id
        return SessionLink(id: sessionID) { [weak self] actor in
            RoomSubscriber(
                sessionID: sessionID,
                actor: actor,
                deliver: { bytes in
                    if case .dropped = outbox.yield(encoded: bytes) { return false }
                    return true
                },
                deliverBeforeReply: { line in
                    if case .dropped = outbox.yield(line, wakingTheWriter: false) { return false }
                    return true
                },
                overflow: { [weak self] in
                    Task { await self?.overflowed() }
                }
            )
        }
    }

    /// The room hub found this session's queue full.
    func overflowed() {
        guard !isClosed else { return }
        slowConsumer()
    }

    /// Checks an `AUTH` token and reports the outcome to the machine.
    private func authenticate(token: String, id: String?) async {
        // Read before the token check: a revocation committed after the check but before this session is
        // registered below is then still seen (the registry refuses the session).
        let revocationEpoch = context.registry.revocationEpoch
        do {
            guard let (user, accessToken) = try await context.accounts.authenticate(secret: token, now: configuration.now())
            else {
                logger.notice("authentication failed")
                await fail(.unknownToken, delayed: true)
                return
            }
            guard machine.isAuthenticating else { return }
            if user.role == .admin, configuration.adminClientCAPath != nil {
                let presented = await ClientCertificate.commonName(on: channel)
                guard presented == user.id else {
                    logger.warning("admin token without the admin's client certificate", metadata: ["user": "\(user.id)", "certificate": "\(presented ?? "none")"])
                    await fail(.clientCertificateRequired, delayed: true)
                    return
                }
                // The certificate check awaited: the session may have closed meanwhile.
                guard machine.isAuthenticating else { return }
            }
            // Registered under its token before it acts: from here, a revocation closes this session; before, the
            // registry refuses it.
            guard await context.registry.authenticated(self.id, userID: user.id, tokenID: accessToken.id, checkedSince: revocationEpoch)
            else {
                logger.notice("token revoked or account disabled while it was being checked", metadata: ["user": "\(user.id)"])
                await fail(.unknownToken, delayed: false)
                return
            }
            guard machine.isAuthenticating else { return }
            logger[metadataKey: "user"] = "\(user.id)"
            logger.info("authenticated", metadata: ["role": "\(user.role.rawValue)", "token": "\(accessToken.id)"])
            await perform(machine.authenticated(Principal(user: user, tokenID: accessToken.id), at: now))
        } catch {
            logger.error("authentication lookup failed", metadata: ["error": "\(error)"])
            await fail(.lookupFailed, delayed: false)
        }
    }

    /// Answers a failed authentication, after the delay its address has earned when `delayed` (PROTOCOL.md §6.3):
    /// only failures wait, so a right token is never held up by the failures of others at the same address.
    private func fail(_ failure: SessionMachine.AuthenticationFailure, delayed: Bool) async {
        if delayed {
            let wait = await context.authGate.failed(address, at: Date())
            if wait > 0 {
                try? await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up))))
            }
        }
        await perform(machine.authenticationFailed(failure, at: now))
    }

    // MARK: Output

    /// Queues a reply's lines, data lines first: a one-line reply at once, a longer one (lists, PVs) as the peer
    /// reads it, a chunk at a time and outside the bound on queued events (PROTOCOL.md §4.1).
    private func sendReply(_ lines: [Message]) async {
        guard lines.count > 1 else {
            for line in lines { send(line) }
            return
        }
        var next = 0
        while next < lines.count, !isClosed {
            let chunk = lines[next..<min(lines.count, next + Outbox.replyChunk)].map(\.serialized)
            next += chunk.count
            if case .terminated = await outbox.yield(reply: chunk) {
                outputEnded()
                return
            }
            // The writer took the previous chunk: the peer reads. A long reply is not silence (§6.5).
            machine.peerRead(at: now)
        }
    }

    /// Whether nothing more is written to the peer.
    private var outputClosed = false

    /// Queues a line for the peer. A full queue closes the connection with `SLOW_CONSUMER`.
    func send(_ message: Message) {
        guard !outputClosed else { return }
        switch outbox.yield(message.serialized) {
        case .enqueued:
            break
        case .dropped:
            slowConsumer()
        case .terminated:
            outputEnded()
        }
    }

    /// Nothing more is read or written.
    private func outputEnded() {
        outputClosed = true
        machine.ended()
        watchdog?.cancel()
    }

    private func slowConsumer() {
        logger.warning("slow consumer disconnected")
        outputEnded()
        // The queued lines are dropped and the reason goes ahead of them, right after what the socket already
        // holds; once it is written, the output is closed (TLS close_notify, then FIN) and the input read to its end,
        // so that a peer that reads again finds the reason before the end (a socket closed with unread input would
        // reset the connection, and the peer could lose it).
        outbox.abort()
        let line = Message.fail(verb: "*", code: .slowConsumer, text: "too many unread lines; reconnect and RESUME")
        let channel = self.channel
        channel.writeAndFlush(ByteBuffer(line: line.serialized)).whenComplete { result in
            if case .success = result { channel.close(mode: .output, promise: nil) } else { channel.close(promise: nil) }
        }
        // A peer that reads nothing never lets that write complete, nor closes: cut it off after the grace period.
        channel.eventLoop.scheduleTask(in: .milliseconds(Int64(configuration.slowConsumerGrace * 1000))) { channel.close(promise: nil) }
        // For the server and its rooms the session ends now (presence, outage ledger), not when the socket does.
        Task {
            await context.registry.linger(id)
            await self.leave()
        }
    }

    /// The server stops: an open session is told and closed; one already closed but still connected (a slow
    /// consumer given time to read its reason) is cut off now.
    func shutDown() async {
        guard !isClosed else {
            channel.close(promise: nil)
            return
        }
        await terminate(.shuttingDown, "server is shutting down")
    }

    /// Sends `FAIL * <code>` and closes the connection once the line is written.
    func terminate(_ code: ErrorCode, _ text: String) async {
        guard !isClosed else { return }
        logger.info("closing session", metadata: ["code": "\(code.rawValue)"])
        await perform(machine.terminate(code, text))
    }

    /// Stops accepting input; the writer flushes what is queued, then closes the connection. A peer that
    /// does not take the last lines within ``closeGrace`` (or never finished its TLS handshake) is cut off.
    private func close() {
        outputEnded()
        outbox.finish()
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
    }

    /// Whether the session is closed: nothing more is read or written.
    var isClosed: Bool { outputClosed }

    /// How long a closing connection may take to drain its last lines.
    static let closeGrace = TimeAmount.seconds(2)

    /// Called when the connection is gone, whoever closed it.
    func connectionEnded() async {
        outputEnded()
        outbox.finish()
        await context.registry.remove(id)
        // Again after a slow consumer left early: a JOIN still in flight then may have attached it since.
        await leave()
    }

    /// Takes the session out of its rooms (presence, outage ledger). Safe to repeat: a session out of a room is
    /// left alone.
    private func leave() async {
        if let principal = machine.principal {
            await context.rooms.sessionEnded(id, actor: RoomActor(user: principal.user.id, role: principal.user.role), clean: machine.quitCleanly)
        }
    }

    // MARK: Deadlines

    /// Checks the deadlines now, then at each next deadline, from a timer of the connection's event loop.
    ///
    /// No task waits between checks: a sleeping task per connection held its allocator's slabs and a copy of
    /// the task-local values (about 8 KB per connection, heaptrack; docs/performance.md). Each check runs in a
    /// task of its own on the connection's event loop, freed when it ends.
    private func scheduleWatchdog() {
        scheduleCheck(after: .zero)
    }

    private func scheduleCheck(after wait: Duration) {
        guard !outputClosed else { return }
        let loop = channel.eventLoop
        let executor = checkExecutor
        watchdog = loop.scheduleTask(in: TimeAmount(max(wait, .milliseconds(1)))) { [weak self] in
            guard let self else { return }
            Task(executorPreference: executor) { await self.check() }
        }
    }

    private func check() async {
        guard !outputClosed, let wait = await tick() else { return }
        scheduleCheck(after: wait)
    }

    /// Lets the machine enforce its deadlines; returns how long to wait before the next check, or `nil` when done.
    private func tick() async -> Duration? {
        await perform(machine.tick(at: now))
        guard let deadline = machine.nextDeadline else { return nil }
        return deadline - now.elapsed
    }
}
