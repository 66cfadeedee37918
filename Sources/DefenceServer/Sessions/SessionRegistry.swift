/// Every live session of the server, so that admin actions and shutdown can reach them.
actor SessionRegistry {
    private struct Entry {
        let session: Session
        var userID: String?
        var tokenID: Int64?
    }

    private var entries: [UInt64: Entry] = [:]
    private var shuttingDown = false
    private var nextID: UInt64 = 0

    /// A fresh session number.
    func makeID() -> UInt64 {
        nextID += 1
        return nextID
    }

    /// Adds a new session. Returns `false` when the server is shutting down (the caller closes it).
    func register(_ session: Session) -> Bool {
        guard !shuttingDown else { return false }
        entries[session.id] = Entry(session: session)
        return true
    }

    /// Records who a session authenticated as.
    func authenticated(_ sessionID: UInt64, userID: String, tokenID: Int64) {
        entries[sessionID]?.userID = userID
        entries[sessionID]?.tokenID = tokenID
    }

    /// Forgets a closed session.
    func remove(_ sessionID: UInt64) {
        entries[sessionID] = nil
    }

    /// The number of live sessions.
    var count: Int { entries.count }

    /// Closes every session of a user with `REVOKED`.
    func closeSessions(ofUser userID: String, reason: String) async {
        for entry in entries.values where entry.userID == userID {
            await entry.session.terminate(.revoked, reason)
        }
    }

    /// Closes every session authenticated with a token with `REVOKED`.
    func closeSessions(ofToken tokenID: Int64, reason: String) async {
        for entry in entries.values where entry.tokenID == tokenID {
            await entry.session.terminate(.revoked, reason)
        }
    }

    /// Refuses new sessions and closes every live one with `SHUTTING_DOWN`.
    func shutDown() async {
        shuttingDown = true
        for entry in entries.values {
            await entry.session.terminate(.shuttingDown, "server is shutting down")
        }
    }
}
