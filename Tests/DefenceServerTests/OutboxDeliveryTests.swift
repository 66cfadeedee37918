import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
import Foundation
import Synchronization
import Testing

/// What a juror types while the connection is down is kept, sent once it is back, and carried out once; a
/// request whose OK was lost after the commit is not carried out twice; an outbox read back after a console
/// restart sends what it holds, once (issue #29).
@Suite struct OutboxDeliveryTests {
    static func waitFor(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func isOK(_ outcome: RequestOutbox.Outcome) -> Bool {
        if case .answered(_, let reply) = outcome { return reply.failure == nil }
        return false
    }

    @Test func whatIsTypedDuringADropIsAppliedOnce() async throws {
        let server = try await TestServer.start()
        let jurors = try await server.makeUsers(["camille", "paul"], role: .juror)
        _ = try await server.makeUsers(["lea"], role: .candidate)
        let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
        try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=camille competences=A1C1")
        await admin.close()

        let session = LiveSession(endpoint: ServerEndpoint(host: "127.0.0.1", port: server.port, caFile: server.caPath), token: jurors[0])
        try await session.start()
        _ = try await session.join("r1")
        let events = Mutex<[LiveEvent]>([])
        let watcher = Task { for await event in session.events { events.withLock { $0.append(event) } } }
        // Every change of the outbox is saved, as the console writes it to disk.
        let saved = Mutex<Data?>(nil)
        let outbox = RequestOutbox(session: session, outbox: Outbox(clientID: "cam")) { value in
            let data = try JSONEncoder().encode(value)
            saved.withLock { $0 = data }
        }
        #expect(Self.isOK(try await outbox.send(.timerStart(room: "r1"))))
        let before = try #require(TimeReply(try await session.request(.time(room: "r1")).terminal)).endsAt

        // The server goes away for a few seconds; the juror goes on working.
        let restart = Task { try await server.restarted(downtime: .seconds(3)) }
        try await Self.waitFor("the drop") { events.withLock { $0.contains { if case .disconnected = $0 { true } else { false } } } }
        let typed: [Command] = [
            .mark(room: "r1", candidate: "lea", criterion: "A1C1.1", mark: .met, comment: "pendant la coupure"),
            .say(room: "r1", audience: .room, text: "Nous reprenons dans un instant"),
            .timerAdjust(room: "r1", seconds: 60, reason: "coupure"),
            .mark(room: "r1", candidate: "lea", criterion: "A9C9.9", mark: .met, comment: nil),
        ]
        for command in typed { #expect(try await outbox.send(command) == .queued(command)) }
        #expect(await outbox.waiting == typed)
        let written = try #require(saved.withLock { $0 })
        #expect(try JSONDecoder().decode(Outbox.self, from: written).commands == typed, "on disk before anything was answered")

        // Back: the session resumes the room, then the queue goes, in order.
        let restarted = try await restart.value
        try await Self.waitFor("the resume") { events.withLock { $0.contains(.resumed) } }
        let outcomes = try await outbox.flush()
        #expect(outcomes.count == 4 && outcomes.prefix(3).allSatisfy(Self.isOK), "\(outcomes)")
        // The refusal is shown on the item it concerns, never dropped silently.
        guard case .answered(let refused, let reply) = outcomes.last else { throw CancellationError() }
        #expect(refused == typed[3] && reply.failure != nil, "\(reply.terminal.serialized)")
        #expect(await outbox.waiting.isEmpty)
        let after = try #require(TimeReply(try await session.request(.time(room: "r1")).terminal)).endsAt
        #expect(after == before.map { $0.addingTimeInterval(60) }, "the clock moved once")

        // The console was killed before the OKs were written down: its outbox, read back from disk, is sent again.
        // The server recognises each key and carries nothing out twice.
        let again = RequestOutbox(session: session, outbox: try JSONDecoder().decode(Outbox.self, from: written)) { _ in }
        let replayed = try await again.flush()
        #expect(replayed.prefix(3).allSatisfy { outcome in
            if case .answered(_, let reply) = outcome { return reply.terminal.parameters.last == "replayed" }
            return false
        }, "\(replayed)")
        let history = try await session.request(.history(room: "r1", limit: nil))
        #expect(history.data.compactMap { EventLine(past: $0) }.filter { $0.type == "message" }.count == 1, "one message, not two")
        let progress = try await session.request(.progress(room: "r1"))
        #expect(progress.data.compactMap(GridLine.init).filter { $0.item == "A1C1.1" }.count == 1)
        #expect(try #require(TimeReply(try await session.request(.time(room: "r1")).terminal)).endsAt == after, "and the clock did not move again")

        watcher.cancel()
        await session.close()
        await restarted.stop()
    }
}
