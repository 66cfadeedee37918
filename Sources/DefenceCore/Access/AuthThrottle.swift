import Foundation

/// Slows down repeated authentication failures from one network address.
///
/// Each address gets a few free failures; after that, every attempt waits for its turn, spaced by a
/// delay that doubles with each further failure up to a ceiling. Attempts from one address are
/// serialised by reserving slots, so opening many connections in parallel does not help a guesser.
/// A success resets the address. Entries quiet for ``Policy/forgetAfter`` are forgotten, and the
/// table never holds more than ``Policy/capacity`` addresses.
public struct AuthThrottle: Sendable {
    /// The throttle's settings.
    public struct Policy: Sendable, Hashable {
        /// Failures that cost nothing: the attempt after this many failures is the first one to wait.
        public var freeFailures: Int
        /// The delay after the first counted failure, in seconds.
        public var baseDelay: TimeInterval
        /// The longest delay, in seconds.
        public var maxDelay: TimeInterval
        /// How long an address stays remembered after its last attempt, in seconds.
        public var forgetAfter: TimeInterval
        /// The most addresses tracked.
        public var capacity: Int

        /// Creates a policy. Defaults: 3 free failures, then 0.5 s doubling up to 10 s, forgotten after 15 minutes.
        public init(
            freeFailures: Int = 3,
            baseDelay: TimeInterval = 0.5,
            maxDelay: TimeInterval = 10,
            forgetAfter: TimeInterval = 900,
            capacity: Int = 10_000
        ) {
            self.freeFailures = freeFailures
            self.baseDelay = baseDelay
            self.maxDelay = maxDelay
            self.forgetAfter = forgetAfter
            self.capacity = capacity
        }
    }

    struct Entry: Sendable {
        var failures: Int
        var nextSlot: Date
        var lastSeen: Date
    }

    /// The settings in force.
    public let policy: Policy
    private(set) var entries: [String: Entry] = [:]

    /// Creates a throttle.
    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// The penalty after `failures` failures.
    public func penalty(afterFailures failures: Int) -> TimeInterval {
        let counted = failures - policy.freeFailures + 1
        guard counted > 0 else { return 0 }
        let exponent = Double(min(counted - 1, 30))
        return min(policy.maxDelay, policy.baseDelay * pow(2, exponent))
    }

    /// Reserves the next attempt slot for `address` and returns how long the caller must wait before checking
    /// the token.
    public mutating func admit(_ address: String, at now: Date) -> TimeInterval {
        prune(at: now)
        forgetIfQuiet(address, at: now)
        var entry = entries[address] ?? Entry(failures: 0, nextSlot: now, lastSeen: now)
        let start = max(now, entry.nextSlot)
        entry.nextSlot = start.addingTimeInterval(penalty(afterFailures: entry.failures))
        entry.lastSeen = now
        entries[address] = entry
        return start.timeIntervalSince(now)
    }

    /// Records a failed attempt.
    public mutating func recordFailure(_ address: String, at now: Date) {
        forgetIfQuiet(address, at: now)
        var entry = entries[address] ?? Entry(failures: 0, nextSlot: now, lastSeen: now)
        entry.failures += 1
        entry.lastSeen = now
        entry.nextSlot = max(entry.nextSlot, now.addingTimeInterval(penalty(afterFailures: entry.failures)))
        entries[address] = entry
    }

    /// Records a success: the address starts afresh.
    public mutating func recordSuccess(_ address: String) {
        entries[address] = nil
    }

    /// The number of failures remembered for `address`.
    public func failures(of address: String) -> Int {
        entries[address]?.failures ?? 0
    }

    /// The number of addresses remembered.
    public var trackedAddresses: Int { entries.count }

    private mutating func forgetIfQuiet(_ address: String, at now: Date) {
        if let entry = entries[address], now.timeIntervalSince(entry.lastSeen) >= policy.forgetAfter {
            entries[address] = nil
        }
    }

    private mutating func prune(at now: Date) {
        guard entries.count >= policy.capacity else { return }
        entries = entries.filter { now.timeIntervalSince($0.value.lastSeen) < policy.forgetAfter }
        while entries.count >= policy.capacity, let oldest = entries.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
            entries[oldest.key] = nil
        }
    }
}
