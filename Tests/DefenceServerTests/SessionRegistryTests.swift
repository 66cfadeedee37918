@testable import DefenceServer
import Testing

/// An `AUTH` whose token check races a revocation cannot leave a live session behind: the revocation either
/// finds the session registered (and closes it) or the registry refuses the session.
@Suite struct SessionRegistryTests {
    @Test func aTokenRevokedWhileItWasBeingCheckedIsRefused() async {
        let registry = SessionRegistry()
        let checkedAt = registry.revocationEpoch
        // The token check read the token as valid; then the revocation committed and closed the token's sessions,
        // before this session was registered under it.
        await registry.closeSessions(ofToken: 7, reason: "token 7 was revoked")
        #expect(await registry.authenticated(1, userID: "lea", tokenID: 7, checkedSince: checkedAt) == false)
        // Another token of the same user, and a check made after the revocation, are not concerned.
        #expect(await registry.authenticated(2, userID: "lea", tokenID: 8, checkedSince: checkedAt))
        #expect(await registry.authenticated(3, userID: "lea", tokenID: 7, checkedSince: registry.revocationEpoch))
    }

    @Test func anAccountDisabledWhileItsTokenWasBeingCheckedIsRefused() async {
        let registry = SessionRegistry()
        let checkedAt = registry.revocationEpoch
        await registry.closeSessions(ofUser: "paul", reason: "account paul was disabled")
        #expect(await registry.authenticated(1, userID: "paul", tokenID: 3, checkedSince: checkedAt) == false)
        #expect(await registry.authenticated(2, userID: "lea", tokenID: 4, checkedSince: checkedAt))
        #expect(registry.revocationEpoch == checkedAt + 1)
    }
}
