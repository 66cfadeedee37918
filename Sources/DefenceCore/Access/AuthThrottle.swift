import Foundation

/// Slows down repeated authentication failures from one network address, without ever holding up a right token.
///
/// Every token is checked at once. Only a failure waits before it is answered: each address gets a few free
/// failures, then each further failure is answered after a delay that doubles up to a ceiling. A guesser's every
/// connection is slowed to one attempt per delay, while a participant with the right token, behind the same NAT
/// address as a careless or hostile one, gets in at once (nothing is reserved: a closed connection holds nothing).
/// A success does not reset the address (a guesser holding one valid token of its own cannot launder its
/// failures); an address without a failure for ``Policy/forgetAfter`` is forgotten, and the table never holds more
/// than ``Policy/capacity`` addresses. Tokens are 256 random bits: this throttle keeps guessers and their noise
/// down; it is not what keeps tokens secret.
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

    /// Records a failed attempt from `address` and returns how long to wait before answering it: nothing for the
    /// first ``Policy/freeFailures`` failures, then ``Policy/baseDelay`` doubling up to ``Policy/maxDelay``.
    @discardableResult
    public mutating func recordFailure(_ address: String, at now: Date) -> TimeInterval {
        prune(at: now)
        forgetIfQuiet(address, at: now)
        var entry = entries[address] ?? Entry(failures: 0, lastSeen: now)
        let delay = penalty(afterFailures: entry.failures)
        entry.failures += 1
        entry.lastSeen = now
        entries[address] = entry
        return delay
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
