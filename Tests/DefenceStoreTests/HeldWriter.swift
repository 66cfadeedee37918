import DefenceStore
import Foundation
import GRDB
import Synchronization

/// Starts a write that holds `committer`'s writer thread until `count` more writes are queued behind it (30 s at
/// most), then runs `work`; returns once the writer is held, with that write's task. The writes queued meanwhile
/// then form one batch, without relying on timing.
func holdWriter(
    _ committer: GroupCommitter, untilQueued count: Int, then work: @escaping @Sendable (Database) throws -> Void
) async throws -> Task<Void, Error> {
    let started = Mutex(false)
    let holding = Task {
        try await committer.write { db in
            started.withLock { $0 = true }
            let deadline = Date().addingTimeInterval(30)
            while committer.queuedWrites < count, Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
            try work(db)
        }
    }
    while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
    return holding
}
