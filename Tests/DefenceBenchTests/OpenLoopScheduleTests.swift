@testable import DefenceBench
import Synchronization
import Testing

/// The bench's timing wheel: every job runs on its own fixed schedule (open loop), nothing due is dropped, and
/// `run` returns once the runs it started have finished.
@Suite struct OpenLoopScheduleTests {
    /// Per job, how many runs started and the start time (from the schedule's start) of each by its number; and
    /// the finished runs.
    private final class Log: Sendable {
        private let state = Mutex<(started: [Int: Int], starts: [Int: [Int: Duration]], finished: Int)>(([:], [:], 0))

        func started(_ job: Int, at offset: Duration, run: Int) {
            state.withLock {
                $0.started[job, default: 0] += 1
                $0.starts[job, default: [:]][run] = offset
            }
        }

        func finished() {
            state.withLock { $0.finished += 1 }
        }

        var startedCount: [Int: Int] { state.withLock { $0.started } }
        var starts: [Int: [Int: Duration]] { state.withLock { $0.starts } }
        var finishedCount: Int { state.withLock { $0.finished } }
    }

    /// Jobs of different periods and phases each run once per period from their first time until the deadline,
    /// numbered from 1, and run k never before first + (k − 1) × period. The runs are told apart by their numbers,
    /// not by the order in which their tasks happened to start.
    @Test func everyJobRunsOncePerPeriodUntilTheDeadline() async {
        let clock = ContinuousClock()
        let log = Log()
        var schedule = OpenLoopSchedule(resolution: .milliseconds(2))
        let jobs: [(first: Duration, period: Duration)] = [
            (.milliseconds(0), .milliseconds(20)), (.milliseconds(7), .milliseconds(50)),
            (.milliseconds(130), .milliseconds(40)),
            // A first time beyond a whole turn of the wheel (the longest period is 50 ms).
            (.milliseconds(180), .milliseconds(10)),
        ]
        let start = clock.now
        for (index, job) in jobs.enumerated() {
            schedule.add(first: job.first, period: job.period) { run in
                log.started(index, at: clock.now - start, run: run)
            }
        }
        await schedule.run(until: start + .milliseconds(300), clock: clock)
        for (index, job) in jobs.enumerated() {
            let starts = log.starts[index] ?? [:]
            // Due at first + k × period, for every such time before the deadline.
            let expected = Int(((.milliseconds(300) - job.first) / job.period).rounded(.up))
            #expect(log.startedCount[index] == expected, "job \(index): \(starts)")
            // Each run is given its number, from 1, once.
            #expect(starts.keys.sorted() == Array(1...expected), "job \(index): \(starts)")
            for (run, offset) in starts {
                #expect(offset >= job.first + job.period * (run - 1), "job \(index) run \(run) started early: \(offset)")
            }
        }
    }

    /// A run that outlasts its period does not delay the next one (open loop), and `run` waits for the runs still
    /// going before it returns.
    @Test func aSlowRunDoesNotDelayTheNextAndRunWaitsForIt() async {
        let clock = ContinuousClock()
        let log = Log()
        var schedule = OpenLoopSchedule(resolution: .milliseconds(2))
        let start = clock.now
        schedule.add(first: .zero, period: .milliseconds(20)) { run in
            log.started(0, at: clock.now - start, run: run)
            try? await Task.sleep(for: .milliseconds(100))
            log.finished()
        }
        await schedule.run(until: start + .milliseconds(200), clock: clock)
        #expect(log.startedCount[0] == 10)
        #expect(log.finishedCount == 10)
    }

    @Test func aScheduleWithoutJobsOrTimeReturnsAtOnce() async {
        let clock = ContinuousClock()
        var schedule = OpenLoopSchedule()
        let before = clock.now
        await schedule.run(until: clock.now + .seconds(60), clock: clock)
        #expect(clock.now - before < .seconds(5))
        schedule.add(first: .zero, period: .seconds(1)) { _ in Issue.record("ran after the deadline") }
        await schedule.run(until: clock.now - .seconds(1), clock: clock)
    }
}
