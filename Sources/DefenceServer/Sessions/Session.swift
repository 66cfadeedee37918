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

/// One client connection's protocol state: greeting, authentication, deadlines, request handling.
///
/// Lines to send go through a bounded outbox drained by the connection's writer; a peer that lets the
/// outbox fill up is closed with `SLOW_CONSUMER`.
actor Session {
    enum State {
        case unauthenticated
        case authenticated(Principal)
        case closed
    }

    nonisolated let id: UInt64
    let address: String
    let context: ServerContext
    let outbox: Outbox
    let channel: Channel
    let parser: LineParser
    private var state: State = .unauthenticated
    // Liveness uses the monotonic clock, never the domain clock.
    private let startedAt: ContinuousClock.Instant
    private var lastInbound: ContinuousClock.Instant
    private var pingedSinceInput = false
    private var pingCounter = 0
    private var watchdog: Task<Void, Never>?
    private var logger: Logger
    /// While `DAY-IMPORT` collects its CSV lines: how many are expected, those read, the request id, and the first
    /// line that was refused (the import then fails, but only once every announced line was read).
    private var importing: (expected: Int, lines: [String], id: String?, fault: (line: Int, code: ErrorCode, text: String)?)?
    /// The flood guard: a token bucket of lines.
    private var tokens: Double
    private var tokensAt = ContinuousClock.now

    init(id: UInt64, address: String, context: ServerContext, outbox: Outbox, channel: Channel) {
        self.id = id
        self.address = address
        self.context = context
        self.outbox = outbox
        self.channel = channel
        self.parser = LineParser(limits: context.configuration.limits)
        self.tokens = context.configuration.lineBurst
        let now = ContinuousClock.now
        self.startedAt = now
        self.lastInbound = now
        var logger = context.logger
        logger[metadataKey: "session"] = "\(id)"
        logger[metadataKey: "peer"] = "\(address)"
        self.logger = logger
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    private var configuration: ServerConfiguration { context.configuration }

    /// Sends the greeting and starts the deadlines.
    func start() {
        send(greeting(verb: "HELLO", id: nil))
        scheduleWatchdog()
    }

    private func greeting(verb: String, id: String?) -> Message {
        let limits = configuration.limits
        return Message(
            id: id,
            verb: verb,
            (verb == "OK" ? ["HELLO"] : []) + [
                ProtocolVersion.current,
                "server=\(context.serverName)",
                "max-line=\(limits.maxLineBytes)",
                "max-params=\(limits.maxParameters)",
                "auth-timeout=\(Self.seconds(configuration.authTimeout))",
                "ping-interval=\(Self.seconds(configuration.pingInterval))",
                "idle-timeout=\(Self.seconds(configuration.idleTimeout))",
                "time=\(WireTime.format(configuration.now()))",
                // Protocol 1.1 (§6.1): the flood guard, the outbound queue, and the verbs this server knows.
                "rate=\(Self.seconds(configuration.linesPerSecond))",
                "burst=\(Self.seconds(configuration.lineBurst))",
                "queue=\(configuration.outboundQueueLimit)",
                "verbs=\(Verb.allCases.map(\.rawValue).joined(separator: ","))",
            ]
        )
    }

    private static func seconds(_ interval: TimeInterval) -> String {
        interval == interval.rounded() ? String(Int(interval)) : String(interval)
    }

    // MARK: Input

    /// Handles one frame from the peer.
    func receive(_ frame: InboundFrame) async {
        guard !isClosed else { return }
        lastInbound = ContinuousClock.now
        pingedSinceInput = false
        switch frame {
        case .overlong(let count):
            terminate(
                .lineTooLong,
                "line exceeds the maximum of \(configuration.limits.maxLineBytes) bytes (read \(count) so far)"
            )
        case .line(let bytes) where importing != nil:
            await collectImportLine(bytes)
        case .line(let bytes):
            // Every line counts against the flood guard, blank or unreadable ones too (PROTOCOL.md §6.6).
            let allowed = takeToken()
            let limited = "too many lines; at most \(Int(configuration.linesPerSecond)) a second on average"
            do throws(WireError) {
                guard let message = try parser.parse(bytes) else { return }
                guard allowed else {
                    // A PONG is never answered, not even to say it came too fast.
                    if message.verb != Verb.pong.rawValue { send(.fail(verb: message.verb, code: .rateLimited, text: limited, id: message.id)) }
                    return
                }
                await handle(message)
            } catch {
                if error.code.closesConnection {
                    terminate(error.code, error.text)
                } else if !allowed {
                    send(.fail(verb: "*", code: .rateLimited, text: limited, id: error.requestID))
                } else {
                    send(error.failMessage)
                }
            }
        }
    }

    private func handle(_ message: Message) async {
        let id = message.id
        let command: Command
        do throws(WireError) {
            let verb = try Command.verb(of: message)
            // PONG answers the server's PING and gets no reply, whatever it holds (§6.4): it only counts as activity.
            if verb == .pong { return }
            switch state {
            case .closed:
                return
            case .unauthenticated:
                guard Verb.beforeAuthentication.contains(verb) else {
                    send(.fail(verb: verb.rawValue, code: .authRequired, text: "authenticate first with AUTH <token>", id: id))
                    return
                }
            case .authenticated(let principal):
                guard AccessPolicy.allows(principal.user.role, verb) else {
                    send(.fail(verb: verb.rawValue, code: .forbidden, text: "\(verb.rawValue) is not allowed for role \(principal.user.role.rawValue)", id: id))
                    return
                }
            }
            command = try Command(message)
        } catch {
            send(error.failMessage)
            return
        }

        switch command {
        case .hello(let version):
            if version.lowercased() == ProtocolVersion.current {
                send(greeting(verb: "OK", id: id))
            } else {
                send(.fail(verb: "HELLO", code: .unsupportedVersion, context: [version], text: "this server speaks \(ProtocolVersion.current)", id: id))
            }
        case .auth(let token):
            await authenticate(token: token, id: id)
        case .ping(let token):
            send(Message(id: id, verb: "PONG", [WireTime.format(configuration.now())] + (token.map { [$0] } ?? [])))
        case .pong:
            break
        case .quit:
            send(.ok(verb: "QUIT", text: "bye", id: id))
            close()
        case .dayImport(let count):
            // The lines come only after this reply, each behind `|`: a refused request is followed by nothing, and a
            // CSV line is never read as a command (PROTOCOL.md §11.2).
            importing = (count, [], id, nil)
            send(Message(id: id, verb: "CONTINUE", ["DAY-IMPORT", String(count)], text: "send \(count) lines, each starting with |"))
        default:
            guard case .authenticated(let principal) = state else { return }
            do {
                let lines = try await context.router.execute(command, for: principal, session: link(for: principal), id: id)
                await sendReply(lines)
            } catch let error as DomainError {
                send(.fail(verb: command.verb.rawValue, code: error.code, context: error.context, text: error.text, id: id))
            } catch {
                logger.error("request failed", metadata: ["verb": "\(command.verb.rawValue)", "error": "\(error)"])
                send(.fail(verb: command.verb.rawValue, code: .internal, text: "the server could not carry out the request; nothing was changed", id: id))
            }
        }
    }

    /// Refills the bucket for the time elapsed and takes one line from it.
    private func takeToken() -> Bool {
        let now = ContinuousClock.now
        tokens = min(configuration.lineBurst, tokens + (now - tokensAt).timeInterval * configuration.linesPerSecond)
        tokensAt = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// How the room hub reaches this session.
    private func link(for principal: Principal) -> SessionLink {
        let outbox = self.outbox
        let sessionID = self.id
        return SessionLink(id: sessionID) { [weak self] actor in
            RoomSubscriber(
                sessionID: sessionID,
                actor: actor,
                deliver: { line in
                    if case .dropped = outbox.yield(line) { return false }
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

    /// Reads one line of a `DAY-IMPORT`'s payload; runs the import once all have arrived.
    ///
    /// Exactly the announced number of lines is read, whatever they hold: a line that is not `|` and UTF-8 text
    /// without control characters fails the import, but the lines after it are still read as its payload, never as
    /// commands.
    private func collectImportLine(_ bytes: [UInt8]) async {
        guard var pending = importing else { return }
        var line = bytes[...]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let number = pending.lines.count + 1
        let text = line.first == UInt8(ascii: "|") ? String(validating: line.dropFirst(), as: UTF8.self) : nil
        let problem: (ErrorCode, String)? =
            line.first != UInt8(ascii: "|") ? (.malformed, "does not start with |")
            : text == nil ? (.invalidUTF8, "is not valid UTF-8")
            : text?.unicodeScalars.contains(where: LineParser.isControl) == true ? (.invalidCharacter, "holds a control character")
            : nil
        pending.lines.append(problem == nil ? text ?? "" : "")
        if let (code, why) = problem, pending.fault == nil {
            pending.fault = (number, code, "CSV line \(number) \(why); nothing was imported")
        }
        guard pending.lines.count == pending.expected else {
            importing = pending
            return
        }
        importing = nil
        if let fault = pending.fault {
            send(.fail(verb: "DAY-IMPORT", code: fault.code, context: [String(fault.line)], text: fault.text, id: pending.id))
            return
        }
        guard case .authenticated(let principal) = state else { return }
        do {
            await sendReply(try await context.router.importDay(pending.lines, for: principal, id: pending.id))
        } catch let error as DomainError {
            send(.fail(verb: "DAY-IMPORT", code: error.code, context: error.context, text: error.text, id: pending.id))
        } catch {
            logger.error("day import failed", metadata: ["error": "\(error)"])
            send(.fail(verb: "DAY-IMPORT", code: .internal, text: "the server could not carry out the import; nothing was changed", id: pending.id))
        }
    }

    private func authenticate(token: String, id: String?) async {
        if case .authenticated = state {
            send(.fail(verb: "AUTH", code: .alreadyAuthenticated, text: "this session is already authenticated", id: id))
            return
        }
        // Read before the token check: a revocation committed after the check but before this session is
        // registered below is then still seen (the registry refuses the session).
        let revocationEpoch = context.registry.revocationEpoch
        do {
            guard let (user, accessToken) = try await context.accounts.authenticate(secret: token, now: configuration.now())
            else {
                logger.notice("authentication failed")
                await answerFailure(.fail(verb: "AUTH", code: .authFailed, text: "token is unknown, expired or revoked, or the account is disabled", id: id))
                return
            }
            guard case .unauthenticated = state else { return }
            if user.role == .admin, configuration.adminClientCAPath != nil {
                let presented = await ClientCertificate.commonName(on: channel)
                guard presented == user.id else {
                    logger.warning("admin token without the admin's client certificate", metadata: ["user": "\(user.id)", "certificate": "\(presented ?? "none")"])
                    await answerFailure(.fail(
                        verb: "AUTH", code: .clientCertificateRequired,
                        text: "admins must connect with their client certificate (--client-cert/--client-key) issued for their user id",
                        id: id
                    ))
                    return
                }
                // The certificate check awaited: the session may have closed meanwhile.
                guard case .unauthenticated = state else { return }
            }
            // Registered under its token before it acts: from here, a revocation closes this session; before, the
            // registry refuses it.
            guard await context.registry.authenticated(self.id, userID: user.id, tokenID: accessToken.id, checkedSince: revocationEpoch)
            else {
                logger.notice("token revoked or account disabled while it was being checked", metadata: ["user": "\(user.id)"])
                send(.fail(verb: "AUTH", code: .authFailed, text: "token is unknown, expired or revoked, or the account is disabled", id: id))
                return
            }
            guard case .unauthenticated = state else { return }
            state = .authenticated(Principal(user: user, tokenID: accessToken.id))
            logger[metadataKey: "user"] = "\(user.id)"
            logger.info("authenticated", metadata: ["role": "\(user.role.rawValue)", "token": "\(accessToken.id)"])
            send(.ok(verb: "AUTH", [user.id, user.role.rawValue], text: user.displayName, id: id))
        } catch {
            logger.error("authentication lookup failed", metadata: ["error": "\(error)"])
            send(.fail(verb: "AUTH", code: .internal, text: "the server could not check the token", id: id))
        }
    }

    /// Answers a failed authentication after the delay its address has earned (PROTOCOL.md §6.3): only failures
    /// wait, so a right token is never held up by the failures of others at the same address.
    private func answerFailure(_ reply: Message) async {
        let wait = await context.authGate.failed(address, at: Date())
        if wait > 0 {
            try? await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up))))
        }
        send(reply)
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
                rememberPrincipal()
                state = .closed
                return
            }
            // The writer took the previous chunk: the peer reads. A long reply is not silence (§6.5).
            lastInbound = ContinuousClock.now
        }
    }

    /// Queues a line for the peer. A full queue closes the connection with `SLOW_CONSUMER`.
    func send(_ message: Message) {
        guard !isClosed else { return }
        switch outbox.yield(message.serialized) {
        case .enqueued:
            break
        case .dropped:
            slowConsumer()
        case .terminated:
            rememberPrincipal()
            state = .closed
        }
    }

    private func slowConsumer() {
        logger.warning("slow consumer disconnected")
        rememberPrincipal()
        state = .closed
        watchdog?.cancel()
        // The queued lines are dropped and the reason goes ahead of them, right after what the socket already
        // holds; once it is written, the output is closed (TLS close_notify, then FIN) and the input read to its end,
        // so that a peer that reads again finds the reason before the end (a socket closed with unread input would
        // reset the connection, and the peer could lose it).
        outbox.abort()
        let line = Message.fail(verb: "*", code: .slowConsumer, text: "too many unread lines; reconnect and RESUME")
        let channel = self.channel
        channel.writeAndFlush(ByteBuffer(string: line.serialized + "\n")).whenComplete { result in
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
    func shutDown() {
        guard !isClosed else {
            channel.close(promise: nil)
            return
        }
        terminate(.shuttingDown, "server is shutting down")
    }

    /// Sends `FAIL * <code>` and closes the connection once the line is written.
    func terminate(_ code: ErrorCode, _ text: String) {
        guard !isClosed else { return }
        logger.info("closing session", metadata: ["code": "\(code.rawValue)"])
        send(.fail(verb: "*", code: code, text: text))
        close()
    }

    /// Stops accepting input; the writer flushes what is queued, then closes the connection. A peer that
    /// does not take the last lines within ``closeGrace`` (or never finished its TLS handshake) is cut off.
    private func close() {
        rememberPrincipal()
        state = .closed
        watchdog?.cancel()
        outbox.finish()
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
    }

    private func rememberPrincipal() {
        if case .authenticated(let principal) = state { endedPrincipal = principal }
    }

    /// How long a closing connection may take to drain its last lines.
    static let closeGrace = TimeAmount.seconds(2)

    /// Called when the connection is gone, whoever closed it.
    func connectionEnded() async {
        let wasAuthenticated: Principal?
        if case .authenticated(let principal) = state { wasAuthenticated = principal } else { wasAuthenticated = nil }
        state = .closed
        endedPrincipal = endedPrincipal ?? wasAuthenticated
        watchdog?.cancel()
        outbox.finish()
        await context.registry.remove(id)
        // Again after a slow consumer left early: a JOIN still in flight then may have attached it since.
        await leave()
    }

    /// Takes the session out of its rooms (presence, outage ledger). Safe to repeat: a session out of a room is
    /// left alone.
    private func leave() async {
        if let principal = endedPrincipal {
            await context.rooms.sessionEnded(id, actor: RoomActor(user: principal.user.id, role: principal.user.role))
        }
    }

    private var endedPrincipal: Principal?

    // MARK: Deadlines

    private func scheduleWatchdog() {
        watchdog = Task { [weak self] in
            while !Task.isCancelled {
                guard let self, let wait = await self.tick() else { return }
                try? await Task.sleep(for: .milliseconds(max(1, Int64((wait * 1000).rounded(.up)))))
            }
        }
    }

    /// Enforces the auth deadline and idleness; returns how long to wait before the next check, or `nil` when done.
    private func tick() -> TimeInterval? {
        guard !isClosed else { return nil }
        let now = ContinuousClock.now
        var nextCheck = TimeInterval.infinity
        if case .unauthenticated = state {
            let left = configuration.authTimeout - (now - startedAt).timeInterval
            if left <= 0 {
                terminate(.authTimeout, "no successful AUTH within \(Self.seconds(configuration.authTimeout)) seconds")
                return nil
            }
            nextCheck = min(nextCheck, left)
        }
        let silence = (now - lastInbound).timeInterval
        if silence >= configuration.idleTimeout {
            terminate(.idleTimeout, "no input for \(Self.seconds(configuration.idleTimeout)) seconds")
            return nil
        }
        nextCheck = min(nextCheck, configuration.idleTimeout - silence)
        if silence >= configuration.pingInterval {
            if !pingedSinceInput {
                pingedSinceInput = true
                pingCounter += 1
                send(Message(verb: "PING", parameters: ["s\(pingCounter)"]))
            }
        } else {
            nextCheck = min(nextCheck, configuration.pingInterval - silence)
        }
        return nextCheck
    }
}
