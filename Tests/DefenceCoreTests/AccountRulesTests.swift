import DefenceCore
import DefenceProtocol
import Foundation
import Testing

@Suite struct AccountRulesTests {
    @Test(arguments: ["admin", "camille.martin", "j-2", "a", "0x_1", String(repeating: "a", count: 64)])
    func validUserIDs(_ id: String) throws {
        try AccountRules.validateUserID(id)
    }

    @Test(arguments: ["", "Camille", "-lead", ".x", "a b", "é", "a/b", String(repeating: "a", count: 65)])
    func invalidUserIDs(_ id: String) {
        #expect(throws: DomainError.self) { try AccountRules.validateUserID(id) }
        do {
            try AccountRules.validateUserID(id)
        } catch {
            #expect(error.code == .invalid)
        }
    }

    @Test func roles() throws {
        #expect(try AccountRules.parseRole("JUROR") == .juror)
        #expect(throws: DomainError.self) { try AccountRules.parseRole("president") }
    }

    @Test func displayNames() throws {
        try AccountRules.validateDisplayName("Zoé Ñúñez")
        #expect(throws: DomainError.self) { try AccountRules.validateDisplayName("   ") }
        // Blank is what shows nothing: no-break and ideographic spaces, zero-width characters.
        for blank in ["\u{00A0}", "\u{3000}", "\u{200B}", "\u{FEFF}", " \u{2060} "] {
            #expect(throws: DomainError.self, "\(blank.unicodeScalars.map { $0.value })") { try AccountRules.validateDisplayName(blank) }
            #expect(FreeText.isBlank(blank))
        }
        #expect(!FreeText.isBlank("\u{00A0}x") && !FreeText.isBlank("😀"))
        #expect(throws: DomainError.self) { try AccountRules.validateDisplayName(String(repeating: "x", count: 129)) }
    }

    @Test func emails() throws {
        try AccountRules.validateEmail("camille@example.org")
        for bad in ["camille", "@example.org", "a@b", "a@@b.org", "a b@c.org", "a@.org"] {
            #expect(throws: DomainError.self, "\(bad)") { try AccountRules.validateEmail(bad) }
        }
    }
}

@Suite struct TokenSecretTests {
    @Test func secretsHave256RandomBitsAndAPrefix() {
        let secrets = (0..<200).map { _ in TokenSecret.generate() }
        #expect(Set(secrets).count == 200)
        for secret in secrets {
            #expect(secret.hasPrefix("drt_"))
            #expect(secret.count == 4 + 43)
            #expect(secret.dropFirst(4).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
    }

    @Test func hashIsSHA256Hex() {
        #expect(TokenSecret.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func tokenState() {
        let now = Date(timeIntervalSince1970: 1_000)
        var token = AccessToken(id: 1, userID: "a", label: nil, createdAt: now, expiresAt: nil, revokedAt: nil, lastUsedAt: nil)
        #expect(token.state(at: now) == .active)
        token.expiresAt = now
        #expect(token.state(at: now) == .expired)
        token.revokedAt = now
        #expect(token.state(at: now) == .revoked)
    }
}

@Suite struct AccessPolicyTests {
    @Test func adminVerbsAreForAdminsOnly() {
        let adminOnly: [Verb] = [.userCreate, .userList, .userDisable, .userEnable, .tokenIssue, .tokenList, .tokenRevoke]
        for verb in adminOnly {
            #expect(AccessPolicy.allows(.admin, verb))
            #expect(!AccessPolicy.allows(.juror, verb))
            #expect(!AccessPolicy.allows(.candidate, verb))
        }
    }

    @Test func sessionAndReferentialVerbsAreForEveryone() {
        for verb in [Verb.hello, .auth, .ping, .pong, .quit, .whoami, .referential, .blockList, .competenceList, .competenceShow] {
            for role in Role.allCases { #expect(AccessPolicy.allows(role, verb)) }
        }
    }

    @Test func onlySessionVerbsBeforeAuthentication() {
        #expect(Verb.beforeAuthentication == [.hello, .auth, .ping, .pong, .quit])
    }
}

@Suite struct TokenLabelTests {
    @Test func labels() throws {
        try AccountRules.validateTokenLabel("day-2026-12-01")
        try AccountRules.validateTokenLabel("Laptop_2.b")
        for bad in ["", "a b", "a/b", "é", String(repeating: "x", count: 65)] {
            #expect(throws: DomainError.self, "\(bad)") { try AccountRules.validateTokenLabel(bad) }
        }
    }
}
