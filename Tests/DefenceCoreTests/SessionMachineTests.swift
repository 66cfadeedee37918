import DefenceCore
import DefenceProtocol
import Foundation
import Testing

/// A session run as a value: frames and time in, actions out, the clock injected (PROTOCOL.md §6).
@Suite struct SessionMachineTests {
    static let wall = Date(timeIntervalSince1970: 1_800_000_000)
    static let admin = Principal(user: User(id: "admin", role: .admin, displayName: "Ada", createdAt: wall), tokenID: 1)
    static let juror = Principal(user: User(id: "j1", role: .juror, displayName: "Jules", createdAt: wall), tokenID: 2)

    static func at(_ seconds: Double) -> SessionMachine.Now {
        SessionMachine.Now(elapsed: .seconds(seconds), wall: wall.addingTimeInterval(seconds))
    }

    static func line(_ text: String) -> SessionMachine.Frame { .line(Array(text.utf8)) }

    static func settings(_ change: (inout SessionMachine.Settings) -> Void = { _ in }) -> SessionMachine.Settings {
        var settings = SessionMachine.Settings()
        settings.authTimeout = 30
        settings.pingInterval = 30
        settings.idleTimeout = 90
        change(&settings)
        return settings
    }

    /// The lines an action list sends, serialized.
    static func sent(_ actions: [SessionMachine.Action]) -> [String] {
        actions.compactMap { if case .send(let message) = $0 { message.serialized } else { nil } }
    }

    /// A machine authenticated as `principal` at time 1.
    static func signedIn(_ principal: Principal = admin, _ settings: SessionMachine.Settings = settings()) -> SessionMachine {
        var machine = SessionMachine(settings: settings)
        _ = machine.receive(line("AUTH drt_secret"), at: at(1))
        _ = machine.authenticated(principal, at: at(1))
        return machine
    }

    @Test func theGreetingAnnouncesTheLimitsAndTheClock() {
        let machine = SessionMachine(settings: Self.settings { $0.linesPerSecond = 10; $0.lineBurst = 20; $0.serverName = "s/1" })
        let greeting = Self.sent(machine.start(at: Self.at(0)))
        #expect(greeting.count == 1)
        let words = greeting.first?.split(separator: " ").map(String.init) ?? []
        #expect(words.prefix(2) == ["HELLO", ProtocolVersion.current])
        for item in ["server=s/1", "auth-timeout=30", "ping-interval=30", "idle-timeout=90", "rate=10", "burst=20", "queue=1024",
                     "time=\(WireTime.format(Self.wall))"] {
            #expect(words.contains(item), "\(item)")
        }
        #expect(words.contains { $0.hasPrefix("verbs=") && $0.contains("AUDIT") })
    }

    @Test func authenticationIsAskedForThenAnswered() {
        var machine = SessionMachine(settings: Self.settings())
        #expect(machine.receive(Self.line("@id=a AUTH drt_secret"), at: Self.at(1)) == [.authenticate(token: "drt_secret", id: "a")])
        #expect(machine.isAuthenticating)
        // Before the token is checked, nothing else runs, and a second AUTH is refused.
        #expect(Self.sent(machine.receive(Self.line("WHOAMI"), at: Self.at(1))) == ["FAIL WHOAMI AUTH_REQUIRED :authenticate first with AUTH <token>"])
        #expect(Self.sent(machine.receive(Self.line("AUTH other"), at: Self.at(1))).first?.hasPrefix("FAIL AUTH ALREADY_AUTHENTICATED") == true)
        #expect(Self.sent(machine.authenticated(Self.juror, at: Self.at(2))) == ["@id=a OK AUTH j1 juror :Jules"])
        #expect(machine.principal == Self.juror)
        // A late outcome of an AUTH no longer pending changes nothing.
        #expect(machine.authenticated(Self.admin, at: Self.at(2)).isEmpty)
        #expect(machine.principal == Self.juror)
        #expect(Self.sent(machine.receive(Self.line("AUTH again"), at: Self.at(3))).first?.hasPrefix("FAIL AUTH ALREADY_AUTHENTICATED") == true)
    }

    @Test func aFailedAuthenticationLeavesTheSessionOpenForAnother() {
        var machine = SessionMachine(settings: Self.settings())
        _ = machine.receive(Self.line("@id=1 AUTH wrong"), at: Self.at(1))
        let failed = Self.sent(machine.authenticationFailed(.unknownToken, at: Self.at(2)))
        #expect(failed.first?.hasPrefix("@id=1 FAIL AUTH AUTH_FAILED :") == true)
        #expect(machine.phase == .unauthenticated)
        _ = machine.receive(Self.line("AUTH drt_admin"), at: Self.at(3))
        #expect(Self.sent(machine.authenticationFailed(.clientCertificateRequired, at: Self.at(3))).first?.hasPrefix("FAIL AUTH CLIENT_CERT_REQUIRED") == true)
        _ = machine.receive(Self.line("AUTH drt_admin"), at: Self.at(4))
        #expect(Self.sent(machine.authenticationFailed(.lookupFailed, at: Self.at(4))).first?.hasPrefix("FAIL AUTH INTERNAL") == true)
        #expect(machine.principal == nil)
    }

    @Test func onlySessionVerbsRunBeforeAuthentication() {
        var machine = SessionMachine(settings: Self.settings())
        #expect(Self.sent(machine.receive(Self.line("@id=p PING x"), at: Self.at(1))) == ["@id=p PONG \(WireTime.format(Self.wall.addingTimeInterval(1))) x"])
        #expect(Self.sent(machine.receive(Self.line("ROOM-LIST"), at: Self.at(1))).first?.hasPrefix("FAIL ROOM-LIST AUTH_REQUIRED") == true)
        #expect(Self.sent(machine.receive(Self.line("HELLO 0.9"), at: Self.at(1))).first?.hasPrefix("FAIL HELLO UNSUPPORTED_VERSION 0.9") == true)
        #expect(Self.sent(machine.receive(Self.line("HELLO \(ProtocolVersion.current)"), at: Self.at(1))).first?.hasPrefix("OK HELLO ") == true)
        // A PONG is never answered, with or without a token.
        #expect(machine.receive(Self.line("PONG"), at: Self.at(1)).isEmpty)
        #expect(machine.receive(Self.line("PONG s1"), at: Self.at(1)).isEmpty)
    }

    @Test func rolesAreCheckedBeforeTheArguments() {
        var machine = Self.signedIn(Self.juror)
        #expect(Self.sent(machine.receive(Self.line("@id=u USER-CREATE"), at: Self.at(2))) == ["@id=u FAIL USER-CREATE FORBIDDEN :USER-CREATE is not allowed for role juror"])
        #expect(Self.sent(machine.receive(Self.line("JOIN"), at: Self.at(2))).first?.hasPrefix("FAIL JOIN BAD_ARGUMENTS") == true)
        guard case .execute(let command, let principal, let id, _)? = machine.receive(Self.line("@id=w WHOAMI"), at: Self.at(2)).first else {
            Issue.record("WHOAMI was not executed")
            return
        }
        #expect(command == .whoami && principal == Self.juror && id == "w")
    }

    @Test func quitSaysByeThenClosesAndNothingMoreIsRead() {
        var machine = Self.signedIn()
        #expect(machine.receive(Self.line("@id=q QUIT"), at: Self.at(2)) == [.send(.ok(verb: "QUIT", text: "bye", id: "q")), .close])
        #expect(machine.isClosed)
        #expect(machine.receive(Self.line("WHOAMI"), at: Self.at(2)).isEmpty)
        #expect(machine.tick(at: Self.at(500)).isEmpty)
        #expect(machine.nextDeadline == nil)
        // Who it was stays known, for leaving its rooms.
        #expect(machine.principal == Self.admin)
    }

    @Test func theAuthDeadlineAppliesUntilAnAuthSucceeds() {
        var machine = SessionMachine(settings: Self.settings { $0.authTimeout = 2 })
        #expect(machine.nextDeadline == .seconds(2))
        // Talking is not authenticating.
        _ = machine.receive(Self.line("PING keep-talking"), at: Self.at(1.5))
        #expect(machine.tick(at: Self.at(1.9)).isEmpty)
        let closing = machine.tick(at: Self.at(2))
        #expect(Self.sent(closing) == ["FAIL * AUTH_TIMEOUT :no successful AUTH within 2 seconds"])
        #expect(closing.last == .close)
        #expect(machine.isClosed)
    }

    @Test func anAuthStillBeingCheckedAtTheDeadlineIsCutOff() {
        var machine = SessionMachine(settings: Self.settings { $0.authTimeout = 2 })
        _ = machine.receive(Self.line("AUTH drt_slow"), at: Self.at(1))
        #expect(Self.sent(machine.tick(at: Self.at(2))).first?.hasPrefix("FAIL * AUTH_TIMEOUT") == true)
        // The lookup's answer, arriving after, authenticates nothing.
        #expect(machine.authenticated(Self.admin, at: Self.at(2.5)).isEmpty)
        #expect(machine.principal == nil)
    }

    @Test func authenticatedSessionsOutliveTheAuthDeadline() {
        var machine = Self.signedIn(Self.admin, Self.settings { $0.authTimeout = 2 })
        #expect(machine.tick(at: Self.at(2.3)).isEmpty)
        #expect(machine.nextDeadline == .seconds(31))
        #expect(!machine.isClosed)
    }

    @Test func aSilentPeerIsPingedOnceThenDropped() {
        var machine = Self.signedIn(Self.admin, Self.settings { $0.pingInterval = 0.5; $0.idleTimeout = 6 })
        #expect(machine.nextDeadline == .seconds(1.5))
        #expect(machine.tick(at: Self.at(1.4)).isEmpty)
        #expect(Self.sent(machine.tick(at: Self.at(1.5))) == ["PING s1"])
        // One PING per silence: the next deadline is the idle one.
        #expect(machine.tick(at: Self.at(3)).isEmpty)
        #expect(machine.nextDeadline == .seconds(7))
        let dropped = machine.tick(at: Self.at(7))
        #expect(Self.sent(dropped) == ["FAIL * IDLE_TIMEOUT :no input for 6 seconds"])
        #expect(dropped.last == .close)
    }

    @Test func anyInputRestartsTheSilenceAndEarnsAnotherPing() {
        var machine = Self.signedIn(Self.admin, Self.settings { $0.pingInterval = 1; $0.idleTimeout = 3 })
        #expect(Self.sent(machine.tick(at: Self.at(2))) == ["PING s1"])
        _ = machine.receive(Self.line("PONG s1"), at: Self.at(2.5))
        #expect(machine.nextDeadline == .seconds(3.5))
        #expect(machine.tick(at: Self.at(5)) == [.send(Message(verb: "PING", parameters: ["s2"]))])
        // A peer reading a long reply is not silent either.
        machine.peerRead(at: Self.at(5.4))
        #expect(machine.tick(at: Self.at(6)).isEmpty)
        #expect(machine.nextDeadline == .seconds(8.4))
    }

    @Test func aFloodIsRefusedLineByLineAndTheBucketRefills() {
        var machine = Self.signedIn(Self.admin, Self.settings { $0.lineBurst = 20; $0.linesPerSecond = 10 })
        // The AUTH line took one token: 19 PINGs are served at once, the next ones refused, each with its own reply.
        var replies: [String] = []
        for n in 1...30 { replies += Self.sent(machine.receive(Self.line("@id=\(n) PING \(n)"), at: Self.at(1))) }
        #expect(replies.count == 30)
        #expect(replies.prefix(19).allSatisfy { $0.contains(" PONG ") })
        #expect(replies.dropFirst(19).allSatisfy { $0.contains(" FAIL PING RATE_LIMITED :too many lines; at most 10 a second on average") })
        // A PONG is not answered even when it comes too fast.
        #expect(machine.receive(Self.line("PONG s1"), at: Self.at(1)).isEmpty)
        // Lines that cannot be read count too (§6.6), and are refused as too fast once the bucket is empty.
        #expect(Self.sent(machine.receive(Self.line("@"), at: Self.at(1))).first?.hasPrefix("FAIL * RATE_LIMITED") == true)
        // A tenth of a second later, one token is back.
        #expect(Self.sent(machine.receive(Self.line("@"), at: Self.at(1.1))).first?.hasPrefix("FAIL * MALFORMED") == true)
        #expect(Self.sent(machine.receive(Self.line("PING x"), at: Self.at(1.1))).first?.hasPrefix("FAIL PING RATE_LIMITED") == true)
        // After two seconds, the burst is whole again, not more.
        var later: [String] = []
        for n in 1...25 { later += Self.sent(machine.receive(Self.line("PING \(n)"), at: Self.at(4))) }
        #expect(later.filter { $0.hasPrefix("PONG ") }.count == 20)
    }

    @Test func lineErrorsThatCloseTheConnectionClose() {
        var machine = Self.signedIn()
        let overlong = machine.receive(.overlong(count: 5000), at: Self.at(2))
        #expect(Self.sent(overlong).first?.hasPrefix("FAIL * LINE_TOO_LONG :line exceeds the maximum of") == true)
        #expect(overlong.last == .close)
        var other = Self.signedIn()
        let bad = other.receive(.line([0x50, 0xFF]), at: Self.at(2))
        #expect(Self.sent(bad).first?.hasPrefix("FAIL * INVALID_UTF8") == true)
        #expect(!other.isClosed, "invalid UTF-8 keeps the connection")
    }

    @Test func dayImportReadsExactlyTheAnnouncedLinesAsItsPayload() {
        var machine = Self.signedIn()
        #expect(Self.sent(machine.receive(Self.line("@id=d DAY-IMPORT 3"), at: Self.at(2))) == ["@id=d CONTINUE DAY-IMPORT 3 :send 3 lines, each starting with |"])
        #expect(machine.isCollectingImport)
        // Payload lines are not commands, and do not count against the flood guard.
        #expect(machine.receive(Self.line("|room,date"), at: Self.at(2)).isEmpty)
        #expect(machine.receive(Self.line("|QUIT\r"), at: Self.at(2)).isEmpty)
        let done = machine.receive(Self.line("|r1,2026-12-07"), at: Self.at(2))
        #expect(done == [.importDay(lines: ["room,date", "QUIT", "r1,2026-12-07"], Self.admin, id: "d")])
        #expect(!machine.isCollectingImport)
        #expect(!machine.isClosed)
    }

    @Test func aRefusedPayloadLineFailsTheImportOnlyOnceAllAreRead() {
        var machine = Self.signedIn()
        _ = machine.receive(Self.line("@id=d DAY-IMPORT 4"), at: Self.at(2))
        #expect(machine.receive(Self.line("|ok"), at: Self.at(2)).isEmpty)
        #expect(machine.receive(Self.line("WHOAMI"), at: Self.at(2)).isEmpty)
        #expect(machine.receive(.line(Array("|\u{7}".utf8)), at: Self.at(2)).isEmpty)
        let failed = machine.receive(.line([UInt8(ascii: "|"), 0xFF]), at: Self.at(2))
        #expect(Self.sent(failed) == ["@id=d FAIL DAY-IMPORT MALFORMED 2 :CSV line 2 does not start with |; nothing was imported"])
        // The next line is a command again.
        #expect(machine.receive(Self.line("@id=w WHOAMI"), at: Self.at(2)) == [.execute(.whoami, Self.admin, id: "w", key: nil)])
    }

    @Test func onlyAdminsMayImportADay() {
        var machine = Self.signedIn(Self.juror)
        #expect(Self.sent(machine.receive(Self.line("DAY-IMPORT 2"), at: Self.at(2))).first?.hasPrefix("FAIL DAY-IMPORT FORBIDDEN") == true)
        #expect(!machine.isCollectingImport)
        // The lines that follow are read as commands (and refused as such), never as a payload.
        #expect(Self.sent(machine.receive(Self.line("|x"), at: Self.at(2))).first?.hasPrefix("FAIL * ") == true)
    }

    @Test func aTerminationFromOutsideIsSentThenCloses() {
        var machine = Self.signedIn()
        let actions = machine.terminate(.revoked, "token revoked")
        #expect(actions == [.send(.fail(verb: "*", code: .revoked, text: "token revoked")), .close])
        #expect(machine.terminate(.shuttingDown, "again").isEmpty)
    }
}
