import DefenceCore
import Foundation
import Testing

/// Failures are answered after the delay their address earned; nothing else waits.
@Suite struct AuthThrottleTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)
    let policy = AuthThrottle.Policy(freeFailures: 2, baseDelay: 1, maxDelay: 8, forgetAfter: 600, capacity: 100)

    @Test func freeFailuresThenDoublingDelays() {
        let throttle = AuthThrottle(policy: policy)
        #expect((0...7).map { throttle.penalty(afterFailures: $0) } == [0, 0, 1, 2, 4, 8, 8, 8])
    }

    @Test func eachFailureIsAnsweredAfterItsAddressDelay() {
        var throttle = AuthThrottle(policy: policy)
        let waits = (0..<7).map { _ in throttle.recordFailure("10.0.0.1", at: t0) }
        #expect(waits == [0, 0, 1, 2, 4, 8, 8])
        #expect(throttle.failures(of: "10.0.0.1") == 7)
    }

    /// Failures arriving together on several connections each wait the delay of their rank, without queueing
    /// behind each other: nothing is reserved that a closed connection would have to give back.
    @Test func parallelFailuresDoNotQueueBehindEachOther() {
        var throttle = AuthThrottle(policy: policy)
        for _ in 0..<5 { throttle.recordFailure("a", at: t0) }
        let waits = (0..<3).map { _ in throttle.recordFailure("a", at: t0) }
        #expect(waits == [8, 8, 8])
    }

    @Test func otherAddressesAreNotAffected() {
        var throttle = AuthThrottle(policy: policy)
        for _ in 0..<6 { throttle.recordFailure("a", at: t0) }
        #expect(throttle.recordFailure("b", at: t0) == 0)
    }

    @Test func quietAddressesAreForgotten() {
        var throttle = AuthThrottle(policy: policy)
        for _ in 0..<6 { throttle.recordFailure("a", at: t0) }
        #expect(throttle.recordFailure("a", at: t0.addingTimeInterval(601)) == 0)
        #expect(throttle.failures(of: "a") == 1)
    }

    @Test func tableIsBounded() {
        var throttle = AuthThrottle(policy: policy)
        for index in 0..<1_000 {
            throttle.recordFailure("10.0.\(index / 256).\(index % 256)", at: t0.addingTimeInterval(Double(index)))
        }
        #expect(throttle.trackedAddresses <= 100)
    }
}
