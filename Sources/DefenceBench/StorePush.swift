import DefenceCore
import DefenceStore
import Foundation
import Histogram

/// `--store-push`: the storage layer alone, in this process. Every room appends one mark event after another
/// through `RoomStore.append` — the server's path: group commit, WAL, `synchronous=FULL`, hash chain, the delivered
/// line kept for RESUME, a snapshot every 100 events — and the
/// bench counts the events committed per second. Compared with the push over TLS, it tells how much of the cost
/// is durability and how much is the network path.
struct StorePush {
    let rooms: Int
    let seconds: Double

    struct Result {
        var events = 0
        var seconds = 0.0
        var transactions = 0
        var latencies = Recorder.histogram()
    }

    func run() async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("defence-store-push-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try DefenceDatabase(path: folder.appendingPathComponent("bench.sqlite").path)
        let now = Date()
        let bundled = try ReferentialLoader.bundled()
        try await ReferentialStore(database: database).installBundled(bundled, now: now)
        let store = RoomStore(database: database)
        var states: [RoomState] = []
        for index in 0..<rooms {
            let plan = RoomPlan(
                id: "p\(index)", kind: .team, epreuve: 2, referentialHash: bundled.hash, competences: ["A1C1"],
                candidates: (1...4).map { "c\(index)-\($0)" }, jurors: ["j\(index)-1", "j\(index)-2"], president: "j\(index)-1",
                start: now, phases: [Phase(name: "all", seconds: 3600)], warnings: [], visibility: .live
            )
            let state = RoomState(scheduled: plan, at: now)
            try await store.append([RoomEvent(room: plan.id, seq: 1, at: now, kind: .scheduled(plan))], state: state)
            states.append(state)
        }
        let before = database.committer.stats
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int64(seconds * 1000))
        let parts = try await withThrowingTaskGroup(of: (Int, Histogram<UInt64>).self) { group in
            for initial in states {
                group.addTask {
                    var state = initial
                    var count = 0
                    var latencies = Recorder.histogram()
                    let room = state.plan.id
                    while ContinuousClock.now < deadline {
                        let kind = RoomEventKind.marked(
                            juror: state.plan.jurors[count % 2], candidate: state.plan.candidates[count % 4],
                            criterion: "A1C1.\(count % 5 + 1)", mark: (count / 20) % 2 == 0 ? .met : .partlyMet, comment: nil
                        )
                        let event = RoomEvent(room: room, seq: state.lastSeq + 1, at: Date(), kind: kind)
                        state.apply(event)
                        let started = DispatchTime.now().uptimeNanoseconds
                        // A line of the size the server stores with each event for RESUME.
                        let line = "EVENT \(room) \(event.seq) 2026-12-01T09:00:00.000Z mark \(state.plan.jurors[count % 2]) \(state.plan.candidates[count % 4]) A1C1.\(count % 5 + 1) met"
                        try await store.append([event], state: state, delivered: [.init(line: line, gridOpen: true)])
                        _ = latencies.record((DispatchTime.now().uptimeNanoseconds - started) / 1000)
                        count += 1
                    }
                    return (count, latencies)
                }
            }
            var all: [(Int, Histogram<UInt64>)] = []
            for try await part in group { all.append(part) }
            return all
        }
        let after = database.committer.stats
        var result = Result()
        result.seconds = (ContinuousClock.now - start).timeInterval
        result.events = parts.map(\.0).reduce(0, +)
        result.transactions = after.transactions - before.transactions
        for part in parts { result.latencies.add(part.1) }
        return result
    }
}
