import Synchronization

/// A connection's bounded queue of lines to send.
///
/// The session and the room hub add lines; the connection's writer takes **every** queued line at once and
/// sends them in one TLS write, so a reply and the events it caused leave in one record and one system call.
/// A queue that reaches its limit refuses the line (the session then closes the connection as a slow consumer).
final class Outbox: Sendable {
    /// What ``yield(_:)`` did with a line.
    enum YieldResult: Equatable {
        /// Queued.
        case enqueued
        /// Refused: the queue is full.
        case dropped
        /// Refused: the queue was finished.
        case terminated
    }

    private struct State {
        var lines: [String] = []
        /// How many of `lines` are a reply's (``yield(reply:)``): they do not count against the limit.
        var replyLines = 0
        var finished = false
        /// Finished by ``abort()``: the queued lines were dropped, and the session closes the connection itself.
        var aborted = false
        var waiter: CheckedContinuation<Void, Never>?
        /// A long reply waiting for the writer to take the queue (``yield(reply:)``).
        var drainWaiter: CheckedContinuation<Void, Never>?

        /// Every queued line, emptying the queue; nil when it is empty.
        mutating func takeAll() -> [String]? {
            guard !lines.isEmpty else { return nil }
            defer {
                lines.removeAll(keepingCapacity: true)
                replyLines = 0
            }
            return lines
        }
    }

    private let state = Mutex(State())
    /// The most lines the queue holds.
    let limit: Int

    /// Creates an empty queue holding at most `limit` lines.
    init(limit: Int) {
        self.limit = limit
    }

    /// Queues a line.
    ///
    /// - Parameter wakingTheWriter: `false` leaves a waiting writer asleep: the line goes out with the next one
    ///   that wakes it. For lines that a request's reply is sure to follow (the room hub's `SNAPSHOT` on `JOIN`,
    ///   what `RESUME` replays): they, the events the request commits and its `OK` then leave in one write.
    @discardableResult
    func yield(_ line: String, wakingTheWriter: Bool = true) -> YieldResult {
        let (result, waiter) = state.withLock { state -> (YieldResult, CheckedContinuation<Void, Never>?) in
            if state.finished { return (.terminated, nil) }
            guard state.lines.count - state.replyLines < limit else { return (.dropped, nil) }
            state.lines.append(line)
            guard wakingTheWriter else { return (.enqueued, nil) }
            defer { state.waiter = nil }
            return (.enqueued, state.waiter)
        }
        waiter?.resume()
        return result
    }

    /// How many lines of a long reply are queued at a time: the rest waits for the writer to take them, so that a
    /// reply of any length reaches a client that reads, and memory stays bounded.
    static let replyChunk = 256

    /// Queues the lines of one reply, however many, with backpressure: whenever ``replyChunk`` lines or more are
    /// waiting, it waits for the writer to take the queue (which it does once the previous write reached the
    /// socket). Reply lines do not count against ``limit``, which bounds the events a client leaves unread. Returns
    /// `.terminated` if the queue is finished meanwhile; never `.dropped`.
    func yield(reply lines: [String]) async -> YieldResult {
        var next = 0
        while next < lines.count {
            enum Step { case wrote(CheckedContinuation<Void, Never>?), full(CheckedContinuation<Void, Never>?), finished }
            let step = state.withLock { state -> Step in
                if state.finished { return .finished }
                defer { state.waiter = nil }
                guard state.lines.count < Self.replyChunk else { return .full(state.waiter) }
                let end = min(lines.count, next + Self.replyChunk - state.lines.count)
                state.lines.append(contentsOf: lines[next..<end])
                state.replyLines += end - next
                next = end
                return .wrote(state.waiter)
            }
            switch step {
            case .finished:
                return .terminated
            case .wrote(let waiter):
                waiter?.resume()
            case .full(let waiter):
                // Lines queued without waking the writer (before a reply) must not leave both sides waiting.
                waiter?.resume()
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let waits = state.withLock { state -> Bool in
                        guard state.lines.count >= Self.replyChunk, !state.finished else { return false }
                        state.drainWaiter = continuation
                        return true
                    }
                    if !waits { continuation.resume() }
                }
            }
        }
        return .enqueued
    }

    /// How many lines are queued (for tests).
    var queuedCount: Int {
        state.withLock { $0.lines.count }
    }

    /// Whether the writer is waiting for a line (for tests).
    var hasWaiter: Bool {
        state.withLock { $0.waiter != nil }
    }

    /// Refuses further lines; the writer still receives those already queued.
    func finish() {
        let (waiter, drain) = state.withLock { state in
            state.finished = true
            defer { (state.waiter, state.drainWaiter) = (nil, nil) }
            return (state.waiter, state.drainWaiter)
        }
        waiter?.resume()
        drain?.resume()
    }

    /// Refuses further lines and drops those queued (a slow consumer: its reason goes ahead of them): the writer
    /// stops, and leaves the connection to the session, which closes it (``isAborted``).
    func abort() {
        let (waiter, drain) = state.withLock { state in
            state.finished = true
            state.aborted = true
            state.lines.removeAll()
            defer { (state.waiter, state.drainWaiter) = (nil, nil) }
            return (state.waiter, state.drainWaiter)
        }
        waiter?.resume()
        drain?.resume()
    }

    /// Whether ``abort()`` ended the queue.
    var isAborted: Bool {
        state.withLock { $0.aborted }
    }

    /// Every queued line, waiting for one if there is none; `nil` once finished and empty (or cancelled).
    ///
    /// A waiting writer is woken by the first line but takes the queue when it runs, and it first lets the jobs
    /// already waiting on its thread run (`Task.yield`): the session's reply to a command is queued there just
    /// after the room's event, so both, and the other events of the same commit, leave in the same write.
    /// Measured under the bench's steady state: 23 % fewer `write` calls, mark ack p50 4.2–4.7 → 2.7 ms.
    func next() async -> [String]? {
        while true {
            let (taken, drain): ([String]??, CheckedContinuation<Void, Never>?) = state.withLock { state in
                if let ready = state.takeAll() {
                    defer { state.drainWaiter = nil }
                    return (.some(ready), state.drainWaiter)
                }
                if state.finished || Task.isCancelled { return (.some(nil), nil) }
                return (.none, nil)
            }
            drain?.resume()
            if let taken { return taken }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let waits = state.withLock { state -> Bool in
                        guard state.lines.isEmpty, !state.finished, !Task.isCancelled else { return false }
                        state.waiter = continuation
                        return true
                    }
                    if !waits { continuation.resume() }
                }
            } onCancel: {
                finish()
            }
            await Task.yield()
        }
    }
}
