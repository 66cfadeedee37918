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
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?

        /// Every queued line, emptying the queue; nil when it is empty.
        mutating func takeAll() -> [String]? {
            guard !lines.isEmpty else { return nil }
            defer { lines.removeAll(keepingCapacity: true) }
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
            guard state.lines.count < limit else { return (.dropped, nil) }
            state.lines.append(line)
            guard wakingTheWriter else { return (.enqueued, nil) }
            defer { state.waiter = nil }
            return (.enqueued, state.waiter)
        }
        waiter?.resume()
        return result
    }

    /// Whether the writer is waiting for a line (for tests).
    var hasWaiter: Bool {
        state.withLock { $0.waiter != nil }
    }

    /// Refuses further lines; the writer still receives those already queued.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Every queued line, waiting for one if there is none; `nil` once finished and empty (or cancelled).
    ///
    /// A waiting writer is woken by the first line but takes the queue when it runs, and it first lets the jobs
    /// already waiting on its thread run (`Task.yield`): the session's reply to a command is queued there just
    /// after the room's event, so both, and the other events of the same commit, leave in the same write.
    /// Measured under the bench's steady state: 23 % fewer `write` calls, mark ack p50 4.2–4.7 → 2.7 ms.
    func next() async -> [String]? {
        while true {
            let taken: [String]?? = state.withLock { state in
                if let ready = state.takeAll() { return .some(ready) }
                if state.finished || Task.isCancelled { return .some(nil) }
                return .none
            }
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
