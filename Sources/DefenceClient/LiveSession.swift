import DefenceProtocol
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how to connect.
public struct ServerEndpoint: Sendable, Hashable {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// A CA file to trust (nil: the system's roots).
    public var caFile: String?
    /// A pinned SHA-256 fingerprint of the server certificate (wins over `caFile`).
    public var pin: String?
    /// A client certificate to present (admins on a server that requires one).
    public var identity: ClientIdentity?
    /// Offer the post-quantum hybrid key exchange first (servers started with `--post-quantum`).
    public var postQuantum: Bool

    /// Creates an endpoint.
    public init(host: String, port: Int, caFile: String? = nil, pin: String? = nil, identity: ClientIdentity? = nil, postQuantum: Bool = false) {
        self.host = host
        self.port = port
        self.caFile = caFile
        self.pin = pin
        self.identity = identity
        self.postQuantum = postQuantum
    }

    /// The TLS settings for this endpoint.
    public var tls: TLSConfiguration {
        ClientTLS.configuration(caFile: pin == nil ? caFile : nil, identity: identity, postQuantum: postQuantum)
    }
}

/// What a live session reports to its user.
public enum LiveEvent: Sendable, Equatable {
    /// Connected and authenticated (again); joined rooms are being resumed.
    case connected
    /// After a reconnection, every joined room was resumed (or refused): what was queued may go now.
    case resumed
    /// The connection dropped; the session reconnects by itself (`attempt` counts from 1).
    case disconnected(reason: String, attempt: Int)
    /// A room line: `EVENT` or `SNAPSHOT` (duplicates after a resume are dropped).
    case room(Message)
    /// A new clock measurement: server time minus local time, and the round trip, in seconds.
    case clock(offset: Double, roundTrip: Double, at: Date)
    /// The server refused the session for good (e.g. token revoked); no more reconnection.
    case ended(reason: String)
}

/// A long-lived client session: correlates requests and replies by id, delivers room events as an async
/// sequence, measures the clock offset with `PING`, and reconnects by itself with backoff and jitter,
/// resuming every joined room from the last event it delivered — without losing or duplicating one.
public actor LiveSession {
    /// The events, in order.
    public nonisolated let events: AsyncStream<LiveEvent>
    private let continuation: AsyncStream<LiveEvent>.Continuation
    private let endpoint: ServerEndpoint
    private let token: String
    private var connection: LineConnection?
    /// Made at the first connection, kept for the reconnections.
    private var tlsContext: NIOSSLContext?
    private var reader: Task<Void, Never>?
    private var pinger: Task<Void, Never>?
    /// Requests waiting for their terminal reply, by id.
    private var pending: [String: Pending] = [:]
    /// Sorts the lines of the current connection; knows the ids of ``pending``.
    private var correlator = ReplyCorrelator()
    /// The earliest time a deadline sweep is armed for (nil: none armed).
    private var sweepAt: NIODeadline?
    /// The deadline sweeps armed so far (for tests).
    private(set) var sweepsArmed = 0
    private var counter = 0
    private var lastSeq: [String: Int] = [:]
    private var joined: [String] = []
    private var closed = false
    /// Events received twice (after a resume) and dropped.
    public private(set) var duplicatesDropped = 0
    /// The last measured offset (server − local), in seconds.
    public private(set) var clockOffset: Double = 0
    /// When the clock was last measured.
    public private(set) var lastSync: Date?

    /// The first and the longest wait between reconnection attempts, in seconds.
    public static let backoff = (first: 0.5, max: 10.0)
    /// The wait after an attempt that nothing answered with a refusal (the server is restarting), in seconds:
    /// knocking on a closed port costs the server nothing, so the session does not back off then and is back
    /// within about a second of the server listening again.
    public static let refusedRetry = 1.0
    /// The mean wait between two clock measurements (`PING`), in seconds, and its spread: each wait is drawn
    /// uniformly within ±`jitter` of the mean. Sessions that connected together — a join storm, a restart — would
    /// otherwise keep pinging together, every ten seconds, for the whole day: bursts of 12,000 pings in a second
    /// or two on top of the rooms' traffic (docs/performance.md). With the jitter they drift apart within minutes.
    public static let clockInterval = (mean: 10.0, jitter: 2.5)

    /// The wait before the next clock measurement, drawn from `generator` (see ``clockInterval``).
    public static func clockWait<G: RandomNumberGenerator>(using generator: inout G) -> Double {
        clockInterval.mean + Double.random(in: -clockInterval.jitter...clockInterval.jitter, using: &generator)
    }

    /// Creates a session; call ``start()``. With `sharedTLS` (made for the same endpoint), the session uses that
    /// TLS context instead of making its own at its first connection.
    public init(endpoint: ServerEndpoint, token: String, sharedTLS: SharedClientTLS? = nil) {
        self.endpoint = endpoint
        self.token = token
        tlsContext = sharedTLS?.context
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Connects and authenticates once; later drops are repaired in the background.
    /// - Throws: connection, TLS or `AUTH_FAILED` errors of this first attempt.
    public func start() async throws {
        try await connect()
    }

    /// Sends a command and waits for its terminal reply (`OK`, `PONG` or `FAIL`).
    /// - Throws: ``ClientError/closed`` if the connection drops first.
    public func request(_ command: Command, timeout: Duration = .seconds(30)) async throws -> Reply {
        try await requestWithLines(command, lines: [], timeout: timeout)
    }

    /// Sends a room command tagged with an idempotency key (PROTOCOL.md §4.4) and waits for its terminal reply.
    /// - Throws: ``ClientError/closed`` if there is no connection or it drops first.
    public func request(_ command: Command, key: String, timeout: Duration = .seconds(30)) async throws -> Reply {
        try await requestWithLines(command, lines: [], key: key, timeout: timeout)
    }

    /// Sends a command and waits for its terminal reply; with `payload` (the CSV of `DAY-IMPORT`), the lines go
    /// once the server asks for them (`CONTINUE`), each behind `|`.
    public func requestWithLines(_ command: Command, lines payload: [String], key: String? = nil, timeout: Duration = .seconds(120)) async throws -> Reply {
        guard let connection else { throw ClientError.closed }
        counter += 1
        let id = "s\(counter)"
        var message = command.message(id: id)
        if let key { message.setTag("key", key) }
        let text = message.serialized
        return try await withCheckedThrowingContinuation { continuation in
            let deadline = NIODeadline.now() + TimeAmount(timeout)
            pending[id] = Pending(continuation: continuation, deadline: deadline, payload: payload)
            correlator.expect(id)
            armSweep(at: deadline, on: connection)
            // Queued from here, in request order, without a task per request.
            connection.enqueue(text) { error in
                Task { await self.fail(id, error) }
            }
        }
    }

    /// Joins a room (or resumes it after a reconnection) and remembers it.
    public func join(_ room: String) async throws -> Reply {
        let reply = try await request(lastSeq[room].map { .resume(room: room, lastSeq: $0) } ?? .join(room: room))
        if reply.terminal.verb == "OK", !joined.contains(room) { joined.append(room) }
        return reply
    }

    /// The last event sequence number delivered for a room.
    public func lastSequence(of room: String) -> Int? { lastSeq[room] }

    /// Closes the session for good.
    public func close() async {
        closed = true
        pinger?.cancel()
        reader?.cancel()
        if let connection { try? await connection.send("QUIT"); await connection.close() }
        continuation.finish()
    }

    // MARK: Connection

    private func connect() async throws {
        let context = try tlsContext ?? NIOSSLContext(configuration: endpoint.tls)
        tlsContext = context
        let lines = try await LineConnection.connect(host: endpoint.host, port: endpoint.port, context: context, pinnedSHA256: endpoint.pin)
        let greeting: String
        do {
            greeting = try await lines.nextLine(timeout: .seconds(30))
        } catch let error as NIOSSLError {
            await lines.close()
            throw ClientError.tls(ClientError.reason(of: error))
        }
        guard ReplyCorrelator.greeting(greeting) != nil else {
            await lines.close()
            throw ClientError.unexpected(greeting)
        }
        var correlator = ReplyCorrelator()
        correlator.expect("auth")
        try await lines.send(Command.auth(token: token).message(id: "auth").serialized)
        let reply = try await lines.nextLine(timeout: .seconds(30))
        let answer = correlator.read(reply)
        guard case .reply(_, let authenticated) = answer, authenticated.failure == nil else {
            await lines.close()
            let failure: FailureLine? = switch answer {
            case .reply(_, let refused): refused.failure
            case .sessionFailure(let failure): failure
            default: nil
            }
            throw ClientError.failed(code: failure?.code ?? "?", text: failure?.text ?? reply, line: reply)
        }
        self.correlator = ReplyCorrelator()
        connection = lines
        reader = Task { await self.read(lines) }
        pinger = Task { await self.pingLoop() }
        continuation.yield(.connected)
        guard !joined.isEmpty else { return }
        let rooms = joined
        Task {
            for room in rooms {
                _ = try? await self.request(self.lastSeq[room].map { .resume(room: room, lastSeq: $0) } ?? .join(room: room))
            }
            self.announceResumed()
        }
    }

    private func announceResumed() {
        continuation.yield(.resumed)
    }

    private func read(_ lines: LineConnection) async {
        var endReason = "the server closed the connection"
        var fatal = false
        while true {
            let line: String
            do {
                line = try await lines.nextLine(timeout: nil)
            } catch {
                break
            }
            switch self.correlator.read(line) {
            case .reply(let id, let reply):
                pending.removeValue(forKey: id)?.continuation.resume(returning: reply)
            case .payloadWanted(let id):
                if let payload = pending[id]?.payload, !payload.isEmpty, let connection {
                    // A failed write ends the connection, which fails the request.
                    connection.enqueue(payload.map { "|" + $0 }.joined(separator: "\n")) { _ in }
                }
            case .data:
                continue
            case .ping(let token):
                try? await lines.send(Command.pong(token: token).message().serialized)
            case .event(let event, let message):
                // A line that is not an event as §4.3 writes it is not one (.other): it is neither counted nor shown.
                if let last = lastSeq[event.room], event.seq <= last {
                    duplicatesDropped += 1
                    continue
                }
                lastSeq[event.room] = event.seq
                continuation.yield(.room(message))
            case .snapshot(let snapshot, let message):
                lastSeq[snapshot.room] = snapshot.seq
                continuation.yield(.room(message))
            case .sessionFailure(let failure):
                endReason = failure.text.isEmpty ? endReason : failure.text
                fatal = failure.knownCode == .revoked
            case .other:
                continue
            }
        }
        connection = nil
        pinger?.cancel()
        for (id, entry) in pending {
            pending[id] = nil
            correlator.forget(id)
            entry.continuation.resume(throwing: ClientError.closed)
        }
        guard !closed else { return }
        if fatal {
            continuation.yield(.ended(reason: endReason))
            continuation.finish()
            return
        }
        await reconnect(reason: endReason)
    }

    private func reconnect(reason: String) async {
        var attempt = 0
        // Grows with each failure the server itself answered (a timeout, a TLS failure, a refusal in the
        // protocol), so that a struggling server is not hammered; a refused TCP connection does not grow it.
        var backoffStep = 0
        var refused = false
        while !closed {
            attempt += 1
            continuation.yield(.disconnected(reason: reason, attempt: attempt))
            let base = refused ? Self.refusedRetry : min(Self.backoff.max, Self.backoff.first * pow(2, Double(backoffStep)))
            let wait = base * Double.random(in: 0.7...1.3)
            try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
            do {
                try await connect()
                return
            } catch ClientError.failed(let code, let text, _) where code == ErrorCode.authFailed.rawValue {
                continuation.yield(.ended(reason: text))
                continuation.finish()
                return
            } catch {
                refused = Self.isRefused(error)
                if !refused { backoffStep += 1 }
                continue
            }
        }
    }

    /// Whether a connection attempt failed because nothing listened at the address (the TCP connection was
    /// refused), as while the server restarts.
    public static func isRefused(_ error: Error) -> Bool {
        if case .unreachable(_, _, let refused, _)? = error as? ClientError { return refused }
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        if let error = error as? NIOConnectionError {
            return !error.connectionErrors.isEmpty && error.connectionErrors.allSatisfy { isRefused($0.error) }
        }
        return false
    }

    private func pingLoop() async {
        while !Task.isCancelled {
            let sent = Date()
            if let reply = try? await request(.ping(token: "clock"), timeout: .seconds(10)),
                let serverTime = PongReply(reply.terminal)?.serverTime
            {
                let received = Date()
                let roundTrip = received.timeIntervalSince(sent)
                clockOffset = serverTime.timeIntervalSince(sent.addingTimeInterval(roundTrip / 2))
                lastSync = received
                continuation.yield(.clock(offset: clockOffset, roundTrip: roundTrip, at: received))
            }
            var generator = SystemRandomNumberGenerator()
            try? await Task.sleep(for: .milliseconds(Int64(Self.clockWait(using: &generator) * 1000)))
        }
    }

    private func fail(_ id: String, _ error: Error) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        correlator.forget(id)
        entry.continuation.resume(throwing: error)
    }

    // MARK: Deadlines
    //
    // One timer per session, not one per request. A timer per request, cancelled with its reply, cost the bench 12 %
    // of its CPU under the push (16,000 requests in flight): scheduling one, and cancelling it, which NIO does by a
    // linear search of its event loop's timers (docs/performance.md). Now a sweep is armed for the earliest
    // deadline; a reply leaves it armed; when it fires it fails the requests whose deadline has passed and arms
    // itself for the earliest one left. Requests with the usual 30 s arm nothing while a sweep is armed before
    // theirs; one with an earlier deadline (a 10 s `PING`) arms one more sweep, and the later one, when it fires,
    // finds nothing to do. Every request still fails at its own deadline.

    /// Arms a sweep at `deadline` unless one is armed for then or earlier.
    private func armSweep(at deadline: NIODeadline, on connection: LineConnection) {
        if let sweepAt, sweepAt <= deadline { return }
        sweepAt = deadline
        sweepsArmed += 1
        connection.schedule(at: deadline) {
            Task { await self.sweep(armedFor: deadline) }
        }
    }

    /// Fails the requests whose deadline has passed, and arms the sweep for the earliest deadline left.
    private func sweep(armedFor deadline: NIODeadline) {
        if sweepAt == deadline { sweepAt = nil }
        let now = NIODeadline.now()
        for (id, entry) in pending where entry.deadline <= now {
            fail(id, ClientError.timeout)
        }
        if let connection, let next = pending.values.lazy.map(\.deadline).min() {
            armSweep(at: next, on: connection)
        }
    }

    /// A request waiting for its terminal reply: who waits, and its deadline (its data lines so far are in the
    /// correlator).
    private struct Pending {
        let continuation: CheckedContinuation<Reply, Error>
        let deadline: NIODeadline
        /// The lines sent when the server asks for them (`CONTINUE`).
        var payload: [String] = []
    }
}
