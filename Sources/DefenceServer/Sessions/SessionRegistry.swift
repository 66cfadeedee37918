import CoreMetrics
import Synchronization

/// Every live session of the server, so that admin actions and shutdown can reach them.
///
/// It also remembers the revocations of the last minutes (tokens revoked, accounts disabled), so that an `AUTH`
/// whose token check raced one cannot register a session the revocation already looked for: the session reads
/// ``revocationEpoch`` before checking its token, and ``authenticated(_:userID:tokenID:checkedSince:)`` refuses
/// it when a matching revocation came after that.
actor SessionRegistry {
    private struct Entry {
        let session: Session
        var userID: String?
        var tokenID: Int64?
    }

    private var entries: [UInt64: Entry] = [:]
    /// Revocations, oldest first: the epoch each one moved the counter to, and what it revoked.
    private var revocations: [(epoch: UInt64, at: ContinuousClock.Instant, tokenID: Int64?, userID: String?)] = []
    private let epoch = Atomic<UInt64>(0)
    /// How long a revocation is remembered: far longer than a token check takes.
    static let revocationMemory: Duration = .seconds(600)
    private var shuttingDown = false
    private let lastID = Atomic<UInt64>(0)
    /// Closed sessions whose connection is still open (``linger(_:)``).
    private var lingering: [UInt64: Session] = [:]
    /// The open connections' gauge, kept equal to the number of entries.
    private let connections: Meter?

    /// An empty registry; `connections` (if any) follows its number of sessions.
    init(connections: Meter? = nil) {
        self.connections = connections
    }

    /// A fresh session number (from any thread: a connection's pipeline makes its session as it is accepted).
    nonisolated func makeID() -> UInt64 {
        lastID.add(1, ordering: .relaxed).newValue
    }

    /// Adds a new session. Returns `false` when the server is shutting down (the caller closes it).
    func register(_ session: Session) -> Bool {
        guard !shuttingDown else { return false }
        entries[session.id] = Entry(session: session)
        connections?.set(entries.count)
        return true
    }

    /// The number of revocations so far; read it before checking a token, and pass it to
    /// ``authenticated(_:userID:tokenID:checkedSince:)``.
    nonisolated var revocationEpoch: UInt64 { epoch.load(ordering: .acquiring) }

    /// Records who a session authenticated as, unless the token was revoked or the account disabled after
    /// `epoch` (the ``revocationEpoch`` read before the token was checked): then returns `false` and records
    /// nothing, and the caller refuses the `AUTH`.
    func authenticated(_ sessionID: UInt64, userID: String, tokenID: Int64, checkedSince epoch: UInt64) -> Bool {
        let revoked = revocations.contains { revocation in
            revocation.epoch > epoch && (revocation.tokenID == tokenID || revocation.userID == userID)
        }
        guard !revoked else { return false }
        entries[sessionID]?.userID = userID
        entries[sessionID]?.tokenID = tokenID
        return true
    }

    /// Remembers a revocation (after it was committed, before its sessions are closed).
    private func remember(tokenID: Int64? = nil, userID: String? = nil) {
        let now = ContinuousClock.now
        revocations.removeAll { now - $0.at > Self.revocationMemory }
        let value = epoch.add(1, ordering: .acquiringAndReleasing).newValue
        revocations.append((value, now, tokenID, userID))
    }

    /// Forgets a session whose connection ended.
    func remove(_ sessionID: UInt64) {
        entries[sessionID] = nil
        lingering[sessionID] = nil
        connections?.set(entries.count)
    }

    /// A session closed while its connection lingers (a slow consumer reading why): no longer a live session, but
    /// cut off at shutdown.
    func linger(_ sessionID: UInt64) {
        guard let entry = entries.removeValue(forKey: sessionID) else { return }
        lingering[sessionID] = entry.session
        connections?.set(entries.count)
    }

    /// The number of live sessions.
    var count: Int { entries.count }

    /// Closes every session of a user with `REVOKED`.
    func closeSessions(ofUser userID: String, reason: String) async {
        remember(userID: userID)
        for entry in entries.values where entry.userID == userID {
            await entry.session.terminate(.revoked, reason)
        }
    }

    /// Closes every session authenticated with a token with `REVOKED`.
    func closeSessions(ofToken tokenID: Int64, reason: String) async {
        remember(tokenID: tokenID)
        for entry in entries.values where entry.tokenID == tokenID {
            await entry.session.terminate(.revoked, reason)
        }
    }

    /// Refuses new sessions and closes every live one with `SHUTTING_DOWN`.
    func shutDown() async {
        shuttingDown = true
        for session in entries.values.map(\.session) + lingering.values {
            await session.shutDown()
        }
    }
}
