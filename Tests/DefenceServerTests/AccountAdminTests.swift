import DefenceClient
import DefenceCore
import DefenceProtocol
import Foundation
import Testing

@Suite struct AccountAdminTests {
    /// Sends `line` and returns every line up to and including the terminal reply with the same id.
    func exchange(_ connection: LineConnection, _ line: String) async throws -> [String] {
        let id = try parsed(line).id
        try await connection.send(line)
        var lines: [String] = []
        while true {
            let reply = try await connection.nextLine()
            lines.append(reply)
            let message = try parsed(reply)
            if message.id == id && (message.verb == "OK" || message.verb == "FAIL") { return lines }
        }
    }

    @Test func createListDisableEnable() async throws {
        try await withServer { server in
            let admin = try await server.connect(token: server.adminToken)
            #expect(try await exchange(admin, "@id=1 USER-CREATE camille.martin juror email=camille@example.org :Camille Martin")
                == ["@id=1 OK USER-CREATE camille.martin juror"])
            #expect(try await exchange(admin, "@id=2 USER-CREATE leo candidate :Léo Dupont") == ["@id=2 OK USER-CREATE leo candidate"])
            #expect(try await exchange(admin, "@id=3 USER-LIST") == [
                "@id=3 USER admin admin active :Administrator",
                "@id=3 USER camille.martin juror active email=camille@example.org :Camille Martin",
                "@id=3 USER leo candidate active :Léo Dupont",
                "@id=3 OK USER-LIST 3",
            ])
            #expect(try await exchange(admin, "@id=4 USER-LIST role=juror") == [
                "@id=4 USER camille.martin juror active email=camille@example.org :Camille Martin",
                "@id=4 OK USER-LIST 1",
            ])
            #expect(try await exchange(admin, "@id=5 USER-DISABLE leo :withdrew") == ["@id=5 OK USER-DISABLE leo"])
            #expect(try await exchange(admin, "@id=6 USER-LIST state=disabled") == [
                "@id=6 USER leo candidate disabled :Léo Dupont",
                "@id=6 OK USER-LIST 1",
            ])
            #expect(try await exchange(admin, "@id=7 USER-ENABLE leo") == ["@id=7 OK USER-ENABLE leo"])
            #expect(try await exchange(admin, "@id=8 USER-LIST state=disabled") == ["@id=8 OK USER-LIST 0"])
            await admin.close()
        }
    }

    @Test(arguments: [
        ("USER-CREATE Camille juror :C", "FAIL USER-CREATE INVALID :user id"),
        ("USER-CREATE bob president :Bob", "FAIL USER-CREATE INVALID :unknown role"),
        ("USER-CREATE bob juror email=bob :Bob", "FAIL USER-CREATE INVALID :'bob' is not an e-mail address"),
        ("USER-CREATE admin juror :Again", "FAIL USER-CREATE ALREADY_EXISTS admin :user admin already exists"),
        ("USER-LIST role=boss", "FAIL USER-LIST INVALID :unknown role"),
        ("USER-LIST state=sleeping", "FAIL USER-LIST INVALID :unknown state"),
        ("USER-DISABLE ghost", "FAIL USER-DISABLE NOT_FOUND ghost :no user ghost"),
        ("USER-ENABLE ghost", "FAIL USER-ENABLE NOT_FOUND ghost :no user ghost"),
        ("USER-DISABLE admin", "FAIL USER-DISABLE LAST_ADMIN admin :admin is the last active administrator"),
        ("TOKEN-ISSUE ghost", "FAIL TOKEN-ISSUE NOT_FOUND ghost :no user ghost"),
        ("TOKEN-ISSUE admin expires=2001-01-01T00:00:00Z", "FAIL TOKEN-ISSUE INVALID :expires is in the past"),
        ("TOKEN-ISSUE admin expires=soon", "FAIL TOKEN-ISSUE INVALID :expires must be a real RFC 3339 time"),
        ("TOKEN-ISSUE admin label=a/b", "FAIL TOKEN-ISSUE INVALID :label must be"),
        ("TOKEN-REVOKE 999", "FAIL TOKEN-REVOKE NOT_FOUND 999 :no token 999"),
    ])
    func refusalsHaveTheirCodes(_ request: String, _ expectedPrefix: String) async throws {
        try await withServer { server in
            let admin = try await server.connect(token: server.adminToken)
            let lines = try await exchange(admin, "@id=r " + request)
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix("@id=r " + expectedPrefix) == true, "\(lines)")
            await admin.close()
        }
    }

    @Test func nonAdminsAreForbiddenAdminVerbs() async throws {
        try await withServer { server in
            for role in [Role.juror, .candidate] {
                let token = try await server.makeUser("u-\(role.rawValue)", role: role)
                let connection = try await server.connect(token: token)
                for verb in Verb.allCases where !AccessPolicy.allows(role, verb) {
                    #expect(try await exchange(connection, "@id=f \(verb.rawValue)")
                        == ["@id=f FAIL \(verb.rawValue) FORBIDDEN :\(verb.rawValue) is not allowed for role \(role.rawValue)"])
                }
                await connection.close()
            }
        }
    }

    @Test func tokensIssueListRevokeAndRevocationClosesSessions() async throws {
        try await withServer { server in
            let admin = try await server.connect(token: server.adminToken)
            _ = try await exchange(admin, "@id=1 USER-CREATE ines juror :Inès Roche")
            let issued = try parsed(try await exchange(admin, "@id=2 TOKEN-ISSUE ines ttl=3600 label=day1").last!)
            #expect(issued.parameters.prefix(3) == ["TOKEN-ISSUE", "2", "ines"])
            let token = try #require(TokenIssuedReply(issued))
            let secret = token.token
            #expect(secret.hasPrefix("drt_") && secret.count == 47)
            #expect(issued.parameters.last?.hasPrefix("expires=") == true)

            let listing = try await exchange(admin, "@id=3 TOKEN-LIST ines")
            #expect(listing.count == 2)
            let row = try parsed(listing[0])
            #expect(row.verb == "TOKEN" && row.parameters.prefix(3) == ["2", "ines", "active"])
            #expect(row.parameters.contains("label=day1"))
            #expect(!listing.joined().contains(secret.dropFirst(4)), "secrets are never listed")

            let juror = try await server.connect(token: secret)
            #expect(try await exchange(admin, "@id=4 TOKEN-REVOKE 2") == ["@id=4 OK TOKEN-REVOKE 2"])
            let closing = try await juror.waitForClose()
            #expect(closing.count == 1 && closing[0].hasPrefix("FAIL * REVOKED :token 2 was revoked"))

            let again = try await server.connect()
            try await again.send("AUTH \(secret)")
            #expect(try await again.nextLine().hasPrefix("FAIL AUTH AUTH_FAILED"))
            let state = try parsed(try await exchange(admin, "@id=5 TOKEN-LIST ines")[0])
            #expect(state.parameters.prefix(3) == [String(token.id), "ines", "revoked"])
            await again.close()
            await admin.close()
        }
    }

    @Test func disablingAUserClosesTheirSessions() async throws {
        try await withServer { server in
            let token = try await server.makeUser("leo", role: .candidate)
            let candidate = try await server.connect(token: token)
            let admin = try await server.connect(token: server.adminToken)
            // The reason is free text like any other: over 1000 scalars it is refused, and nothing is disabled.
            let long = String(repeating: "é", count: 1001)
            #expect(try await exchange(admin, "@id=l USER-DISABLE leo :\(long)").first?.hasPrefix("@id=l FAIL USER-DISABLE TEXT_TOO_LONG") == true)
            #expect(try await exchange(admin, "@id=d USER-DISABLE leo :a quitté la session") == ["@id=d OK USER-DISABLE leo"])
            let closing = try await candidate.waitForClose()
            #expect(closing == ["FAIL * REVOKED :account leo was disabled: a quitté la session"], "the person is told why")
            await admin.close()
        }
    }

    @Test func expiredTokensNoLongerAuthenticate() async throws {
        try await withServer { server in
            let admin = try await server.connect(token: server.adminToken)
            let issued = try parsed(try await exchange(admin, "@id=1 TOKEN-ISSUE admin ttl=3").last!)
            let token = try #require(TokenIssuedReply(issued))
            let secret = token.token
            let early = try await server.connect(token: secret)
            await early.close()
            try await Task.sleep(for: .milliseconds(3100))
            let late = try await server.connect()
            try await late.send("AUTH \(secret)")
            #expect(try await late.nextLine().hasPrefix("FAIL AUTH AUTH_FAILED"))
            let row = try await exchange(admin, "@id=2 TOKEN-LIST admin")
            #expect(try parsed(row[0]).parameters.prefix(3) == [String(token.id), "admin", "expired"], "the newest token first")
            await late.close()
            await admin.close()
        }
    }
}
