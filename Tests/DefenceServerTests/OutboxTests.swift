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
