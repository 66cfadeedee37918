import Synchronization

/// Lines received from the server, waiting to be read, with timed waits.
///
/// Filled synchronously from the channel's event loop, so lines keep their order.
final class LineInbox: Sendable {
    private struct State {
        var lines: [String] = []
        var head = 0
        var closed = false
        var failure: Error?
        var waiter: (id: UInt64, continuation: CheckedContinuation<String?, Error>)?
        var nextWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())

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
    /// - Throws: ``ClientError/timeout`` when nothing arrives in time.
    func next(timeout: Duration) async throws -> String? {
        let waiterID: UInt64 = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            let waiter = self.state.withLock { state -> CheckedContinuation<String?, Error>? in
                guard let waiter = state.waiter, waiter.id == waiterID else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume(throwing: ClientError.timeout)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let immediate: Result<String?, Error>? = state.withLock { state -> Result<String?, Error>? in
                if state.head < state.lines.count {
                    let line = state.lines[state.head]
                    state.head += 1
                    if state.head > 256 && state.head * 2 > state.lines.count {
                        state.lines.removeFirst(state.head)
                        state.head = 0
                    }
                    return .success(line)
                }
                if state.closed { return state.failure.map { .failure($0) } ?? .success(nil) }
                state.waiter = (waiterID, continuation)
                return nil
            }
            if let immediate { continuation.resume(with: immediate) }
        }
    }
}
