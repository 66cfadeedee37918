@testable import DefenceServer
import Testing

/// The connection's queue of lines: the writer takes everything queued at once, so that a reply and the events
/// queued with it leave in one write.
@Suite struct OutboxTests {
    /// Waits (bounded) until a writer is parked in `next()`.
    private func waitForWriter(_ outbox: Outbox) async throws {
        for _ in 0..<2_000 where !outbox.hasWaiter {
            try await Task.sleep(for: .milliseconds(1))
        }
        try #require(outbox.hasWaiter)
    }

    @Test func queuedLinesAreTakenTogether() async {
        let outbox = Outbox(limit: 10)
        #expect(outbox.yield("a") == .enqueued)
        #expect(outbox.yield("b") == .enqueued)
        #expect(await outbox.next() == ["a", "b"])
    }

    /// The first line wakes the writer, but the writer takes the queue when it runs: lines queued between the wake
    /// and the run go in the same write (it used to be handed the first line alone).
    @Test func aWakenedWriterTakesEveryLineQueuedBeforeItRuns() async throws {
        let outbox = Outbox(limit: 10)
        let writer = Task { await outbox.next() }
        try await waitForWriter(outbox)
        #expect(outbox.yield("OK 1") == .enqueued)
        #expect(outbox.yield("EVENT 2") == .enqueued)
        #expect(outbox.yield("EVENT 3") == .enqueued)
        #expect(await writer.value == ["OK 1", "EVENT 2", "EVENT 3"])
        #expect(!outbox.hasWaiter)
    }

    /// A join's `SNAPSHOT` is queued without waking the writer: it leaves with the join's event and its `OK`.
    @Test func aLineQueuedWithoutWakingTheWriterLeavesWithTheNextOne() async throws {
        let outbox = Outbox(limit: 10)
        let writer = Task { await outbox.next() }
        try await waitForWriter(outbox)
        #expect(outbox.yield("SNAPSHOT r1 4", wakingTheWriter: false) == .enqueued)
        try await Task.sleep(for: .milliseconds(50))
        #expect(outbox.hasWaiter)
        #expect(outbox.yield("EVENT r1 5 joined", wakingTheWriter: false) == .enqueued)
        #expect(outbox.yield("OK JOIN r1 5") == .enqueued)
        #expect(await writer.value == ["SNAPSHOT r1 4", "EVENT r1 5 joined", "OK JOIN r1 5"])
        // Held lines count against the limit like the others, and a finished queue still hands them over.
        let small = Outbox(limit: 1)
        #expect(small.yield("SNAPSHOT r1 4", wakingTheWriter: false) == .enqueued)
        #expect(small.yield("EVENT r1 5", wakingTheWriter: false) == .dropped)
        small.finish()
        #expect(await small.next() == ["SNAPSHOT r1 4"])
    }

    /// A long reply goes a chunk at a time, as the writer takes them, and never counts against the limit, which
    /// bounds unread events: an event arriving meanwhile is queued.
    @Test func aLongReplyFlowsAsTheWriterTakesItAndLeavesRoomForEvents() async throws {
        let outbox = Outbox(limit: 4)
        let reply = (0..<1000).map { "USER u\($0)" }
        let sender = Task { await outbox.yield(reply: reply) }
        var taken: [String] = []
        while taken.count < reply.count {
            guard let lines = await outbox.next() else { break }
            let replyLines = lines.filter { $0.hasPrefix("USER") }
            #expect(replyLines.count <= Outbox.replyChunk)
            taken += replyLines
            #expect(outbox.yield("EVENT r1 \(taken.count)") == .enqueued, "an event during the reply")
        }
        #expect(await sender.value == .enqueued)
        #expect(taken == reply)
    }

    /// A reply waiting for the writer stops waiting when the queue is finished (the connection is gone), and a
    /// reply queued after lines held for it wakes the writer.
    @Test func aWaitingReplyEndsWithTheQueue() async throws {
        let outbox = Outbox(limit: 10)
        let sender = Task { await outbox.yield(reply: (0..<600).map { "DATA \($0)" }) }
        for _ in 0..<2_000 where outbox.queuedCount < Outbox.replyChunk { try await Task.sleep(for: .milliseconds(1)) }
        outbox.finish()
        #expect(await sender.value == .terminated)

        let held = Outbox(limit: 1000)
        let writer = Task { await held.next() }
        try await waitForWriter(held)
        for index in 0..<Outbox.replyChunk { _ = held.yield("EVENT \(index)", wakingTheWriter: false) }
        let reply = Task { await held.yield(reply: ["DATA", "OK"]) }
        #expect(await writer.value?.count == Outbox.replyChunk)
        #expect(await held.next() == ["DATA", "OK"])
        #expect(await reply.value == .enqueued)
    }

    @Test func aFullQueueRefusesTheLine() async {
        let outbox = Outbox(limit: 2)
        #expect(outbox.yield("a") == .enqueued)
        #expect(outbox.yield("b") == .enqueued)
        #expect(outbox.yield("c") == .dropped)
        #expect(await outbox.next() == ["a", "b"])
        #expect(outbox.yield("c") == .enqueued)
    }

    @Test func finishingDeliversWhatIsQueuedThenEnds() async throws {
        let outbox = Outbox(limit: 10)
        outbox.yield("last words")
        outbox.finish()
        #expect(outbox.yield("too late") == .terminated)
        #expect(await outbox.next() == ["last words"])
        #expect(await outbox.next() == nil)

        let idle = Outbox(limit: 10)
        let writer = Task { await idle.next() }
        try await waitForWriter(idle)
        idle.finish()
        #expect(await writer.value == nil)
    }

    @Test func cancellingTheWriterEndsTheQueue() async throws {
        let outbox = Outbox(limit: 10)
        let writer = Task { await outbox.next() }
        try await waitForWriter(outbox)
        writer.cancel()
        #expect(await writer.value == nil)
        #expect(outbox.yield("after") == .terminated)
    }
}
