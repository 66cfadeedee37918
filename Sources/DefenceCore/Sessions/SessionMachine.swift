import DefenceProtocol
import Foundation

/// Who a session is authenticated as.
public struct Principal: Hashable, Sendable {
    /// The account.
    public let user: User
    /// The token the session authenticated with (a revocation of it closes the session).
    public let tokenID: Int64

    /// Creates a principal.
    public init(user: User, tokenID: Int64) {
        self.user = user
        self.tokenID = tokenID
    }
}

/// The protocol state of one connection, as a value: greeting, authentication, the flood guard, `DAY-IMPORT`'s
/// payload, ping and idleness (PROTOCOL.md §6).
///
/// It takes what happens ("a line arrived", "time passed", "the token was checked") with the time it happened, and
/// returns the actions to carry out. It reads no clock and does no IO: the server's `Session` actor executes the
/// actions (sends lines, looks tokens up, runs commands) and reports their outcomes back.
public struct SessionMachine: Sendable {
    /// The limits and deadlines of a session.
    public struct Settings: Hashable, Sendable {
        /// The line limits announced in the greeting and enforced by the parser.
        public var limits: Limits = .standard
        /// How long a connection may stay unauthenticated, in seconds.
        public var authTimeout: TimeInterval = 30
        /// After this many seconds without input, the server sends `PING`.
        public var pingInterval: TimeInterval = 30
        /// After this many seconds without input, the connection is closed with `IDLE_TIMEOUT`.
        public var idleTimeout: TimeInterval = 90
        /// Lines a connection may send per second, on average.
        public var linesPerSecond: Double = 100
        /// Lines a connection may send in a burst.
        public var lineBurst: Double = 500
        /// The most lines queued for one connection (announced only; the outbox enforces it).
        public var outboundQueueLimit: Int = 1024
        /// The server's name in the greeting.
        public var serverName: String = "defence-server"

        /// Creates settings with the server's defaults.
        public init() {}
    }

    /// A moment, as the two clocks a session reads.
    public struct Now: Hashable, Sendable {
        /// Monotonic time since the connection was accepted: deadlines only ever use this one.
        public var elapsed: Duration
        /// The domain clock's time, for the `time=` of the greeting and of `PONG`.
        public var wall: Date

        /// Creates a moment.
        public init(elapsed: Duration, wall: Date) {
            self.elapsed = elapsed
            self.wall = wall
        }
    }

    /// What a connection sent, as the line framing delivers it.
    public enum Frame: Hashable, Sendable {
        /// One line, without its terminating LF.
        case line([UInt8])
        /// A line that outgrew the limit; `count` bytes were read so far.
        case overlong(count: Int)
    }

    /// Where the session stands.
    public enum Phase: Hashable, Sendable {
        /// Connected; only the session verbs are allowed.
        case unauthenticated
        /// An `AUTH` is being checked.
        case authenticating(id: String?)
        /// Authenticated as a principal.
        case authenticated(Principal)
        /// Closed: nothing more is read.
        case closed
    }

    /// Why an `AUTH` failed.
    public enum AuthenticationFailure: Hashable, Sendable {
        /// No such token, or expired, revoked, or its account disabled.
        case unknownToken
        /// An admin's token on a connection without the admin's client certificate.
        case clientCertificateRequired
        /// The store could not be read.
        case lookupFailed
    }

    /// What the session's executor must do, in order.
    public enum Action: Hashable, Sendable {
        /// Queue a line for the peer.
        case send(Message)
        /// Check an `AUTH` token; report with ``authenticated(_:at:)`` or ``authenticationFailed(_:at:)``.
        case authenticate(token: String, id: String?)
        /// Carry out a command of an authenticated session and send its reply.
        /// `key`: the request's idempotency key (`@key=`), if any (PROTOCOL.md §4.4).
        case execute(Command, Principal, id: String?, key: String?)
        /// Run a `DAY-IMPORT` whose payload is complete and sound, and send its reply.
        case importDay(lines: [String], Principal, id: String?)
        /// Stop reading, send what is queued, then close the connection.
        case close
    }

    /// `DAY-IMPORT`'s payload while it is collected.
    struct Import: Hashable, Sendable {
        /// A refused payload line.
        struct Fault: Hashable, Sendable {
            var line: Int
            var code: ErrorCode
            var text: String
        }

        var expected: Int
        var lines: [String] = []
        var id: String?
        /// The first line that was refused: the import then fails, once every announced line was read.
        var fault: Fault?
    }

    /// The settings this session runs with.
    public let settings: Settings
    /// Where the session stands.
    public private(set) var phase: Phase = .unauthenticated
    /// Who the session is or was authenticated as; kept once closed, for leaving its rooms.
    public private(set) var principal: Principal?
    /// Whether the client said `QUIT`: leaving its rooms is then a clean leave (`left`), not a lost connection.
    public private(set) var quitCleanly = false
    private let parser: LineParser
    private var lastInbound: Duration = .zero
    private var pingedSinceInput = false
    private var pingCounter = 0
    private var importing: Import?
    private var tokens: Double
    private var tokensAt: Duration = .zero

    /// A session for a connection accepted at elapsed time zero.
    public init(settings: Settings) {
        self.settings = settings
        self.parser = LineParser(limits: settings.limits)
        self.tokens = settings.lineBurst
    }

    /// Whether nothing more is read.
    public var isClosed: Bool { phase == .closed }

    /// Whether an `AUTH` is being checked.
    public var isAuthenticating: Bool {
        if case .authenticating = phase { return true }
        return false
    }

    /// Whether `DAY-IMPORT` is collecting its payload.
    public var isCollectingImport: Bool { importing != nil }

    // MARK: Start and input

    /// The greeting.
    public func start(at now: Now) -> [Action] {
        [.send(greeting(verb: "HELLO", id: nil, at: now))]
    }

    /// A frame arrived.
    public mutating func receive(_ frame: Frame, at now: Now) -> [Action] {
        guard !isClosed else { return [] }
        lastInbound = now.elapsed
        pingedSinceInput = false
        switch frame {
        case .overlong(let count):
            return terminate(.lineTooLong, "line exceeds the maximum of \(settings.limits.maxLineBytes) bytes (read \(count) so far)")
        case .line(let bytes) where importing != nil:
            return collectImportLine(bytes)
        case .line(let bytes):
            // Every line counts against the flood guard, blank or unreadable ones too (PROTOCOL.md §6.6).
            let allowed = takeToken(at: now.elapsed)
            let limited = "too many lines; at most \(Int(settings.linesPerSecond)) a second on average"
            do throws(WireError) {
                guard let message = try parser.parse(bytes) else { return [] }
                guard allowed else {
                    // A PONG is never answered, not even to say it came too fast.
                    if message.verb == Verb.pong.rawValue { return [] }
                    return [.send(.fail(verb: message.verb, code: .rateLimited, text: limited, id: message.id))]
                }
                return handle(message, at: now)
            } catch {
                if error.code.closesConnection { return terminate(error.code, error.text) }
                if !allowed { return [.send(.fail(verb: "*", code: .rateLimited, text: limited, id: error.requestID))] }
                return [.send(error.failMessage)]
            }
        }
    }

    private mutating func handle(_ message: Message, at now: Now) -> [Action] {
        let id = message.id
        let command: Command
        do throws(WireError) {
            let verb = try Command.verb(of: message)
            // PONG answers the server's PING and gets no reply, whatever it holds (§6.4): it only counts as activity.
            if verb == .pong { return [] }
            switch phase {
            case .closed:
                return []
            case .unauthenticated, .authenticating:
                guard Verb.beforeAuthentication.contains(verb) else {
                    return [.send(.fail(verb: verb.rawValue, code: .authRequired, text: "authenticate first with AUTH <token>", id: id))]
                }
            case .authenticated(let principal):
                guard AccessPolicy.allows(principal.user.role, verb) else {
                    let text = "\(verb.rawValue) is not allowed for role \(principal.user.role.rawValue)"
                    return [.send(.fail(verb: verb.rawValue, code: .forbidden, text: text, id: id))]
                }
            }
            command = try Command(message)
        } catch {
            return [.send(error.failMessage)]
        }

        switch command {
        case .hello(let version):
            guard version.lowercased() == ProtocolVersion.current else {
                let text = "this server speaks \(ProtocolVersion.current)"
                return [.send(.fail(verb: "HELLO", code: .unsupportedVersion, context: [version], text: text, id: id))]
            }
            return [.send(greeting(verb: "OK", id: id, at: now))]
        case .auth(let token):
            switch phase {
            case .unauthenticated:
                phase = .authenticating(id: id)
                return [.authenticate(token: token, id: id)]
            case .authenticating, .authenticated:
                let text = "this session is already authenticated"
                return [.send(.fail(verb: "AUTH", code: .alreadyAuthenticated, text: text, id: id))]
            case .closed:
                return []
            }
        case .ping(let token):
            return [.send(Message(id: id, verb: "PONG", [WireTime.format(now.wall)] + (token.map { [$0] } ?? [])))]
        case .pong:
            return []
        case .quit:
            quitCleanly = true
            return [.send(.ok(verb: "QUIT", text: "bye", id: id))] + close()
        case .dayImport(let count):
            // The lines come only after this reply, each behind `|`: a refused request is followed by nothing, and a
            // CSV line is never read as a command (PROTOCOL.md §11.2).
            importing = Import(expected: count, id: id)
            return [.send(Message(id: id, verb: "CONTINUE", ["DAY-IMPORT", String(count)], text: "send \(count) lines, each starting with |"))]
        default:
            guard case .authenticated(let principal) = phase else { return [] }
            return [.execute(command, principal, id: id, key: message.tag("key"))]
        }
    }

    /// Refills the bucket for the time elapsed and takes one line from it.
    private mutating func takeToken(at elapsed: Duration) -> Bool {
        tokens = min(settings.lineBurst, tokens + (elapsed - tokensAt).timeInterval * settings.linesPerSecond)
        tokensAt = elapsed
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Reads one line of a `DAY-IMPORT`'s payload; asks for the import once all have arrived.
    ///
    /// Exactly the announced number of lines is read, whatever they hold: a line that is not `|` and UTF-8 text
    /// without control characters fails the import, but the lines after it are still read as its payload, never as
    /// commands.
    private mutating func collectImportLine(_ bytes: [UInt8]) -> [Action] {
        guard var pending = importing else { return [] }
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
            pending.fault = Import.Fault(line: number, code: code, text: "CSV line \(number) \(why); nothing was imported")
        }
        guard pending.lines.count == pending.expected else {
            importing = pending
            return []
        }
        importing = nil
        if let fault = pending.fault {
            return [.send(.fail(verb: "DAY-IMPORT", code: fault.code, context: [String(fault.line)], text: fault.text, id: pending.id))]
        }
        guard case .authenticated(let principal) = phase else { return [] }
        return [.importDay(lines: pending.lines, principal, id: pending.id)]
    }

    // MARK: Authentication outcomes

    /// The token of the pending `AUTH` was accepted and the session registered under it.
    public mutating func authenticated(_ principal: Principal, at now: Now) -> [Action] {
        guard case .authenticating(let id) = phase else { return [] }
        phase = .authenticated(principal)
        self.principal = principal
        let user = principal.user
        return [.send(.ok(verb: "AUTH", [user.id, user.role.rawValue], text: user.displayName, id: id))]
    }

    /// The pending `AUTH` failed. The executor has already waited the delay the address earned (§6.3).
    public mutating func authenticationFailed(_ failure: AuthenticationFailure, at now: Now) -> [Action] {
        guard case .authenticating(let id) = phase else { return [] }
        phase = .unauthenticated
        switch failure {
        case .unknownToken:
            let text = "token is unknown, expired or revoked, or the account is disabled"
            return [.send(.fail(verb: "AUTH", code: .authFailed, text: text, id: id))]
        case .clientCertificateRequired:
            let text = "admins must connect with their client certificate (--client-cert/--client-key) issued for their user id"
            return [.send(.fail(verb: "AUTH", code: .clientCertificateRequired, text: text, id: id))]
        case .lookupFailed:
            return [.send(.fail(verb: "AUTH", code: .internal, text: "the server could not check the token", id: id))]
        }
    }

    // MARK: Time and output

    /// The peer took a chunk of a long reply: it reads, so a long reply is not silence (§6.5).
    public mutating func peerRead(at now: Now) {
        guard !isClosed else { return }
        lastInbound = now.elapsed
    }

    /// Time passed: enforces the auth deadline and idleness, and pings a silent peer once.
    public mutating func tick(at now: Now) -> [Action] {
        guard !isClosed else { return [] }
        if principal == nil, now.elapsed >= .seconds(settings.authTimeout) {
            return terminate(.authTimeout, "no successful AUTH within \(Self.seconds(settings.authTimeout)) seconds")
        }
        let silence = (now.elapsed - lastInbound).timeInterval
        if silence >= settings.idleTimeout {
            return terminate(.idleTimeout, "no input for \(Self.seconds(settings.idleTimeout)) seconds")
        }
        if silence >= settings.pingInterval, !pingedSinceInput {
            pingedSinceInput = true
            pingCounter += 1
            return [.send(Message(verb: "PING", parameters: ["s\(pingCounter)"]))]
        }
        return []
    }

    /// When ``tick(at:)`` has something to do next, as elapsed time; `nil` once closed.
    public var nextDeadline: Duration? {
        guard !isClosed else { return nil }
        var next = lastInbound + .seconds(settings.idleTimeout)
        if !pingedSinceInput { next = min(next, lastInbound + .seconds(settings.pingInterval)) }
        if principal == nil { next = min(next, .seconds(settings.authTimeout)) }
        return next
    }

    /// The connection was closed by the executor (a slow consumer, a revoked token, the peer gone).
    public mutating func ended() {
        phase = .closed
        importing = nil
    }

    /// Sends `FAIL * <code>` and closes once the line is written.
    public mutating func terminate(_ code: ErrorCode, _ text: String) -> [Action] {
        guard !isClosed else { return [] }
        return [.send(.fail(verb: "*", code: code, text: text))] + close()
    }

    private mutating func close() -> [Action] {
        phase = .closed
        importing = nil
        return [.close]
    }

    // MARK: Greeting

    private func greeting(verb: String, id: String?, at now: Now) -> Message {
        let limits = settings.limits
        return Message(
            id: id,
            verb: verb,
            (verb == "OK" ? ["HELLO"] : []) + [
                ProtocolVersion.current,
                "server=\(settings.serverName)",
                "max-line=\(limits.maxLineBytes)",
                "max-params=\(limits.maxParameters)",
                "auth-timeout=\(Self.seconds(settings.authTimeout))",
                "ping-interval=\(Self.seconds(settings.pingInterval))",
                "idle-timeout=\(Self.seconds(settings.idleTimeout))",
                "time=\(WireTime.format(now.wall))",
                // Protocol 1.1 (§6.1): the flood guard, the outbound queue, and the verbs this server knows.
                "rate=\(Self.seconds(settings.linesPerSecond))",
                "burst=\(Self.seconds(settings.lineBurst))",
                "queue=\(settings.outboundQueueLimit)",
                "verbs=\(Verb.allCases.map(\.rawValue).joined(separator: ","))",
            ]
        )
    }

    /// A number of seconds as the greeting writes it: `30`, or `0.5`.
    public static func seconds(_ interval: TimeInterval) -> String {
        interval == interval.rounded() ? String(Int(interval)) : String(interval)
    }
}
