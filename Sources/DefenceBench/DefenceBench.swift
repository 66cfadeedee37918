import ArgumentParser
import DefenceClient
import DefenceCore
import DefenceProtocol
import Foundation
import Histogram
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `defence-bench`: simulates a certification day against a real server over TLS and reports what it measured.
@main
struct DefenceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defence-bench",
        abstract: "Simulate a certification day over TLS: join storm, steady marking and messages, restart and disconnect storms.",
        discussion: """
            The bench launches its own defence-server (by default the one built next to it) in a temporary folder, \
            creates R rooms of 4 candidates and 2 jurors with a DAY-IMPORT, connects every participant at once \
            (join storm), starts every room's clock, then for --warmup plus --duration seconds (latencies, CPU and \
            rates are recorded after the warm-up) each juror marks a criterion every \
            --mark-interval seconds and each room gets --messages-per-second messages from a juror, both on a fixed \
            schedule driven by one timing wheel (open loop: a slow reply does not lower the offered load). With \
            --push, every juror then marks back to back (--push-window marks in flight) and the bench counts the \
            durable events committed per second. --store-push measures the storage layer alone (group commit under synchronous=FULL) in this \
            process, without the server or the network. With --restart \
            the server is then killed with SIGKILL and started again, and the bench waits until every client has \
            reconnected and resumed its room (its RESUME recorded it present again: its own joined event came back; \
            when it had only authenticated again is reported too). Last comes a disconnect storm: every client closes at once, and the bench times \
            the server's recording of the participants' departures (until its event counter stops moving). \
            It reports handshakes per second, mark acknowledgement latency (sent → \
            acknowledged after the durable commit), fan-out latency (a juror's message → the other juror), \
            percentiles from HdrHistogram, how many seconds of the steady state had a mark over 25 ms or a fan-out \
            over 20 ms (--timeline writes every second as CSV), resume time, the disconnect storm's time, server RSS \
            and CPU, the bench's own CPU (what it takes from the cores the server shares), lost or duplicated \
            events, and for each \
            storm the machine's accept-queue overflows and TCP retransmissions. \
            The report (table or --json) goes to standard output; each phase is announced on standard error as it \
            starts, so a run that fails says where.
            """
    )

    @Option(help: "Rooms to simulate (6 connections each).")
    var rooms = 20

    @Option(help: "Seconds of steady state measured (after --warmup).")
    var duration: Double = 20

    @Option(help: "Seconds at the start of the steady state whose latencies are not recorded (warm-up).")
    var warmup: Double = 10

    @Option(help: "Seconds between two marks of one juror.")
    var markInterval: Double = 10

    @Option(help: "Messages per second in each room.")
    var messagesPerSecond: Double = 1

    @Flag(help: "Send the room commands without idempotency keys (by default each carries one, as the console's do).")
    var noKeys = false

    @Option(help: "Seconds of push mode after the steady state: every juror marks back to back (0: no push phase).")
    var push: Double = 0

    @Option(help: "Marks in flight per juror in push mode.")
    var pushWindow = 4

    @Option(help: "Seconds of the storage-only push, in this process, instead of the TLS simulation: every room appends mark events back to back through the server's store (0: off).")
    var storePush: Double = 0

    @Flag(help: "Kill the server with SIGKILL after the steady state, restart it and measure the resume.")
    var restart = false

    @Option(help: "The accept queue the server asks for (its --backlog; default: the server's own), to measure a storm against a smaller one.")
    var serverBacklog: Int?

    @Option(help: "Write the steady state second by second to this CSV file: marks and fan-outs sent in each second, how many missed their target (25 ms, 20 ms), and the worst of each.")
    var timeline: String?

    @Option(help: "The defence-server binary (default: next to this one).")
    var server: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        if storePush > 0 {
            let result = try await StorePush(rooms: rooms, seconds: storePush).run()
            var report = Report(rooms: rooms, connections: 0)
            report.storePush = result
            print(json ? report.storePushJSON : report.storePushTable)
            return
        }
        raiseFileLimit()
        let binary = server ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("defence-server").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("defence-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        progress("starting \(binary)")
        var process = try launch(binary, folder: folder, port: 0)
        // A run that fails must not leave its server running (and loading the machine the next run measures).
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let port = try await waitForPort(folder)
        let ca = folder.appendingPathComponent("Certs/ca.pem").path
        let adminToken = try String(contentsOfFile: folder.appendingPathComponent("data/admin.token").path, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let endpoint = ServerEndpoint(host: "127.0.0.1", port: port, caFile: ca)
        var report = Report(rooms: rooms, connections: rooms * 6, keyed: !noKeys)

        // Setup: users, rooms and tokens.
        progress("setup: \(rooms) rooms, \(rooms * 6) users and tokens")
        let setupStart = ContinuousClock.now
        let tokens = try await setUp(endpoint: endpoint, adminToken: adminToken)
        report.setupSeconds = (ContinuousClock.now - setupStart).timeInterval

        // Join storm: every participant connects, authenticates and joins at once.
        let recorder = Recorder()
        // One TLS context for all clients, as one process of 12,000 sessions should (making one per session loaded
        // the CA file 12,000 times during the storm, on the cores the server needs).
        let sharedTLS = try SharedClientTLS(endpoint: endpoint)
        let clients = tokens.map {
            Client(endpoint: endpoint, sharedTLS: sharedTLS, user: $0.user, token: $0.token, room: $0.room, isJuror: $0.isJuror, keyed: !noKeys, recorder: recorder)
        }
        progress("join storm: \(clients.count) connections at once")
        let stormStart = ContinuousClock.now
        let stormUptime = DispatchTime.now().uptimeNanoseconds
        let stormCounters = TCPCounters.read()
        try await Self.forEach(clients) { try await $0.connectAndJoin() }
        // When each client had authenticated, from the storm's start.
        for client in clients { _ = report.joins.record((client.connectedAt - min(stormUptime, client.connectedAt)) / 1_000_000) }
        report.joinStormSeconds = (ContinuousClock.now - stormStart).timeInterval
        report.stormRetries = clients.map(\.stormRetries).reduce(0, +)
        report.handshakesPerSecond = Double(clients.count) / max(report.joinStormSeconds, 0.001)
        report.joinStormTCP = stormCounters.flatMap { before in TCPCounters.read()?.since(before) }

        // Steady state.
        let jurors = clients.filter(\.isJuror)
        progress("steady state: starting \(rooms) clocks, then \(warmup) s of warm-up and \(duration) s measured")
        // One juror of each room starts its clock.
        var starters: [String: Client] = [:]
        for juror in jurors where starters[juror.room] == nil { starters[juror.room] = juror }
        for starter in starters.values {
            _ = try? await starter.session.request(.timerStart(room: starter.room))
        }
        let serverPID = process.processIdentifier
        let deadline = ContinuousClock.now + .milliseconds(Int64((warmup + duration) * 1000))
        // After the warm-up: record latencies, and count CPU, marks and messages from then on.
        let metrics = metricsPort(folder)
        let warm = Task { [jurors, clients] in
            try? await Task.sleep(for: .milliseconds(Int64(warmup * 1000)))
            recorder.start()
            let histogram = metrics.flatMap { ServerHistogram.fetch(port: $0) }
            // The cost per event: events committed (the server's counter) and lines delivered (what the clients got).
            let events = metrics.flatMap { ServerHistogram.counter("defence_room_events_total", port: $0) }
            let delivered = clients.map(\.eventsReceived).reduce(0, +)
            return (ContinuousClock.now, cpuSeconds(serverPID), cpuSeconds(getpid()), jurors.map(\.messagesSent).reduce(0, +), histogram, events, delivered)
        }
        // The server's memory, sampled every 5 s of the steady state.
        let sampler = Task {
            var peak = 0.0
            while ContinuousClock.now < deadline {
                peak = max(peak, rssMiB(serverPID))
                try? await Task.sleep(for: .seconds(5))
            }
            return peak
        }
        // Every juror's marks and every room's messages on one timing wheel (open loop, fixed schedule).
        var schedule = OpenLoopSchedule()
        for juror in jurors { juror.scheduleMarks(every: markInterval, on: &schedule) }
        for (index, juror) in jurors.enumerated() where index % 2 == 0 {
            juror.scheduleMessages(perSecond: messagesPerSecond, on: &schedule)
        }
        await schedule.run(until: deadline)
        recorder.stop()
        let benchCPUAfter = cpuSeconds(getpid())
        let (steadyStart, cpuBefore, benchCPUBefore, messagesBefore, histogramBefore, steadyEventsBefore, deliveredBefore) = await warm.value
        let steadySeconds = (ContinuousClock.now - steadyStart).timeInterval
        if let metrics, let before = histogramBefore, let after = ServerHistogram.fetch(port: metrics) {
            report.serverCommands = after.since(before)
        }
        try await Task.sleep(for: .seconds(1))  // let the last fan-outs arrive
        let steadyCPU = cpuSeconds(process.processIdentifier) - cpuBefore
        report.cpuPercent = steadyCPU / steadySeconds * 100
        if let metrics, let steadyEventsBefore, let eventsAfter = ServerHistogram.counter("defence_room_events_total", port: metrics) {
            report.steadyEvents = Int(eventsAfter - steadyEventsBefore)
            report.steadyDeliveries = clients.map(\.eventsReceived).reduce(0, +) - deliveredBefore
            if report.steadyEvents > 0 { report.cpuPerEventMicros = steadyCPU / Double(report.steadyEvents) * 1_000_000 }
            if report.steadyDeliveries > 0 { report.cpuPerDeliveryMicros = steadyCPU / Double(report.steadyDeliveries) * 1_000_000 }
        }
        report.benchCPUPercent = (benchCPUAfter - benchCPUBefore) / steadySeconds * 100
        report.rssMiB = rssMiB(process.processIdentifier)
        report.peakRSSMiB = max(await sampler.value, report.rssMiB)
        // Held: every client still on its first connection.
        report.reconnections = clients.map { max(0, $0.connections - 1) }.reduce(0, +)
        report.marks = recorder.marks
        report.fanOut = recorder.fanOuts
        report.marksPerSecond = Double(report.marks.totalCount) / steadySeconds
        report.messagesPerSecond = Double(jurors.map(\.messagesSent).reduce(0, +) - messagesBefore) / steadySeconds

        report.markFailures = jurors.map(\.markFailures).reduce(0, +)
        report.timeline = recorder.summary
        if let timeline { try recorder.csv.write(toFile: timeline, atomically: true, encoding: .utf8) }

        // Push mode: how many durable events per second the server sustains. Every acknowledged mark changed a
        // value, and every stored event reaches each juror of the room, so the first juror's sequence numbers
        // count the events committed.
        if push > 0 {
            progress("push: every juror marks back to back for \(push) s")
            let firsts = Dictionary(grouping: jurors, by: \.room).compactMap { $0.value.first }
            let seqsBefore = firsts.map(\.lastSeq).reduce(0, +)
            recorder.startPush()
            let pushCPU = cpuSeconds(process.processIdentifier)
            let pushStart = ContinuousClock.now
            let pushDeadline = pushStart + .milliseconds(Int64(push * 1000))
            await withTaskGroup(of: Void.self) { group in
                for juror in jurors { group.addTask { await juror.pushLoop(window: pushWindow, until: pushDeadline) } }
            }
            let pushSeconds = (ContinuousClock.now - pushStart).timeInterval
            try await Task.sleep(for: .milliseconds(500))
            report.pushSeconds = pushSeconds
            report.pushEvents = firsts.map(\.lastSeq).reduce(0, +) - seqsBefore
            report.pushMarks = recorder.pushMarks
            report.pushCPUPercent = (cpuSeconds(process.processIdentifier) - pushCPU) / pushSeconds * 100
        }

        // Restart storm.
        if restart {
            progress("restart storm: SIGKILL, restart, every client resumes")
            let before = clients.map(\.rejoins)
            let connectionsBefore = clients.map(\.connections)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let restartCounters = TCPCounters.read()
            let restartStart = ContinuousClock.now
            let killedAt = DispatchTime.now().uptimeNanoseconds
            process = try launch(binary, folder: folder, port: port)
            _ = try await waitForPort(folder, afterRestart: true)
            report.serverReadySeconds = (ContinuousClock.now - restartStart).timeInterval
            // A client has resumed when its room has: its RESUME recorded it present again (its own `joined`
            // event, delivered just before the `OK RESUME`), not merely when it authenticated again.
            let resumeDeadline = ContinuousClock.now + .seconds(120)
            var reauthenticated: Duration?
            while zip(clients, before).contains(where: { $0.rejoins <= $1 }), ContinuousClock.now < resumeDeadline {
                if reauthenticated == nil, !zip(clients, connectionsBefore).contains(where: { $0.connections <= $1 }) {
                    reauthenticated = ContinuousClock.now - restartStart
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            report.resumeSeconds = (ContinuousClock.now - restartStart).timeInterval
            report.reauthenticatedSeconds = (reauthenticated ?? (ContinuousClock.now - restartStart)).timeInterval
            report.restartTCP = restartCounters.flatMap { before in TCPCounters.read()?.since(before) }
            report.resumed = zip(clients, before).filter { $0.rejoins > $1 }.count
            for (client, count) in zip(clients, before) where client.rejoins > count {
                _ = report.resumes.record((client.rejoinedAt - min(killedAt, client.rejoinedAt)) / 1_000_000)
            }
        }

        progress("integrity checks and report")
        // Integrity: a juror receives every event of its room, so its sequence numbers have no gap.
        report.gaps = jurors.map(\.gaps).reduce(0, +)
        var duplicates = 0
        for client in clients { duplicates += await client.session.duplicatesDropped }
        report.duplicates = duplicates
        // Disconnect storm: every client goes at once, as when a network fails; the server records each
        // participant's loss (and an outage in a running room). Timed until its event counter stops moving.
        progress("disconnect storm: every client closes at once")
        let finalMetrics = metricsPort(folder)
        let eventsBefore = finalMetrics.flatMap { ServerHistogram.counter("defence_room_events_total", port: $0) }
        let closeStart = ContinuousClock.now
        try await Self.forEach(clients) { await $0.session.close() }
        if let finalMetrics, let eventsBefore {
            var last = eventsBefore
            var lastChange = closeStart
            // Still for 2 s after the last close was sent, or after its last new event.
            let closed = ContinuousClock.now
            while ContinuousClock.now - max(lastChange, closed) < .seconds(2), ContinuousClock.now - closeStart < .seconds(300) {
                try await Task.sleep(for: .milliseconds(50))
                if let now = ServerHistogram.counter("defence_room_events_total", port: finalMetrics), now != last {
                    last = now
                    lastChange = ContinuousClock.now
                }
            }
            report.disconnectSeconds = (lastChange - closeStart).timeInterval
            report.disconnectEvents = last - eventsBefore
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        print(json ? report.json : report.table)
    }

    /// Runs `body` for every item at once, one unstructured task each, and waits for all of them (rethrowing
    /// the first error). Not a task group: one with 12,000 children spends the storm finding each finished
    /// child in its list (`TaskGroup::removeChildTask`, 1.4 % of the bench's CPU in the join storm).
    static func forEach<Item: Sendable>(_ items: [Item], _ body: @escaping @Sendable (Item) async throws -> Void) async throws {
        let tasks = items.map { item in Task { try await body(item) } }
        for task in tasks { try await task.value }
    }

    /// A phase line on standard error (the report goes to standard output), so that a run that fails says where.
    private func progress(_ phase: String) {
        FileHandle.standardError.write(Data("defence-bench: \(phase)\n".utf8))
    }

    // MARK: Setup

    struct Seat: Sendable {
        let user: String
        let token: String
        let room: String
        let isJuror: Bool
    }

    func setUp(endpoint: ServerEndpoint, adminToken: String) async throws -> [Seat] {
        let admin = LiveSession(endpoint: endpoint, token: adminToken)
        try await admin.start()
        var seats: [Seat] = []
        let header = "record,id,role,name,email,kind,start,candidates,jurors,president,competences,visibility,title"
        let start = WireTime.format(Date())
        var batch: [String] = []
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let reply = try await admin.requestWithLines(.dayImport(lines: batch.count + 1), lines: [header] + batch)
            guard reply.terminal.verb == "OK" else { throw ValidationError("setup import failed: \(reply.data.prefix(3))") }
            batch.removeAll()
        }
        for room in 0..<rooms {
            let candidates = (1...4).map { "c\(room)-\($0)" }
            let jurors = (1...2).map { "j\(room)-\($0)" }
            for id in candidates { batch.append("user,\(id),candidate,Candidate \(id),,,,,,,,,") }
            for id in jurors { batch.append("user,\(id),juror,Juror \(id),,,,,,,,,") }
            batch.append("room,b\(room),,,,team,\(start),\(candidates.joined(separator: ";")),\(jurors.joined(separator: ";")),\(jurors[0]),block:A1,live,")
            if batch.count > 4900 { try await flush() }
        }
        try await flush()
        for room in 0..<rooms {
            for (id, isJuror) in (1...4).map({ ("c\(room)-\($0)", false) }) + (1...2).map({ ("j\(room)-\($0)", true) }) {
                let reply = try await admin.request(.tokenIssue(user: id, expiry: nil, label: "bench"))
                guard let issued = TokenIssuedReply(reply.terminal) else { throw ValidationError("token for \(id): \(reply.terminal.serialized)") }
                seats.append(Seat(user: id, token: issued.token, room: "b\(room)", isJuror: isJuror))
            }
        }
        await admin.close()
        return seats
    }

    // MARK: Server process

    /// glibc's setting that grows each thread's heap in 64 MiB steps of address space instead of a page at a time:
    /// a 12,000-client join storm then makes a few `mprotect` calls instead of about 140,000 (docs/performance.md).
    static let heapStep = "glibc.malloc.top_pad=67108864"

    func launch(_ binary: String, folder: URL, port: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "serve", "--port", String(port), "--data-dir", folder.appendingPathComponent("data").path,
            "--certs-dir", folder.appendingPathComponent("Certs").path, "--lines-per-second", "100000", "--line-burst", "100000",
            "--metrics-port", "0",
            "--log-level", "warning",
        ] + (serverBacklog.map { ["--backlog", String($0)] } ?? [])
        let output = folder.appendingPathComponent("server-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        // The server runs as its systemd unit runs it: glibc's heaps grown in 64 MiB steps (Server/README, Memory).
        var environment = ProcessInfo.processInfo.environment
        if environment["GLIBC_TUNABLES"] == nil { environment["GLIBC_TUNABLES"] = Self.heapStep }
        process.environment = environment
        try process.run()
        try? "\(output.path)".write(to: folder.appendingPathComponent("latest-output"), atomically: true, encoding: .utf8)
        return process
    }

    /// The metrics port the server printed at start.
    func metricsPort(_ folder: URL) -> Int? {
        guard let path = try? String(contentsOf: folder.appendingPathComponent("latest-output"), encoding: .utf8),
            let text = try? String(contentsOfFile: path, encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("metrics on http://127.0.0.1:") })
        else { return nil }
        return Int(line.dropFirst("metrics on http://127.0.0.1:".count).prefix { $0.isNumber })
    }

    func waitForPort(_ folder: URL, afterRestart: Bool = false) async throws -> Int {
        for _ in 0..<600 {
            if let path = try? String(contentsOf: folder.appendingPathComponent("latest-output"), encoding: .utf8),
                let text = try? String(contentsOfFile: path, encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.contains(" listening on ") }),
                let port = line.split(separator: " ").first(where: { $0.contains(":") })?.split(separator: ":").last.flatMap({ Int($0) })
            {
                return port
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the server did not start")
    }

    func raiseFileLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    nonisolated func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    nonisolated func rssMiB(_ pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return 0 }
        return kib / 1024
    }
}
