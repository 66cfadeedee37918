import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
import Foundation
import Synchronization
import Testing

/// Collects a live session's events in the background.
final class EventLog: Sendable {
    final class Storage: Sendable {
        let items = Mutex<[LiveEvent]>([])
    }

    private let storage = Storage()
    let task: Task<Void, Never>

    init(_ session: LiveSession) {
        let storage = self.storage
        task = Task {
            for await event in session.events { storage.items.withLock { $0.append(event) } }
        }
    }

    var all: [LiveEvent] { storage.items.withLock { $0 } }

    var roomSeqs: [Int] {
        all.compactMap { event in
            if case .room(let message) = event { return message.eventSeq }
            return nil
        }
    }

    func waitUntil(_ what: String, timeout: Duration = .seconds(15), _ predicate: ([LiveEvent]) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if predicate(all) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ProcessTests.ProcessTestError("timed out waiting for \(what); got \(all.suffix(5))")
    }
}

@Suite struct LiveSessionTests {
    @Test func reconnectsAndResumesWithoutLosingOrDuplicatingEvents() async throws {
        var server = try await TestServer.start()
        let tokens = try await server.makeUsers(["camille", "paul"], role: .juror)
        let leaToken = try await server.makeUser("lea", role: .candidate)
        let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
        try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=camille block=A1")
        await admin.close()

        let session = LiveSession(endpoint: ServerEndpoint(host: "127.0.0.1", port: server.port, caFile: server.caPath), token: leaToken)
        let log = EventLog(session)
        try await session.start()
        #expect(try await session.join("r1").terminal.verb == "OK")
        try await log.waitUntil("a clock measurement") { $0.contains { if case .clock = $0 { return true } else { return false } } }

        let juror = try await RoomClient.connect(server, name: "camille", token: tokens[0])
        try await juror.ok("JOIN r1")
        for index in 1...3 { try await juror.ok("SAY r1 room :avant \(index)") }
        try await log.waitUntil("three messages") { events in events.filter { if case .room(let m) = $0 { return m.eventType == "message" } else { return false } }.count == 3 }
        await juror.close()

        // The server goes away and comes back; meanwhile nothing is lost.
        server = try await server.restarted()
        try await log.waitUntil("the reconnection") { events in events.filter { $0 == .connected }.count == 2 }
        let juror2 = try await RoomClient.connect(server, name: "camille2", token: tokens[0])
        try await juror2.ok("JOIN r1")
        for index in 1...3 { try await juror2.ok("SAY r1 room :après \(index)") }
        try await log.waitUntil("three more messages") { events in events.filter { if case .room(let m) = $0 { return m.eventType == "message" } else { return false } }.count == 6 }

        let seqs = log.roomSeqs
        #expect(seqs == Array(Set(seqs)).sorted(), "in order, no duplicate: \(seqs)")
        let last = try #require(seqs.last)
        #expect(Set(seqs) == Set((seqs.first!)...last), "no gap: \(seqs)")
        #expect(log.all.contains { if case .disconnected = $0 { return true } else { return false } })
        await session.close()
        await juror2.close()
        await server.stop()
    }

    @Test func whileTheServerIsDownTheSessionKnocksEverySecondInsteadOfBackingOff() async throws {
        var server = try await TestServer.start()
        let token = try await server.makeUser("lea", role: .candidate)
        let session = LiveSession(endpoint: ServerEndpoint(host: "127.0.0.1", port: server.port, caFile: server.caPath), token: token)
        let log = EventLog(session)
        try await session.start()
        // Down for 9.5 s: backing off (0.5 s doubling, ±30 %) would try next around 15 s after the fall; refused
        // attempts are retried about every second instead, so the session is back soon after the server.
        server = try await server.restarted(downtime: .milliseconds(9500))
        let back = ContinuousClock.now
        try await log.waitUntil("the reconnection") { events in events.filter { $0 == .connected }.count == 2 }
        let waited = ContinuousClock.now - back
        #expect(waited < .milliseconds(2500), "reconnected \(waited) after the server was back")
        let attempts = log.all.compactMap { event -> Int? in if case .disconnected(_, let attempt) = event { return attempt } else { return nil } }
        #expect((attempts.max() ?? 0) >= 7, "about one attempt a second while refused: \(attempts)")
        await session.close()
        await server.stop()
    }

    @Test func aRefusedConnectionIsToldFromOtherFailures() async throws {
        let server = try await TestServer.start()
        let caPath = FileManager.default.temporaryDirectory.appendingPathComponent("defence-ca-\(UUID().uuidString).pem").path
        try FileManager.default.copyItem(atPath: server.caPath, toPath: caPath)
        defer { try? FileManager.default.removeItem(atPath: caPath) }
        await server.stop()
        // A port nothing listens on, held for the whole test: a socket bound to it that never listens. (A closed
        // server's port could be taken meanwhile by a test server starting in parallel: it once was.)
        let held = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(held >= 0)
        defer { close(held) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(held, $0, length) == 0 && getsockname(held, $0, &length) == 0 }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        do {
            _ = try await LineConnection.connect(host: "127.0.0.1", port: port, tls: ClientTLS.configuration(caFile: caPath))
            Issue.record("connected to a closed port")
        } catch {
            #expect(LiveSession.isRefused(error), "\(error)")
        }
        #expect(!LiveSession.isRefused(ClientError.timeout))
        #expect(!LiveSession.isRefused(ClientError.tls("bad certificate")))
    }

    @Test func aPinnedFingerprintIsEnforced() async throws {
        try await withServer { server in
            let folder = (server.caPath as NSString).deletingLastPathComponent
            let pin = try ClientTLS.fingerprint(pemFile: folder + "/server.pem")
            let good = LiveSession(endpoint: ServerEndpoint(host: "127.0.0.1", port: server.port, pin: pin), token: server.adminToken)
            try await good.start()
            #expect(try await good.request(.whoami).terminal.parameters.prefix(2) == ["WHOAMI", "admin"])
            await good.close()
            let wrong = LiveSession(endpoint: ServerEndpoint(host: "127.0.0.1", port: server.port, pin: String(repeating: "0", count: 64)), token: server.adminToken)
            await #expect(throws: ClientError.self) { try await wrong.start() }
        }
    }

    /// Sessions given a shared TLS context use it, and make none of their own: two sessions share one and both
    /// work; a session given a context made for another CA fails its handshake although its own endpoint names the
    /// right CA (so the shared context, not the endpoint's, is the one used).
    @Test func sessionsGivenASharedTLSContextUseIt() async throws {
        try await withServer { server in
            let endpoint = ServerEndpoint(host: "127.0.0.1", port: server.port, caFile: server.caPath)
            let shared = try SharedClientTLS(endpoint: endpoint)
            let sessions = [LiveSession(endpoint: endpoint, token: server.adminToken, sharedTLS: shared),
                            LiveSession(endpoint: endpoint, token: server.adminToken, sharedTLS: shared)]
            for session in sessions {
                try await session.start()
                #expect(try await session.request(.whoami).terminal.parameters.prefix(2) == ["WHOAMI", "admin"])
                await session.close()
            }
            let other = try DevelopmentCertificates.ensure(in: server.folder + "/other-ca").paths
            let foreign = try SharedClientTLS(endpoint: ServerEndpoint(host: "127.0.0.1", port: server.port, caFile: other.caCertificate))
            let misled = LiveSession(endpoint: endpoint, token: server.adminToken, sharedTLS: foreign)
            await #expect(throws: ClientError.self) { try await misled.start() }
        }
    }

    @Test func aRevokedTokenEndsTheSession() async throws {
        try await withServer { server in
            let token = try await server.makeUser("lea", role: .candidate)
            let session = LiveSession(endpoint: ServerEndpoint(host: "127.0.0.1", port: server.port, caFile: server.caPath), token: token)
            let log = EventLog(session)
            try await session.start()
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("USER-DISABLE lea")
            try await log.waitUntil("the end") { $0.contains { if case .ended = $0 { return true } else { return false } } }
            await admin.close()
        }
    }

    /// 1,000 sessions that connected in the same instant (a join storm) ping within 7.5–12.5 s of each other's
    /// previous ping, and five minutes later no second holds more than 15 % of their pings. With a fixed
    /// 10-second wait, all 1,000 would still ping in the same second.
    @Test func sessionsThatConnectedTogetherStopPingingTogether() {
        var generator = SplitMixGenerator(state: 7)
        var times = [Double](repeating: 0, count: 1000)
        for _ in 0..<30 {
            for index in times.indices {
                let wait = LiveSession.clockWait(using: &generator)
                #expect(wait >= 7.5 && wait <= 12.5)
                times[index] += wait
            }
        }
        let busiestSecond = Dictionary(grouping: times) { Int($0.rounded(.down)) }.values.map(\.count).max() ?? 0
        #expect(busiestSecond < 150, "\(busiestSecond) of 1,000 pings in one second after 30 rounds")
    }
}

/// A seeded generator, so that the jitter test draws the same waits on every run.
private struct SplitMixGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
