import DefenceClient
import DefenceCore
import DefenceProtocol
import Foundation
import Testing

/// Every room verb × every role × own room / another room, with the exact outcome.
///
/// Setup: room `own` (lea candidate; camille president, paul jurors) is open (lea and camille joined);
/// room `other` (zoe candidate; ines, remi jurors) exists. Each request is sent by lea (candidate), camille
/// (juror) or the admin, first about `own`, then about `other`. "OK" means the request succeeded.
@Suite struct AuthorizationMatrixTests {
    /// verb line with {room} as placeholder → (candidate, juror, admin) outcomes for the own room.
    static let own: [(String, String, String, String)] = [
        ("ROOM-SHOW {room}", "OK", "OK", "OK"),
        ("TIME {room}", "OK", "OK", "OK"),
        ("ROOM-UPDATE {room} warnings=120", "FORBIDDEN", "FORBIDDEN", "OK"),
        ("TIMER-PAUSE {room}", "FORBIDDEN", "WRONG_STATE", "WRONG_STATE"),
        ("TIMER-RESUME {room}", "FORBIDDEN", "WRONG_STATE", "WRONG_STATE"),
        ("TIMER-ADJUST {room} +60", "FORBIDDEN", "OK", "OK"),
        ("SAY {room} room :bonjour", "FORBIDDEN", "OK", "OK"),
        ("SAY {room} jury :note", "FORBIDDEN", "OK", "OK"),
        ("SIGNAL {room} ready", "OK", "FORBIDDEN", "FORBIDDEN"),
        ("OUTAGES {room}", "FORBIDDEN", "OK", "OK"),
        ("OUTAGE-EXTEND {room} 1", "FORBIDDEN", "WRONG_STATE", "FORBIDDEN"),
        ("MARK {room} lea A1C1.1 met", "FORBIDDEN", "OK", "FORBIDDEN"),
        ("PROPOSE {room} lea A1C1 acquis", "FORBIDDEN", "OK", "FORBIDDEN"),
        ("SUBMIT {room}", "FORBIDDEN", "OK", "FORBIDDEN"),
        ("PROGRESS {room}", "FORBIDDEN", "OK", "OK"),
        ("DISAGREEMENTS {room}", "FORBIDDEN", "OK", "OK"),
        ("DECIDE {room} lea A1C1 acquis", "FORBIDDEN", "WRONG_STATE", "FORBIDDEN"),
        ("SIGN {room}", "FORBIDDEN", "WRONG_STATE", "FORBIDDEN"),
        ("REOPEN {room} :raison", "FORBIDDEN", "FORBIDDEN", "WRONG_STATE"),
        ("RESULTS room={room}", "FORBIDDEN", "FORBIDDEN", "OK"),
        ("PV {room}", "FORBIDDEN", "FORBIDDEN", "OK"),
        ("AUDIT room={room}", "FORBIDDEN", "FORBIDDEN", "OK"),
        ("LEAVE {room}", "WRONG_STATE", "WRONG_STATE", "WRONG_STATE"),
        ("DELIBERATE {room}", "FORBIDDEN", "OK", "WRONG_STATE"),
        ("ROOM-CANCEL {room}", "FORBIDDEN", "FORBIDDEN", "WRONG_STATE"),
    ]

    func outcome(_ reply: Message) -> String {
        reply.verb == "OK" ? "OK" : (reply.failureCode ?? "?")
    }

    @Test func everyVerbRoleAndRoom() async throws {
        try await withServer { server in
            let lea = try await server.makeUser("lea", role: .candidate)
            _ = try await server.makeUser("zoe", role: .candidate)
            let camille = try await server.makeUser("camille", role: .juror)
            _ = try await server.makeUsers(["paul", "ines", "remi"], role: .juror)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE own team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=camille competences=A1C1")
            try await admin.ok("ROOM-CREATE other team start=2026-12-01T08:00:00Z candidates=zoe jurors=ines,remi president=ines competences=A1C1")
            let clients = [
                try await RoomClient.connect(server, name: "lea", token: lea),
                try await RoomClient.connect(server, name: "camille", token: camille),
                admin,
            ]
            // The room is open: the candidate and the juror joined. The fresh connections below have not.
            try await clients[0].ok("JOIN own")
            try await clients[1].ok("JOIN own")
            let fresh = [
                try await RoomClient.connect(server, name: "lea2", token: lea),
                try await RoomClient.connect(server, name: "camille2", token: camille),
                try await RoomClient.connect(server, name: "admin2", token: server.adminToken),
            ]
            for (template, candidate, juror, adminOutcome) in Self.own {
                for (index, expected) in [candidate, juror, adminOutcome].enumerated() {
                    let reply = try await fresh[index].request(template.replacingOccurrences(of: "{room}", with: "own"))
                    #expect(outcome(reply) == expected, "\(fresh[index].name): \(template) → \(reply.serialized)")
                    // Another room: exactly like a room that does not exist, unless the role may never do it.
                    let other = try await fresh[index].request(template.replacingOccurrences(of: "{room}", with: "other"))
                    let missing = try await fresh[index].request(template.replacingOccurrences(of: "{room}", with: "nowhere"))
                    let role: Role = [.candidate, .juror, .admin][index]
                    let allowed = AccessPolicy.allows(role, try Command.verb(of: parsed(template.replacingOccurrences(of: "{room}", with: "x"))))
                    if index == 2 {
                        #expect(outcome(missing) == (allowed ? "NOT_FOUND" : "FORBIDDEN"), "admin: \(template) on a missing room → \(missing.serialized)")
                    } else {
                        let expectedOther = allowed ? "NOT_FOUND" : "FORBIDDEN"
                        #expect(outcome(other) == expectedOther, "\(fresh[index].name): \(template) on another room → \(other.serialized)")
                        #expect(Array(other.parameters.dropFirst().map { $0.replacingOccurrences(of: "other", with: "X") })
                            == Array(missing.parameters.dropFirst().map { $0.replacingOccurrences(of: "nowhere", with: "X") }),
                            "\(template): another room must answer like a missing one")
                    }
                }
            }
            for client in clients + fresh { await client.close() }
        }
    }
}
