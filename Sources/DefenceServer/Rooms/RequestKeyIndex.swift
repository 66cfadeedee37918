/// The idempotency keys committed in one room (PROTOCOL.md §4.4), held as 64-bit fingerprints of user and key.
///
/// A room's keys are kept for its whole life and a console keys every room command, so a day's keys add up: held as
/// records (the user and key text, two numbers, the request's 64-hex digest) they took about 200 bytes each, e.g.
/// 180 MB for 2,000 rooms of 450 keyed commands. A fingerprint takes 8 bytes and a slot of the set. It only says
/// whether a key *may* be stored: a match is confirmed by reading the key's row, so that a fingerprint shared by
/// two keys costs one read, never a wrong reply. A key that matches nothing (almost every keyed command) is new
/// without a read.
struct RequestKeyIndex: Sendable {
    /// How a user's key is fingerprinted. The standard one is `Hasher`'s, seeded per process: fingerprints never
    /// leave memory, and are rebuilt from the stored keys after a restart.
    typealias Fingerprint = @Sendable (_ user: String, _ key: String) -> UInt64

    /// `Hasher` over the user and the key (a string's hash ends with a terminator: `a`+`bc` is not `ab`+`c`).
    static let standard: Fingerprint = { user, key in
        var hasher = Hasher()
        hasher.combine(user)
        hasher.combine(key)
        return UInt64(truncatingIfNeeded: hasher.finalize())
    }

    private let fingerprint: Fingerprint
    private var fingerprints: Set<UInt64> = []

    /// An index of `keys` (each a user and one of their keys).
    init(_ keys: some Sequence<(user: String, key: String)>, fingerprint: @escaping Fingerprint = Self.standard) {
        self.fingerprint = fingerprint
        for key in keys { fingerprints.insert(fingerprint(key.user, key.key)) }
    }

    /// How many distinct fingerprints are held.
    var count: Int { fingerprints.count }

    /// Whether `user`'s `key` may be stored; `false` means it is not.
    func mayHold(user: String, key: String) -> Bool {
        fingerprints.contains(fingerprint(user, key))
    }

    /// Records that `user`'s `key` was committed.
    mutating func insert(user: String, key: String) {
        fingerprints.insert(fingerprint(user, key))
    }
}
