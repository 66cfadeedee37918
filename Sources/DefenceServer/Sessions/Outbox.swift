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
        var waiter: CheckedContinuation<[String]?, Never>?

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
    @discardableResult
    func yield(_ line: String) -> YieldResult {
        let (result, waiter) = state.withLock { state -> (YieldResult, CheckedContinuation<[String]?, Never>?) in
            if state.finished { return (.terminated, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (.enqueued, waiter)
            }
            guard state.lines.count < limit else { return (.dropped, nil) }
            state.lines.append(line)
            return (.enqueued, nil)
        }
        waiter?.resume(returning: [line])
        return result
    }

    /// Refuses further lines; the writer still receives those already queued.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[String]?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Every queued line, waiting for one if there is none; `nil` once finished and empty (or cancelled).
    func next() async -> [String]? {
        if let ready = state.withLock({ $0.takeAll() }) { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[String]?, Never>) in
                let immediate: [String]?? = state.withLock { state in
                    if let ready = state.takeAll() { return .some(ready) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            finish()
        }
    }
}
