import NIOCore
import Synchronization

/// Lines received from the server, waiting to be read, with timed waits.
///
/// Filled synchronously from the channel's event loop, so lines keep their order. A wait's deadline is a timer
/// of that event loop, removed as soon as a line comes (a cancelled `Task.sleep` would stay queued in the
/// dispatch timer heap until its deadline: two 30 s timers per connection in a reconnection storm).
final class LineInbox: Sendable {
    private struct State {
        var lines: [String] = []
        var head = 0
        var closed = false
        var failure: Error?
        var waiter: (id: UInt64, continuation: CheckedContinuation<String?, Error>)?
        var nextWaiterID: UInt64 = 0

        /// The next buffered line, or the end (nil, or the failure) once closed and drained; nil when a reader must wait.
        mutating func take() -> Result<String?, Error>? {
            if head < lines.count {
                let line = lines[head]
                head += 1
                if head > 256 && head * 2 > lines.count {
                    lines.removeFirst(head)
                    head = 0
                }
                return .success(line)
            }
            if closed { return failure.map { .failure($0) } ?? .success(nil) }
            return nil
        }
    }

    private let state = Mutex(State())
    private let eventLoop: any EventLoop

    /// An inbox whose timed waits use timers of `eventLoop` (the connection's).
    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func push(_ line: String) {
        let waiter: CheckedContinuation<String?, Error>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter.continuation
            }
            state.lines.append(line)
            return nil
        }
        waiter?.resume(returning: line)
    }

    /// Marks the end of input. With an error (e.g. a failed TLS handshake), readers get that error once
    /// the buffered lines are read, instead of a plain end.
    func close(error: Error? = nil) {
        let (waiter, failure) = state.withLock { state -> (CheckedContinuation<String?, Error>?, Error?) in
            if !state.closed {
                state.closed = true
                state.failure = error
            }
            defer { state.waiter = nil }
            return (state.waiter?.continuation, state.failure)
        }
        if let failure {
            waiter?.resume(throwing: failure)
        } else {
            waiter?.resume(returning: nil)
        }
    }

    /// The next line; `nil` once the connection is closed and every line was read.
    ///
    /// A line already received is returned at once; only a wait with a `timeout` arms a timer (a reader that
    /// takes thousands of lines a second does not start and cancel a timer task for each).
    /// - Parameter timeout: how long to wait for a line; `nil` waits until one comes or the connection ends.
    /// - Throws: ``ClientError/timeout`` when nothing arrives in time.
    func next(timeout: Duration?) async throws -> String? {
        // One lock: a buffered line, or else the number of the wait that follows.
        let ready: Result<String?, Error>?
        let waiterID: UInt64
        (ready, waiterID) = state.withLock { state in
            if let ready = state.take() { return (ready, 0) }
            state.nextWaiterID += 1
            return (nil, state.nextWaiterID)
        }
        if let ready { return try ready.get() }
        let timer = timeout.map { timeout in
            eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                let waiter = self.state.withLock { state -> CheckedContinuation<String?, Error>? in
                    guard let waiter = state.waiter, waiter.id == waiterID else { return nil }
                    state.waiter = nil
                    return waiter.continuation
                }
                waiter?.resume(throwing: ClientError.timeout)
            }
        }
        defer { timer?.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let immediate: Result<String?, Error>? = state.withLock { state in
                if let ready = state.take() { return ready }
                state.waiter = (waiterID, continuation)
                return nil
            }
            if let immediate { continuation.resume(with: immediate) }
        }
    }
}
