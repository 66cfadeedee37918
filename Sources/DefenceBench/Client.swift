import DefenceClient
import DefenceProtocol
import Foundation
import Histogram
import Synchronization

/// One simulated participant: a live session that records what it receives.
final class Client: Sendable {
    let session: LiveSession
    let user: String
    let room: String
    let isJuror: Bool
    /// Whether each room command carries an idempotency key, as the console's do (PROTOCOL.md §4.4).
    let keyed: Bool
    /// The run's latencies, shared by all clients.
    let recorder: Recorder
    private let state = Mutex(State())

    struct State {
        /// The last and the highest sequence numbers received, and the numbers skipped between two received.
        var lastSeq: Int?
        var maxSeq = 0
        var gaps = 0
        var connections = 0
        /// When the session last connected (uptime, nanoseconds).
        var connectedAt: UInt64 = 0
        /// How many times the participant's own `joined` event came: its join, then each resume of its room
        /// (after a restart every participant is absent, so its `RESUME` records it present again).
        var rejoins = 0
        /// When it last came (uptime, nanoseconds).
        var rejoinedAt: UInt64 = 0
        var messagesSent = 0
        /// Every event line received: the deliveries the server made to this connection.
        var eventsReceived = 0
        var markFailures = 0
        var stormRetries = 0
        /// Room commands sent: the counter of their keys.
        var commands = 0
        /// Counts what a sequence number received after the previous one skipped (kept as counters: an array of
        /// every number received grew by gigabytes over a 10-minute run).
        mutating func received(_ seq: Int) {
            eventsReceived += 1
            if let last = lastSeq { gaps += max(0, seq - last - 1) }
            lastSeq = seq
            maxSeq = max(maxSeq, seq)
        }
    }

    init(endpoint: ServerEndpoint, sharedTLS: SharedClientTLS, user: String, token: String, room: String, isJuror: Bool, keyed: Bool, recorder: Recorder) {
        session = LiveSession(endpoint: endpoint, token: token, sharedTLS: sharedTLS)
        self.user = user
        self.room = room
        self.isJuror = isJuror
        self.keyed = keyed
        self.recorder = recorder
    }

    /// How many times the session connected.
    var connections: Int { state.withLock { $0.connections } }
    /// How many times the participant's own `joined` event came (its join, then each resume of its room).
    var rejoins: Int { state.withLock { $0.rejoins } }
    /// When that event last came (uptime, nanoseconds).
    var rejoinedAt: UInt64 { state.withLock { $0.rejoinedAt } }
    /// When the session last connected (uptime, nanoseconds).
    var connectedAt: UInt64 { state.withLock { $0.connectedAt } }
    /// Failed first attempts to connect and authenticate during the join storm.
    var stormRetries: Int { state.withLock { $0.stormRetries } }
    /// Marks that were refused or not answered.
    var markFailures: Int { state.withLock { $0.markFailures } }
    /// Messages this client sent.
    var messagesSent: Int { state.withLock { $0.messagesSent } }
    /// Event lines (and snapshots) this client received.
    var eventsReceived: Int { state.withLock { $0.eventsReceived } }

    /// The highest event sequence number received.
    var lastSeq: Int { state.withLock { $0.maxSeq } }

    /// Sequence-number gaps seen (jurors receive every event of their room).
    var gaps: Int { state.withLock { $0.gaps } }

    func connectAndJoin() async throws {
        let listener = Task { [self] in
            for await event in session.events { record(event) }
        }
        _ = listener
        // As a real client would, try again when the storm refuses the first attempt (e.g. the server's
        // authentication deadline, TLS handshake included, expired while the connection waited its turn).
        var attempt = 0
        while true {
            do {
                try await session.start()
                break
            } catch {
                attempt += 1
                state.withLock { $0.stormRetries += 1 }
                guard attempt < 5 else { throw error }
                try await Task.sleep(for: .milliseconds(250 * attempt))
            }
        }
        let reply = try await session.join(room)
        guard reply.terminal.verb == "OK" else { throw BenchError("\(user) could not join \(room): \(reply.terminal.serialized)") }
    }

    private func record(_ event: LiveEvent) {
        let now = DispatchTime.now().uptimeNanoseconds
        if case .room(let line) = event, let event = EventLine(line), event.type == "message", event.arguments.count > 2,
            event.arguments.first != user, let sent = event.arguments.last.flatMap({ UInt64($0.split(separator: " ").last ?? "") })
        {
            // A juror's message carries its send time; the other juror measures the fan-out.
            recorder.fanOut(sent: sent, latency: now > sent ? (now - sent) / 1000 : 0)
        }
        state.withLock { state in
            switch event {
            case .connected:
                state.connections += 1
                state.connectedAt = now
            case .room(let line) where line.verb == "EVENT":
                guard let event = EventLine(line) else { break }
                state.received(event.seq)
                if event.type == "joined", event.arguments.first == user {
                    state.rejoins += 1
                    state.rejoinedAt = now
                }
            case .room(let line) where line.verb == "SNAPSHOT":
                if let snapshot = SnapshotLine(line) { state.received(snapshot.seq) }
            default:
                break
            }
        }
    }

    /// Puts this juror's marks on `schedule`: one every `interval` seconds, the first at a random point of the
    /// first interval (the jurors are spread over it). Every mark changes the stored value, so each one is a
    /// durable event.
    func scheduleMarks(every interval: Double, on schedule: inout OpenLoopSchedule) {
        schedule.add(first: .seconds(Double.random(in: 0..<interval)), period: .seconds(interval)) { run in
            await self.markOnce(run)
        }
    }

    /// Marks back to back with `window` marks in flight until `deadline` (push mode).
    func pushLoop(window: Int, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<window {
                group.addTask {
                    var index = lane
                    while ContinuousClock.now < deadline {
                        await self.markOnce(index)
                        index += window
                    }
                }
            }
        }
    }

    /// The `index`-th mark: candidate and criterion cycle with period 20 and the value flips every cycle.
    private func markOnce(_ index: Int) async {
        let candidate = "c\(room.dropFirst())-\(index % 4 + 1)"
        let criterion = "A1C1.\(index % 5 + 1)"
        let mark: Mark = (index / 20) % 2 == 0 ? .met : .partlyMet
        let started = DispatchTime.now().uptimeNanoseconds
        let reply = try? await roomCommand(.mark(room: room, candidate: candidate, criterion: criterion, mark: mark, comment: nil))
        if reply?.terminal.verb == "OK" {
            recorder.mark(sent: started, latency: (DispatchTime.now().uptimeNanoseconds - started) / 1000)
        } else {
            state.withLock { $0.markFailures += 1 }
        }
    }

    /// Puts `perSecond` jury messages a second from this juror on `schedule`, the first at a random point of the
    /// first period. Each message carries its send time, for the other juror's fan-out latency.
    func scheduleMessages(perSecond: Double, on schedule: inout OpenLoopSchedule) {
        guard perSecond > 0 else { return }
        schedule.add(first: .seconds(Double.random(in: 0..<(1 / perSecond))), period: .seconds(1 / perSecond)) { _ in
            self.state.withLock { $0.messagesSent += 1 }
            let text = "bench \(DispatchTime.now().uptimeNanoseconds)"
            _ = try? await self.roomCommand(.say(room: self.room, audience: .jury, text: text))
        }
    }

    /// Sends a room command, keyed as the console keys it (`<client>-<n>`, here the user's id) unless `--no-keys`:
    /// each key is then stored with the command's event, and held by the server for the room's life.
    private func roomCommand(_ command: Command) async throws -> Reply {
        guard keyed else { return try await session.request(command) }
        let n = state.withLock { state in
            state.commands += 1
            return state.commands
        }
        return try await session.request(command, key: "\(user)-\(n)")
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What the bench measured.
struct Report {
    var rooms: Int
    var connections: Int
    /// Whether the room commands carried idempotency keys (`--no-keys`: not).
    var keyed = true
    var setupSeconds = 0.0
    var joinStormSeconds = 0.0
    var handshakesPerSecond = 0.0
    var marks = Recorder.histogram()
    var fanOut = Recorder.histogram()
    var marksPerSecond = 0.0
    var messagesPerSecond = 0.0
    var cpuPercent = 0.0
    /// The bench's own CPU over the same seconds: what it takes from the cores the server runs on.
    var benchCPUPercent = 0.0
    /// Server CPU per event committed and per event line delivered in the steady state, in microseconds.
    var cpuPerEventMicros: Double?
    var cpuPerDeliveryMicros: Double?
    var steadyEvents = 0
    var steadyDeliveries = 0
    var rssMiB = 0.0
    var peakRSSMiB = 0.0
    var reconnections = 0
    var markFailures = 0
    var stormRetries = 0
    /// When each client had connected and authenticated in the join storm, from its start (milliseconds).
    var joins = Histogram<UInt64>(highestTrackableValue: 600_000, numberOfSignificantValueDigits: .three)
    /// The machine's TCP counters over the join storm and over the restart storm (nil: not read, or no restart).
    var joinStormTCP: TCPCounters?
    var restartTCP: TCPCounters?
    var pushSeconds: Double?
    var pushEvents = 0
    var pushMarks = Recorder.histogram()
    var pushCPUPercent = 0.0
    var storePush: StorePush.Result?
    /// The server's own room-command latencies during the steady state.
    var serverCommands: ServerHistogram?
    /// The steady state's seconds, and those in which a mark (a fan-out) missed its target.
    var timeline: (seconds: Int, slowMarkSeconds: Int, slowFanOutSeconds: Int)?
    var resumeSeconds: Double?
    /// Seconds from the restart until every client had authenticated again (before its room's `RESUME` was done).
    var reauthenticatedSeconds: Double?
    /// From the kill to the restarted server listening.
    var serverReadySeconds: Double?
    /// When each client resumed, from the kill (milliseconds).
    var resumes = Histogram<UInt64>(highestTrackableValue: 600_000, numberOfSignificantValueDigits: .three)
    var resumed = 0
    /// The disconnect storm: from the first close to the server's last event for it, and the events it recorded.
    var disconnectSeconds: Double?
    var disconnectEvents = 0
    var gaps = 0
    var duplicates = 0

    static func milliseconds(_ histogram: Histogram<UInt64>, _ percentile: Double) -> Double {
        histogram.totalCount == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
    }

    var values: [(String, String)] {
        func ms(_ value: Double) -> String { String(format: "%.2f ms", value) }
        var rows: [(String, String)] = [
            ("rooms / connections", "\(rooms) / \(connections)"),
            ("room commands", keyed ? "each with an idempotency key" : "without idempotency keys (--no-keys)"),
            ("setup (users, rooms, tokens)", String(format: "%.1f s", setupSeconds)),
            ("join storm", String(format: "%.2f s, %.0f TLS handshakes+AUTH+JOIN per second", joinStormSeconds, handshakesPerSecond)),
            ("join storm: attempts refused and retried", String(stormRetries)),
            ("join storm: clients authenticated p50 / p99 / last", String(format: "%.2f s / %.2f s / %.2f s", Self.seconds(joins, 50), Self.seconds(joins, 99), Self.seconds(joins, 100))),
            ("join storm: accept-queue overflows / TCP retransmissions", Self.tcpText(joinStormTCP)),
            ("marks acknowledged", String(format: "%llu (%.1f/s)", marks.totalCount, marksPerSecond)),
            ("mark ack p50 / p99 / p99.9", "\(ms(Self.milliseconds(marks, 50))) / \(ms(Self.milliseconds(marks, 99))) / \(ms(Self.milliseconds(marks, 99.9)))"),
            ("marks refused or unanswered", String(markFailures)),
            ("messages", String(format: "%.1f/s, fan-out to the other juror: %llu received", messagesPerSecond, fanOut.totalCount)),
            ("fan-out p50 / p99 / p99.9", "\(ms(Self.milliseconds(fanOut, 50))) / \(ms(Self.milliseconds(fanOut, 99))) / \(ms(Self.milliseconds(fanOut, 99.9)))"),
            ("server-side command time p50 / p99", serverCommandsText),
            ("seconds with a mark > 25 ms / a fan-out > 20 ms", timeline.map { "\($0.slowMarkSeconds) / \($0.slowFanOutSeconds) of \($0.seconds)" } ?? "not recorded"),
            ("server CPU / bench CPU (steady state)", String(format: "%.0f %% / %.0f %% of one core", cpuPercent, benchCPUPercent)),
            ("server CPU per event / per delivery", cpuPerEventMicros.map { perEvent in
                String(format: "%.0f µs / %.1f µs (%d events committed, %d delivered)", perEvent, cpuPerDeliveryMicros ?? 0, steadyEvents, steadyDeliveries)
            } ?? "not measured (no metrics endpoint)"),
            ("server RSS (end / peak)", String(format: "%.0f MiB / %.0f MiB", rssMiB, peakRSSMiB)),
            ("connections lost during the run", String(reconnections)),
        ]
        if let pushSeconds {
            rows.append(("push: durable events", String(format: "%d in %.1f s = %.0f events/s (server CPU %.0f %%)", pushEvents, pushSeconds, Double(pushEvents) / pushSeconds, pushCPUPercent)))
            rows.append(("push: mark ack p50 / p99 / p99.9", "\(ms(Self.milliseconds(pushMarks, 50))) / \(ms(Self.milliseconds(pushMarks, 99))) / \(ms(Self.milliseconds(pushMarks, 99.9)))"))
        }
        if let resumeSeconds {
            rows.append(("resume after SIGKILL + restart", String(format: "%.2f s, %d of %d clients (rooms resumed: own joined event back)", resumeSeconds, resumed, connections)))
            if let reauthenticatedSeconds {
                rows.append(("restart: every client authenticated again after", String(format: "%.2f s", reauthenticatedSeconds)))
            }
            rows.append(("restart: server listening after", String(format: "%.2f s", serverReadySeconds ?? 0)))
            rows.append(("restart: accept-queue overflows / TCP retransmissions", Self.tcpText(restartTCP)))
            rows.append(("restart: clients resumed p50 / p90 / p99", String(format: "%.2f s / %.2f s / %.2f s", clientsResumed(at: 50), clientsResumed(at: 90), clientsResumed(at: 99))))
        }
        if let disconnectSeconds {
            rows.append(("disconnect storm: all close at once", String(format: "%d events recorded (connection-lost, outage-started) in %.2f s", disconnectEvents, disconnectSeconds)))
        }
        rows.append(("sequence gaps seen by jurors", String(gaps)))
        rows.append(("duplicated events dropped", String(duplicates)))
        return rows
    }

    /// A storm's TCP counters for the table: the whole machine's, read before and after.
    static func tcpText(_ counters: TCPCounters?) -> String {
        counters.map { "\($0.listenOverflows) / \($0.retransmittedSegments) (whole machine)" } ?? "not read"
    }

    /// The counters for the JSON report.
    static func tcpJSON(_ counters: TCPCounters?) -> Any {
        counters.map { ["listenOverflows": $0.listenOverflows, "retransmittedSegments": $0.retransmittedSegments] as Any } ?? NSNull()
    }

    /// When the clients had resumed, from the kill, at `percentile` (seconds; `resumes` counts milliseconds).
    func clientsResumed(at percentile: Double) -> Double {
        Self.seconds(resumes, percentile)
    }

    /// A percentile of a histogram of milliseconds, in seconds.
    static func seconds(_ histogram: Histogram<UInt64>, _ percentile: Double) -> Double {
        histogram.totalCount == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
    }

    /// The server's histogram is in buckets: each percentile is given as "≤ bucket bound".
    var serverCommandsText: String {
        guard let histogram = serverCommands, histogram.total > 0 else { return "not read" }
        func text(_ percentile: Double) -> String {
            histogram.bound(atPercentile: percentile).map { "≤ \($0 * 1000) ms" } ?? "> 5 s"
        }
        return "\(text(50)) / \(text(99)) (\(histogram.total) commands, from the server's metrics)"
    }

    var table: String {
        let width = values.map(\.0.count).max() ?? 0
        return values.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }

    var storePushTable: String {
        guard let result = storePush else { return "" }
        func ms(_ percentile: Double) -> String { String(format: "%.2f ms", Self.milliseconds(result.latencies, percentile)) }
        let rows = [
            ("rooms appending at once", String(rooms)),
            ("durable events", String(format: "%d in %.1f s = %.0f events/s", result.events, result.seconds, Double(result.events) / result.seconds)),
            ("transactions (fsyncs)", String(format: "%d, %.1f events each", result.transactions, Double(result.events) / Double(max(result.transactions, 1)))),
            ("append p50 / p99 / p99.9", "\(ms(50)) / \(ms(99)) / \(ms(99.9))"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }

    var storePushJSON: String {
        guard let result = storePush else { return "{}" }
        let object: [String: Any] = [
            "rooms": rooms, "events": result.events, "seconds": result.seconds, "eventsPerSecond": Double(result.events) / result.seconds,
            "transactions": result.transactions,
            "appendMs": ["p50": Self.milliseconds(result.latencies, 50), "p99": Self.milliseconds(result.latencies, 99), "p999": Self.milliseconds(result.latencies, 99.9)],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    var json: String {
        var object: [String: Any] = [
            "rooms": rooms, "connections": connections, "keyed": keyed, "setupSeconds": setupSeconds, "joinStormSeconds": joinStormSeconds,
            "handshakesPerSecond": handshakesPerSecond, "marks": marks.totalCount, "marksPerSecond": marksPerSecond,
            "markAckMs": ["p50": Self.milliseconds(marks, 50), "p99": Self.milliseconds(marks, 99), "p999": Self.milliseconds(marks, 99.9)],
            "messagesPerSecond": messagesPerSecond,
            "fanOutMs": ["p50": Self.milliseconds(fanOut, 50), "p99": Self.milliseconds(fanOut, 99), "p999": Self.milliseconds(fanOut, 99.9)],
            "serverCPUPercent": cpuPercent, "benchCPUPercent": benchCPUPercent,
            "serverCPUPerEventMicros": cpuPerEventMicros ?? NSNull(), "serverCPUPerDeliveryMicros": cpuPerDeliveryMicros ?? NSNull(),
            "steadyEvents": steadyEvents, "steadyDeliveries": steadyDeliveries, "serverRSSMiB": rssMiB, "serverPeakRSSMiB": peakRSSMiB, "reconnections": reconnections,
            "serverCommandMs": [
                "p50AtMost": serverCommands?.bound(atPercentile: 50).map { $0 * 1000 as Any } ?? NSNull(),
                "p99AtMost": serverCommands?.bound(atPercentile: 99).map { $0 * 1000 as Any } ?? NSNull(),
                "commands": serverCommands?.total ?? 0,
            ] as [String: Any], "gaps": gaps, "duplicates": duplicates,
        ]
        object["markFailures"] = markFailures
        if let timeline {
            object["timeline"] = ["seconds": timeline.seconds, "slowMarkSeconds": timeline.slowMarkSeconds, "slowFanOutSeconds": timeline.slowFanOutSeconds]
        }
        object["stormRetries"] = stormRetries
        object["joinStormTCP"] = Self.tcpJSON(joinStormTCP)
        object["joinSecondsByClient"] = ["p50": Self.seconds(joins, 50), "p99": Self.seconds(joins, 99), "last": Self.seconds(joins, 100)]
        if let pushSeconds {
            object["push"] = [
                "seconds": pushSeconds, "events": pushEvents, "eventsPerSecond": Double(pushEvents) / pushSeconds, "serverCPUPercent": pushCPUPercent,
                "markAckMs": ["p50": Self.milliseconds(pushMarks, 50), "p99": Self.milliseconds(pushMarks, 99), "p999": Self.milliseconds(pushMarks, 99.9)],
            ] as [String: Any]
        }
        if let resumeSeconds {
            object["resumeSeconds"] = resumeSeconds
            object["restartTCP"] = Self.tcpJSON(restartTCP)
            object["resumed"] = resumed
            if let reauthenticatedSeconds { object["reauthenticatedSeconds"] = reauthenticatedSeconds }
            object["serverReadySeconds"] = serverReadySeconds ?? NSNull()
            object["resumeSecondsByClient"] = ["p50": clientsResumed(at: 50), "p90": clientsResumed(at: 90), "p99": clientsResumed(at: 99)]
        }
        if let disconnectSeconds {
            object["disconnect"] = ["seconds": disconnectSeconds, "events": disconnectEvents] as [String: Any]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
