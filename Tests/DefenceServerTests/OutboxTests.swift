@testable import DefenceServer
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The connection's queue of lines, written from its event loop: what is queued before a flush runs leaves in one
/// write, the channel's writability holds the lines back, and the limit bounds what a peer leaves unread.
@Suite struct OutboxTests {
    /// A connection that records its writes, on a real event loop.
    final class Sink: OutboxSink {
        let eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
        private let writable = Atomic<Bool>(true)
        private let failing = Atomic<Bool>(false)
        private let recorded = Mutex<(writes: [String], closed: Bool)>(([], false))

        var isWritable: Bool { writable.load(ordering: .relaxed) }
        /// Each write, as text.
        var writes: [String] { recorded.withLock { $0.writes } }
        var closed: Bool { recorded.withLock { $0.closed } }
        /// Every line written, in order.
        var lines: [String] { writes.joined().split(separator: "\n").map(String.init) }

        func write(_ bytes: ByteBuffer, done: @escaping @Sendable (Bool) -> Void) {
            #expect(eventLoop.inEventLoop)
            if failing.load(ordering: .relaxed) { return done(false) }
            recorded.withLock { $0.writes.append(String(buffer: bytes)) }
            done(true)
        }

        func close() {
            #expect(eventLoop.inEventLoop)
            recorded.withLock { $0.closed = true }
        }

        func setWritable(_ value: Bool) { writable.store(value, ordering: .relaxed) }
        func failWrites() { failing.store(true, ordering: .relaxed) }

        /// Runs `body` on the loop and waits for it, then for the flushes it scheduled (two turns of the loop).
        func onLoop(_ body: @escaping @Sendable () -> Void) async throws {
            try await eventLoop.submit(body).get()
            try await settle()
        }

        /// Waits for the flushes already scheduled.
        func settle() async throws {
            for _ in 0..<4 { try await eventLoop.submit {}.get() }
        }
    }

    @Test func linesQueuedBeforeTheFlushLeaveInOneWrite() async throws {
        let sink = Sink()
        let outbox = Outbox(limit: 10, sink: sink)
        try await sink.onLoop {
            #expect(outbox.yield("OK 1") == .enqueued)
            #expect(outbox.yield(encoded: ByteBuffer(string: "EVENT 2\n")) == .enqueued)
            #expect(outbox.yield("EVENT 3") == .enqueued)
        }
        #expect(sink.writes == ["OK 1\nEVENT 2\nEVENT 3\n"])
        #expect(outbox.queuedCount == 0)
    }

    /// The flush runs one turn of the loop later: a line queued by a job already waiting on the loop leaves with the
    /// event.
    @Test func aReplyQueuedByTheNextJobOnTheLoopLeavesWithTheEvent() async throws {
        let sink = Sink()
        let outbox = Outbox(limit: 10, sink: sink)
        let loop = sink.eventLoop
        try await sink.onLoop {
            outbox.yield(encoded: ByteBuffer(string: "EVENT r1 5 mark\n"))
            loop.execute { outbox.yield("OK MARK r1 5") }
        }
        #expect(sink.writes == ["EVENT r1 5 mark\nOK MARK r1 5\n"])
    }

    /// A join's `SNAPSHOT` is queued without a flush: it leaves with the join's event and its `OK`.
    @Test func aLineQueuedWithoutWakingTheWriterLeavesWithTheNextOne() async throws {
        let sink = Sink()
        let outbox = Outbox(limit: 10, sink: sink)
        #expect(outbox.yield("SNAPSHOT r1 4", wakingTheWriter: false) == .enqueued)
        try await Task.sleep(for: .milliseconds(50))
        try await sink.settle()
        #expect(sink.writes.isEmpty)
        try await sink.onLoop {
            outbox.yield("EVENT r1 5 joined", wakingTheWriter: false)
            outbox.yield("OK JOIN r1 5")
        }
        #expect(sink.writes == ["SNAPSHOT r1 4\nEVENT r1 5 joined\nOK JOIN r1 5\n"])
        // Held lines count against the limit like the others, and a finished queue still writes them.
        let small = Outbox(limit: 1, sink: sink)
        #expect(small.yield("SNAPSHOT r1 6", wakingTheWriter: false) == .enqueued)
        #expect(small.yield("EVENT r1 7", wakingTheWriter: false) == .dropped)
        small.finish()
        try await sink.settle()
        #expect(sink.lines.last == "SNAPSHOT r1 6")
    }

    /// A connection over its high water mark is not written to: the lines wait, count against the limit, and all
    /// leave in one write once it is writable again.
    @Test func anUnwritableConnectionHoldsTheLinesUntilTheLimit() async throws {
        let sink = Sink()
        let outbox = Outbox(limit: 3, sink: sink)
        sink.setWritable(false)
        try await sink.onLoop {
            for index in 1...3 { #expect(outbox.yield("EVENT \(index)") == .enqueued) }
            #expect(outbox.yield("EVENT 4") == .dropped)
        }
        #expect(sink.writes.isEmpty)
        #expect(outbox.queuedCount == 3)
        sink.setWritable(true)
        try await sink.onLoop { outbox.writabilityChanged() }
        #expect(sink.writes == ["EVENT 1\nEVENT 2\nEVENT 3\n"])
        #expect(outbox.yield("EVENT 4") == .enqueued)
    }

    /// A long reply goes a chunk at a time, as flushes take them, and never counts against the limit, which bounds
    /// unread events: an event arriving meanwhile is queued.
    @Test func aLongReplyFlowsAsTheFlushesTakeItAndLeavesRoomForEvents() async throws {
        let sink = Sink()
        let outbox = Outbox(limit: 4, sink: sink)
        let reply = (0..<1000).map { "USER u\($0)" }
        let sender = Task { await outbox.yield(reply: reply) }
        var events = 0
        while sink.lines.filter({ $0.hasPrefix("USER") }).count < reply.count {
            #expect(outbox.yield("EVENT \(events)") == .enqueued, "an event during the reply")
            events += 1
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(await sender.value == .enqueued)
        try await sink.settle()
        #expect(sink.lines.filter { $0.hasPrefix("USER") } == reply)
        for write in sink.writes { #expect(write.split(separator: "\n").filter { $0.hasPrefix("USER") }.count <= Outbox.replyChunk) }
    }

    /// A reply held back by an unwritable connection stops waiting when the queue is finished (the connection is
    /// gone).
    @Test func aWaitingReplyEndsWithTheQueue() async throws {
        let sink = Sink()
        sink.setWritable(false)
        let outbox = Outbox(limit: 10, sink: sink)
        let sender = Task { await outbox.yield(reply: (0..<600).map { "DATA \($0)" }) }
        for _ in 0..<2_000 where outbox.queuedCount < Outbox.replyChunk { try await Task.sleep(for: .milliseconds(1)) }
        #expect(outbox.queuedCount == Outbox.replyChunk)
        outbox.finish()
        #expect(await sender.value == .terminated)
    }

    @Test func finishingWritesWhatIsQueuedThenCloses() async throws {
        let sink = Sink()
        let outbox = Outbox(limit: 10, sink: sink)
        outbox.yield("last words")
        outbox.finish()
        #expect(outbox.yield("too late") == .terminated)
        try await sink.settle()
        #expect(sink.writes == ["last words\n"])
        #expect(sink.closed)
    }

    /// A slow consumer: the queued lines are dropped, and the session writes the reason and closes.
    @Test func abortingDropsTheQueueAndLeavesTheConnectionToTheSession() async throws {
        let sink = Sink()
        sink.setWritable(false)
        let outbox = Outbox(limit: 2, sink: sink)
        outbox.yield("EVENT 1")
        outbox.yield("EVENT 2")
        #expect(outbox.yield("EVENT 3") == .dropped)
        outbox.abort()
        #expect(outbox.isAborted)
        sink.setWritable(true)
        try await sink.onLoop { outbox.writabilityChanged() }
        #expect(sink.writes.isEmpty)
        #expect(!sink.closed)
        #expect(outbox.yield("EVENT 4") == .terminated)
    }

    /// A write that fails (the connection is gone) ends the queue: a long reply stops waiting.
    @Test func aFailedWriteEndsTheQueue() async throws {
        let sink = Sink()
        sink.failWrites()
        let outbox = Outbox(limit: 10, sink: sink)
        try await sink.onLoop { outbox.yield("EVENT 1") }
        try await sink.settle()
        #expect(outbox.yield("EVENT 2") == .terminated)
    }
}
