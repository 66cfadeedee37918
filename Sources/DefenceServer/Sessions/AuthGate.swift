import DefenceCore
import Foundation

/// The server-wide authentication throttle, shared by every session.
actor AuthGate {
    private var throttle: AuthThrottle

    init(policy: AuthThrottle.Policy) {
        throttle = AuthThrottle(policy: policy)
    }

    func admit(_ address: String, at now: Date) -> TimeInterval {
        throttle.admit(address, at: now)
    }

    func failed(_ address: String, at now: Date) {
        throttle.recordFailure(address, at: now)
    }

    func succeeded(_ address: String) {
        throttle.recordSuccess(address)
    }
}
