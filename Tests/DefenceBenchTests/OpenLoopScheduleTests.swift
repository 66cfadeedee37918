@testable import DefenceBench
import Synchronization
import Testing

/// The bench's timing wheel: every job runs on its own fixed schedule (open loop), nothing due is dropped, and
/// `run` returns once the runs it started have finished.
@Suite struct OpenLoopScheduleTests {
    /// Start times (from the schedule's start) and finished runs, per job.
    private final class Log: Sendable {
        private let state = Mutex<(starts: [Int: [Duration]], runs: [Int: [Int]], finished: Int)>(([:], [:], 0))

        func started(_ job: Int, at offset: Duration, run: Int) {
            state.withLock {
                $0.starts[job, default: []].append(offset)
                $0.runs[job, default: []].append(run)
            }
        }

        func finished() {
            state.withLock { $0.finished += 1 }
        }

        var starts: [Int: [Duration]] { state.withLock { $0.starts } }
        var runs: [Int: [Int]] { state.withLock { $0.runs } }
        var finishedCount: Int { state.withLock { $0.finished } }
    }

    /// Jobs of different periods and phases each run once per period from their first time until the deadline,
    /// never before they are due, and in order.
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
            let starts = log.starts[index] ?? []
            // Due at first + k × period, for every such time before the deadline.
            let expected = Int(((.milliseconds(300) - job.first) / job.period).rounded(.up))
            #expect(starts.count == expected, "job \(index): \(starts)")
            // Each run is given its number, from 1.
            #expect((log.runs[index] ?? []).sorted() == (0..<expected).map { $0 + 1 })
            for (k, offset) in starts.enumerated() {
                #expect(offset >= job.first + job.period * k, "job \(index) started early: \(offset)")
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
        #expect(log.starts[0]?.count == 10)
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
