import Foundation
import Synchronization

/// The server's clock for the domain: the shared timers and every event's time.
///
/// Liveness deadlines (authentication, idle connections) use the machine's monotonic clock instead, so
/// that a test can move the domain clock by minutes without dropping connections.
public protocol ServerClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Suspends until `deadline` (by this clock), or throws `CancellationError`.
    func sleep(until deadline: Date) async throws
}

/// The real clock.
public struct SystemServerClock: ServerClock {
    /// Creates the real clock.
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        // At most a day at a time (the caller sleeps again): a deadline out of any range must not trap.
        let interval = min(deadline.timeIntervalSinceNow, 86_400)
        if interval > 0 { try await Task.sleep(for: .milliseconds(Int64((interval * 1000).rounded(.up)))) }
    }
}

/// A clock that moves only when told to: for tests of timers without waiting.
public final class ManualServerClock: ServerClock {
    private struct State {
        var now: Date
        var sleepers: [UInt64: (deadline: Date, continuation: CheckedContinuation<Void, Error>)] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Creates a clock showing `start`.
    public init(start: Date) {
        state = Mutex(State(now: start))
    }

    public func now() -> Date { state.withLock { $0.now } }

    /// Moves the clock forward and wakes every sleeper whose deadline has come, earliest first.
    public func advance(by seconds: TimeInterval) {
        let due = state.withLock { state -> [CheckedContinuation<Void, Error>] in
            state.now = state.now.addingTimeInterval(seconds)
            let now = state.now
            let ready = state.sleepers.filter { $0.value.deadline <= now }.sorted { $0.value.deadline < $1.value.deadline }
            for (id, _) in ready { state.sleepers[id] = nil }
            return ready.map(\.value.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if Task.isCancelled || deadline <= state.now { return true }
                    state.sleepers[id] = (deadline, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { $0.sleepers.removeValue(forKey: id)?.continuation }
            continuation?.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }
}
