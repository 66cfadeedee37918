import Foundation
import Synchronization

/// Many periodic sends driven by one timer: a timing wheel of `resolution`-wide slots.
///
/// The steady state sends about 2,400 marks and messages a second from 6,000 jurors' schedules. When each
/// schedule slept on its own (`Task.sleep`), every wait was a dispatch timer source: created, kept in the
/// process's timer heap with the 18,000 others (the live sessions' clock waits included) and fired: about a
/// tenth of the bench's samples in a profile, on the cores the server needs (docs/performance.md). Here one
/// task wakes every `resolution` and starts whatever became due: a job starts within one slot after it is due,
/// never before, and keeps its exact due times (first + k × period), so the slots bound the jitter of one send,
/// not the rate. Open loop: a job is started on time whether or not its previous run has finished.
struct OpenLoopSchedule {
    /// One periodic job: when it is next due (from the schedule's start), its period, what it runs, how many
    /// times it was started.
    private struct Job {
        var due: Duration
        let period: Duration
        let action: @Sendable (Int) async -> Void
        var runs = 0
    }

    /// The width of a slot: the longest a due job waits for its turn.
    let resolution: Duration
    private var jobs: [Job] = []

    /// An empty schedule whose slots are `resolution` wide.
    init(resolution: Duration = .milliseconds(2)) {
        precondition(resolution > .zero, "a slot must have a width")
        self.resolution = resolution
    }

    /// Adds a job that runs first `first` after the start, then every `period`; `action` is given the run's
    /// number, from 1.
    mutating func add(first: Duration, period: Duration, _ action: @escaping @Sendable (_ run: Int) async -> Void) {
        precondition(period >= resolution, "a period shorter than a slot would wait a whole turn of the wheel")
        precondition(first >= .zero, "a job cannot start before the schedule")
        jobs.append(Job(due: first, period: period, action: action))
    }

    /// The slot a time from the start falls in.
    private func slot(_ time: Duration) -> Int {
        Int(time / resolution)
    }

    /// Runs every job on its schedule until `deadline` (a job due at or after it is not started), then waits for
    /// the runs still going. When cancelled, it starts nothing more and waits for the runs already going.
    func run(until deadline: ContinuousClock.Instant, clock: ContinuousClock = ContinuousClock()) async {
        let start = clock.now
        let end = deadline - start
        guard end > .zero, !jobs.isEmpty else { return }
        // A wheel long enough that a job put back one period ahead never lands on the slot being emptied.
        let longest = jobs.map(\.period).max()!
        var wheel = [[Int]](repeating: [], count: slot(longest) + 2)
        var jobs = self.jobs
        for index in jobs.indices where jobs[index].due < end {
            wheel[slot(jobs[index].due) % wheel.count].append(index)
        }
        // The slot being emptied, and the last one that can hold a job due before the deadline.
        var current = 0
        let last = slot(end)
        let running = RunningCount()
        while !Task.isCancelled {
            let now = clock.now - start
            // Every slot that has ended, including those a late wake-up skipped: nothing due is dropped, and
            // nothing starts before it is due.
            while current < slot(now), current <= last {
                let bucket = current % wheel.count
                let due = wheel[bucket]
                wheel[bucket].removeAll(keepingCapacity: true)
                for index in due {
                    // A first time more than a turn ahead waits in its slot for its own turn.
                    guard slot(jobs[index].due) == current else {
                        wheel[bucket].append(index)
                        continue
                    }
                    // An unstructured task, counted: a task group with thousands of children in flight spends
                    // its time finding each finished child in its list (`TaskGroup::removeChildTask`).
                    let action = jobs[index].action
                    jobs[index].runs += 1
                    let run = jobs[index].runs
                    running.started()
                    Task {
                        await action(run)
                        running.finished()
                    }
                    jobs[index].due += jobs[index].period
                    if jobs[index].due < end {
                        wheel[slot(jobs[index].due) % wheel.count].append(index)
                    }
                }
                current += 1
            }
            guard current <= last else { break }
            try? await clock.sleep(until: start + resolution * (current + 1), tolerance: nil)
        }
        await running.allFinished()
    }
}

/// How many runs are still going, and who waits for none to be.
private final class RunningCount: Sendable {
    private struct State {
        var count = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func started() {
        state.withLock { $0.count += 1 }
    }

    func finished() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.count -= 1
            guard state.count == 0 else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns once every run started has finished (one waiter at a time: the schedule's own `run`).
    func allFinished() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.count == 0 { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }
}
