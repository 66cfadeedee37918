import DefenceCore
import Foundation

/// The server-wide authentication throttle, shared by every session.
actor AuthGate {
    private var throttle: AuthThrottle

    init(policy: AuthThrottle.Policy) {
        throttle = AuthThrottle(policy: policy)
    }

    /// Records a failed authentication; returns how long to wait before answering it.
    func failed(_ address: String, at now: Date) -> TimeInterval {
        throttle.recordFailure(address, at: now)
    }

}
