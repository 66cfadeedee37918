import Synchronization

/// The last link of each room's hash chain as the writer last wrote it, so that an append does not read its
/// previous link back from the database.
///
/// Under the storage push that read (`SELECT hash … WHERE seq = ?`, once per append) was 5 % of the single writer's
/// time (docs/performance.md). A tip is used only for the sequence number it was written for, and every tip is
/// forgotten as soon as a write or a transaction fails: a tip can then never describe a row that a rollback removed,
/// and the next append of any room reads its link from the database as before. One per database: tests open many.
final class ChainTips: Sendable {
    private let tips = Mutex<[String: (seq: Int, hash: String)]>([:])

    /// The link of event `seq` of `room`, when it was the last one written.
    func link(of room: String, at seq: Int) -> String? {
        tips.withLock { tips in
            guard let tip = tips[room], tip.seq == seq else { return nil }
            return tip.hash
        }
    }

    /// Records the link of the room's newest event.
    func record(_ hash: String, of room: String, at seq: Int) {
        tips.withLock { $0[room] = (seq, hash) }
    }

    /// Forgets every tip (a write or a transaction failed: some written rows may have been rolled back).
    func forgetAll() {
        tips.withLock { $0.removeAll() }
    }

    /// How many rooms have a tip (for tests).
    var count: Int { tips.withLock { $0.count } }
}
