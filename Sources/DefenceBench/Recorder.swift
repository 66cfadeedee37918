import Foundation
import Histogram
import Synchronization

/// What the clients measure, in one place shared by all of them: the steady state's mark and fan-out latencies,
/// the push's mark latencies, and the steady state second by second.
///
/// The histograms are made once, before the join storm. Each of the 4,000 jurors used to make its own at its first
/// sample: 8,000 histograms of about 140 KB, allocated and zeroed by the kernel in the first second of the
/// measurement, stalled the bench and the server on the same two cores (docs/performance.md).
///
/// The second-by-second record tells whether a tail is spread over the run (the machine is saturated) or sits in
/// a few bursts (something periodic stalls the server), which a histogram cannot.
final class Recorder: Sendable {
    /// One second of the steady state.
    struct Second: Sendable, Equatable {
        var marks = 0
        var slowMarks = 0
        var worstMark: UInt64 = 0
        var fanOuts = 0
        var slowFanOuts = 0
        var worstFanOut: UInt64 = 0
    }

    /// A mark acknowledged later than this (microseconds) is slow: the mark-ack p99 target.
    static let markTarget: UInt64 = 25_000
    /// A fan-out later than this (microseconds) is slow: the fan-out p99 target.
    static let fanOutTarget: UInt64 = 20_000

    /// A latency histogram in microseconds, up to 60 s, 3 significant digits.
    static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    private struct State {
        /// Uptime (nanoseconds) of the steady state's measured start (the warm-up's end); nothing before it counts.
        var origin: UInt64 = .max
        /// Uptime (nanoseconds) of the steady state's end: later marks belong to the push, later messages to nobody.
        var end: UInt64 = .max
        /// Uptime (nanoseconds) of the push's start.
        var pushStart: UInt64 = .max
        var seconds: [Second] = []
        var marks = Recorder.histogram()
        var fanOuts = Recorder.histogram()
        var pushMarks = Recorder.histogram()

        /// The second of `sent` in the timeline, made if needed (a reply can come after later seconds began).
        mutating func update(_ sent: UInt64, _ change: (inout Second) -> Void) {
            let index = Int((sent - origin) / 1_000_000_000)
            if seconds.count <= index { seconds.append(contentsOf: repeatElement(Second(), count: index + 1 - seconds.count)) }
            change(&seconds[index])
        }
    }

    private let state = Mutex(State())

    /// Starts the measured steady state now (the end of the warm-up).
    func start() {
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { $0.origin = now }
    }

    /// Ends the steady state now; replies to what was sent before still count.
    func stop() {
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { $0.end = now }
    }

    /// Starts the push now: marks sent from now on are the push's.
    func startPush() {
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { $0.pushStart = now }
    }

    /// Records a mark sent at `sent` (uptime, nanoseconds) and acknowledged after `latency` microseconds.
    func mark(sent: UInt64, latency: UInt64) {
        state.withLock { state in
            if sent >= state.pushStart {
                _ = state.pushMarks.record(min(latency, 60_000_000))
            } else if sent >= state.origin, sent < state.end {
                _ = state.marks.record(min(latency, 60_000_000))
                state.update(sent) { second in
                    second.marks += 1
                    if latency > Self.markTarget { second.slowMarks += 1 }
                    second.worstMark = max(second.worstMark, latency)
                }
            }
        }
    }

    /// Records a message sent at `sent` (uptime, nanoseconds) that reached the other juror after `latency` µs.
    func fanOut(sent: UInt64, latency: UInt64) {
        state.withLock { state in
            guard sent >= state.origin, sent < state.end else { return }
            _ = state.fanOuts.record(min(latency, 60_000_000))
            state.update(sent) { second in
                second.fanOuts += 1
                if latency > Self.fanOutTarget { second.slowFanOuts += 1 }
                second.worstFanOut = max(second.worstFanOut, latency)
            }
        }
    }

    /// The steady state's mark latencies (µs).
    var marks: Histogram<UInt64> { state.withLock { $0.marks } }
    /// The steady state's fan-out latencies (µs).
    var fanOuts: Histogram<UInt64> { state.withLock { $0.fanOuts } }
    /// The push's mark latencies (µs).
    var pushMarks: Histogram<UInt64> { state.withLock { $0.pushMarks } }
    /// The steady state's seconds recorded so far, from its start.
    var seconds: [Second] { state.withLock { $0.seconds } }

    /// The seconds recorded, and those in which at least one mark (or fan-out) missed its target.
    var summary: (seconds: Int, slowMarkSeconds: Int, slowFanOutSeconds: Int) {
        let seconds = self.seconds
        return (seconds.count, seconds.filter { $0.slowMarks > 0 }.count, seconds.filter { $0.slowFanOuts > 0 }.count)
    }

    /// The steady state as CSV, one row per second (latencies in milliseconds).
    var csv: String {
        var text = "second,marks,marks_over_25ms,worst_mark_ms,fan_outs,fan_outs_over_20ms,worst_fan_out_ms\n"
        for (index, second) in seconds.enumerated() {
            text += String(
                format: "%d,%d,%d,%.1f,%d,%d,%.1f\n", index, second.marks, second.slowMarks, Double(second.worstMark) / 1000,
                second.fanOuts, second.slowFanOuts, Double(second.worstFanOut) / 1000
            )
        }
        return text
    }
}
