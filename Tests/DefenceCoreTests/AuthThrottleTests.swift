import DefenceCore
import Foundation
import Testing

@Suite struct AuthThrottleTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)
    let policy = AuthThrottle.Policy(freeFailures: 2, baseDelay: 1, maxDelay: 8, forgetAfter: 600, capacity: 100)

    @Test func freeFailuresThenDoublingDelays() {
        let throttle = AuthThrottle(policy: policy)
        #expect((0...7).map { throttle.penalty(afterFailures: $0) } == [0, 0, 1, 2, 4, 8, 8, 8])
    }

    @Test func sequentialFailuresAreSpacedOut() {
        var throttle = AuthThrottle(policy: policy)
        var now = t0
        var waits: [TimeInterval] = []
        for _ in 0..<5 {
            let wait = throttle.admit("10.0.0.1", at: now)
            waits.append(wait)
            now = now.addingTimeInterval(wait)
            throttle.recordFailure("10.0.0.1", at: now)
        }
        #expect(waits == [0, 0, 1, 2, 4])
        #expect(throttle.failures(of: "10.0.0.1") == 5)
    }

    @Test func parallelAttemptsQueueBehindEachOther() {
        var throttle = AuthThrottle(policy: policy)
        for _ in 0..<3 { throttle.recordFailure("a", at: t0) }
        // Three attempts arrive at once: each waits for the previous one's slot.
        let waits = (0..<3).map { _ in throttle.admit("a", at: t0) }
        #expect(waits == [2, 4, 6])
    }

    @Test func otherAddressesAreNotAffected() {
        var throttle = AuthThrottle(policy: policy)
        for _ in 0..<6 { throttle.recordFailure("a", at: t0) }
        #expect(throttle.admit("b", at: t0) == 0)
    }

    @Test func successResets() {
        var throttle = AuthThrottle(policy: policy)
        for _ in 0..<6 { throttle.recordFailure("a", at: t0) }
        throttle.recordSuccess("a")
        #expect(throttle.admit("a", at: t0) == 0)
        #expect(throttle.failures(of: "a") == 0)
    }

    @Test func quietAddressesAreForgotten() {
        var throttle = AuthThrottle(policy: policy)
        for _ in 0..<6 { throttle.recordFailure("a", at: t0) }
        #expect(throttle.admit("a", at: t0.addingTimeInterval(601)) == 0)
        #expect(throttle.failures(of: "a") == 0)
    }

    @Test func tableIsBounded() {
        var throttle = AuthThrottle(policy: policy)
        for index in 0..<1_000 {
            let address = "10.0.\(index / 256).\(index % 256)"
            _ = throttle.admit(address, at: t0.addingTimeInterval(Double(index)))
            throttle.recordFailure(address, at: t0.addingTimeInterval(Double(index)))
        }
        #expect(throttle.trackedAddresses <= 100)
    }
}
