import DefenceChannel
import NIOCore
import Synchronization

/// Where an ``Outbox`` writes: a connection's channel, seen through the four things the outbox needs of it.
protocol OutboxSink: Sendable {
    /// The loop every write and flush runs on.
    var eventLoop: any EventLoop { get }
    /// Whether the connection takes more bytes now (below its high water mark, or back under its low one).
    var isWritable: Bool { get }
    /// Writes and flushes `bytes`; `done` is told whether the write reached the socket. Called on ``eventLoop``.
    func write(_ bytes: ByteBuffer, done: @escaping @Sendable (Bool) -> Void)
    /// Closes the connection. Called on ``eventLoop``.
    func close()
}

/// A channel as an ``OutboxSink``.
struct ChannelSink: OutboxSink {
    let channel: any Channel

    var eventLoop: any EventLoop { channel.eventLoop }
    var isWritable: Bool { channel.isWritable }

    func write(_ bytes: ByteBuffer, done: @escaping @Sendable (Bool) -> Void) {
        channel.writeAndFlush(bytes).whenComplete { result in
            if case .success = result { done(true) } else { done(false) }
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// A connection's bounded queue of bytes to send, written from its channel's event loop.
///
/// The session and the room hub queue lines from any thread; the first line queued schedules one flush on the
/// connection's event loop, and every line queued until it runs goes out with it, in one TLS write and one flush.
/// No task is resumed per line or per write (issue #30: the task that woke per batch, and its continuation, were
/// the delivery path's cost). A request's reply comes back through the router and the session after that flush
/// has run, so it usually leaves in a write of its own, after the events of its request (sending them together
/// cut the writes by a quarter and not the CPU: docs/performance.md).
///
/// Backpressure is the channel's writability (`ChannelOptions.writeBufferWaterMark`): while the connection holds
/// more than its high water mark unsent, the flush leaves the lines queued, and the channel's return under its low
/// water mark (``writabilityChanged()``) flushes them. A queue that reaches its limit refuses the line: the session
/// then closes the connection as a slow consumer (``abort()``), its `FAIL` line ahead of the lines dropped.
final class Outbox: Sendable {
    /// What ``yield(_:wakingTheWriter:)`` did with a line.
    enum YieldResult: Equatable {
        /// Queued.
        case enqueued
        /// Refused: the queue is full.
        case dropped
        /// Refused: the queue was finished.
        case terminated
    }

    private struct State {
        /// The lines queued, each ending with its line feed.
        var bytes = ByteBuffer()
        var lines = 0
        /// How many of `lines` are a reply's (``yield(reply:)``): they do not count against the limit.
        var replyLines = 0
        /// A flush is scheduled on the event loop.
        var flushScheduled = false
        var finished = false
        /// Finished by ``abort()``: the queued lines were dropped, and the session closes the connection itself.
        var aborted = false
        /// The connection was closed after the last lines, or is being.
        var closed = false
        /// A long reply waiting for a flush to take the queue (``yield(reply:)``).
        var drainWaiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private let sink: any OutboxSink
    /// The most lines the queue holds.
    let limit: Int

    /// Creates an empty queue holding at most `limit` lines, written to `sink`.
    init(limit: Int, sink: any OutboxSink) {
        self.limit = limit
        self.sink = sink
    }

    /// Queues a line (without its line feed).
    ///
    /// - Parameter wakingTheWriter: `false` schedules no flush: the line goes out with the next one that does. For
    ///   lines that a request's reply or its events are sure to follow (the room hub's `SNAPSHOT` on `JOIN`,
    ///   what `RESUME` replays): they leave in the same write as the next line that schedules one.
    @discardableResult
    func yield(_ line: String, wakingTheWriter: Bool = true) -> YieldResult {
        queue(wakingTheWriter: wakingTheWriter) { bytes in bytes.writeLine(line) }
    }

    /// Queues a line already encoded with its line feed, as the room hub encodes an event once for all the
    /// subscribers of an audience: its bytes are copied, never re-encoded.
    @discardableResult
    func yield(encoded line: ByteBuffer) -> YieldResult {
        queue(wakingTheWriter: true) { bytes in
            var line = line
            bytes.writeBuffer(&line)
        }
    }

    private func queue(wakingTheWriter: Bool, _ append: (inout ByteBuffer) -> Void) -> YieldResult {
        let (result, schedule) = state.withLock { state -> (YieldResult, Bool) in
            if state.finished { return (.terminated, false) }
            guard state.lines - state.replyLines < limit else { return (.dropped, false) }
            append(&state.bytes)
            state.lines += 1
            guard wakingTheWriter, !state.flushScheduled else { return (.enqueued, false) }
            state.flushScheduled = true
            return (.enqueued, true)
        }
        if schedule { scheduleFlush() }
        return result
    }

    /// How many lines of a long reply are queued at a time: the rest waits for a flush to take them, so that a
    /// reply of any length reaches a client that reads, and memory stays bounded.
    static let replyChunk = 256

    /// Queues the lines of one reply, however many, with backpressure: whenever ``replyChunk`` lines or more are
    /// waiting, it waits for a flush to take the queue (which it does while the connection is writable). Reply
    /// lines do not count against ``limit``, which bounds the events a client leaves unread. Returns `.terminated`
    /// if the queue is finished meanwhile; never `.dropped`.
    func yield(reply lines: [String]) async -> YieldResult {
        var next = 0
        while next < lines.count {
            enum Step { case wrote(schedule: Bool), full(schedule: Bool), finished }
            let step = state.withLock { state -> Step in
                if state.finished { return .finished }
                let schedule = !state.flushScheduled
                state.flushScheduled = true
                guard state.lines < Self.replyChunk else { return .full(schedule: schedule) }
                let end = min(lines.count, next + Self.replyChunk - state.lines)
                for line in lines[next..<end] { state.bytes.writeLine(line) }
                state.lines += end - next
                state.replyLines += end - next
                next = end
                return .wrote(schedule: schedule)
            }
            switch step {
            case .finished:
                return .terminated
            case .wrote(let schedule):
                if schedule { scheduleFlush() }
            case .full(let schedule):
                // Lines queued without a flush (before a reply) must not leave both sides waiting.
                if schedule { scheduleFlush() }
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let waits = state.withLock { state -> Bool in
                        guard state.lines >= Self.replyChunk, !state.finished else { return false }
                        state.drainWaiter = continuation
                        return true
                    }
                    if !waits { continuation.resume() }
                }
            }
        }
        return .enqueued
    }

    /// Runs the flush on the event loop one turn later: the jobs already waiting on the loop run first, and what they
    /// queue for this connection leaves in the same write. (A request's reply comes later than that: it is two hops
    /// from the delivery, through the router and the session.)
    private func scheduleFlush() {
        let loop = sink.eventLoop
        loop.execute { loop.execute { self.flush() } }
    }

    /// Hands every queued line to the channel in one write, if it is writable; closes it after the last lines of a
    /// finished queue. On the event loop.
    private func flush() {
        let writable = sink.isWritable
        let (bytes, drain, close) = state.withLock { state -> (ByteBuffer?, CheckedContinuation<Void, Never>?, Bool) in
            state.flushScheduled = false
            guard !state.aborted, !state.closed else { return (nil, nil, false) }
            // Not writable: the lines wait for ``writabilityChanged()``, and a full queue for the slow-consumer limit.
            guard writable else { return (nil, nil, false) }
            var taken: ByteBuffer?
            if state.lines > 0 {
                taken = state.bytes
                state.bytes = ByteBuffer()
                state.lines = 0
                state.replyLines = 0
            }
            defer { state.drainWaiter = nil }
            if state.finished { state.closed = true }
            return (taken, state.drainWaiter, state.finished)
        }
        drain?.resume()
        guard let bytes else {
            if close { sink.close() }
            return
        }
        sink.write(bytes) { [self] written in
            if close {
                sink.close()
            } else if !written {
                // Nothing more can be written: whoever waits to queue a long reply stops waiting.
                finish()
            }
        }
    }

    /// The channel's writability changed (from its pipeline, on the event loop): queued lines go out once it is
    /// writable again.
    func writabilityChanged() {
        guard sink.isWritable else { return }
        let schedule = state.withLock { state -> Bool in
            guard !state.flushScheduled, state.lines > 0 || state.finished || state.drainWaiter != nil else { return false }
            state.flushScheduled = true
            return true
        }
        if schedule { flush() }
    }

    /// How many lines are queued (for tests).
    var queuedCount: Int {
        state.withLock { $0.lines }
    }

    /// Refuses further lines; those already queued are still written, then the connection is closed.
    func finish() {
        let (drain, schedule) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Bool) in
            guard !state.finished else { return (nil, false) }
            state.finished = true
            defer { state.drainWaiter = nil }
            let schedule = !state.flushScheduled && !state.aborted
            state.flushScheduled = true
            return (state.drainWaiter, schedule)
        }
        drain?.resume()
        if schedule { scheduleFlush() }
    }

    /// Refuses further lines and drops those queued (a slow consumer: its reason goes ahead of them). The session
    /// writes the reason and closes the connection itself (``isAborted``).
    func abort() {
        let drain = state.withLock { state in
            state.finished = true
            state.aborted = true
            state.bytes = ByteBuffer()
            state.lines = 0
            state.replyLines = 0
            defer { state.drainWaiter = nil }
            return state.drainWaiter
        }
        drain?.resume()
    }

    /// Whether ``abort()`` ended the queue.
    var isAborted: Bool {
        state.withLock { $0.aborted }
    }
}

/// Tells a connection's ``Outbox`` when its channel's writability changes.
final class OutboxWritabilityHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    let outbox: Outbox

    init(outbox: Outbox) {
        self.outbox = outbox
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        outbox.writabilityChanged()
        context.fireChannelWritabilityChanged()
    }
}
