import DefenceClient
import DefenceCore
import DefenceProtocol
@testable import DefenceServer
import Foundation
import Testing

/// A request tagged with an idempotency key is carried out once, however often it is sent, and across a restart:
/// the repeat gets the original reply, flagged `replayed`, and no new event (PROTOCOL.md §4.4).
@Suite struct IdempotencyTests {
    @Test func aKeyedCommandIsAppliedOnceAndItsReplyReplayed() async throws {
        let server = try await TestServer.start()
        let tokens = try await server.makeUsers(["lea"], role: .candidate)
        let jurors = try await server.makeUsers(["camille", "paul"], role: .juror)
        let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
        try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=camille competences=A1C1")
        let camille = try await RoomClient.connect(server, name: "camille", token: jurors[0])
        try await camille.ok("JOIN r1")
        try await camille.ok("@key=cam-1 TIMER-START r1")
        let added = try await camille.ok("@key=cam-2 TIMER-ADJUST r1 +60 :retard")
        let said = try await camille.ok("@key=cam-3 SAY r1 room :Bonjour")
        let marked = try await camille.ok("@key=cam-4 MARK r1 lea A1C1.1 met")
        let before = try await camille.ok("TIME r1")

        // The OKs were lost with the connection: the client sends everything again, with the same keys.
        for (line, first) in [("@key=cam-2 TIMER-ADJUST r1 +60 :retard", added), ("@key=cam-3 SAY r1 room :Bonjour", said), ("@key=cam-4 MARK r1 lea A1C1.1 met", marked)] {
            let again = try await camille.ok(line)
            #expect(again.parameters == first.parameters + ["replayed"], "\(again.serialized)")
        }
        let after = try await camille.ok("TIME r1")
        #expect(after.parameters.first { $0.hasPrefix("ends-at=") } == before.parameters.first { $0.hasPrefix("ends-at=") }, "the clock moved once")
        // A key is the user's own, and a new key is a new request.
        let paul = try await RoomClient.connect(server, name: "paul", token: jurors[1])
        #expect(try await paul.ok("@key=cam-3 SAY r1 room :Bonjour").parameters.last != "replayed")
        #expect(try await camille.ok("@key=cam-5 SAY r1 room :Bonjour").parameters.last != "replayed")
        #expect(try await camille.request("@key=a\\sb SAY r1 room :x").failureCode == "BAD_ARGUMENTS")
        // A key names one request: on another, it is refused, never taken for the first one's repeat.
        #expect(try await camille.request("@key=cam-2 TIMER-ADJUST r1 +90 :retard").failureCode == "INVALID")
        #expect(try await camille.request("@key=cam-3 SAY r1 room :autre chose").failureCode == "INVALID")
        let messages = try await camille.ok("HISTORY r1")
        #expect(camille.messages.compactMap { EventLine(past: $0) }.filter { $0.type == "message" }.count == 3, "\(messages.serialized)")
        await paul.close()

        // Keys are committed with their events: after a restart they are still known.
        await camille.close()
        await admin.close()
        let restarted = try await server.restarted()
        let back = try await RoomClient.connect(restarted, name: "camille2", token: jurors[0])
        #expect(try await back.ok("@key=cam-2 TIMER-ADJUST r1 +60 :retard").parameters == added.parameters + ["replayed"])
        // A candidate's replayed reply is in the candidates' numbering.
        let lea = try await RoomClient.connect(restarted, name: "lea", token: tokens[0])
        try await lea.ok("JOIN r1")
        let signal = try await lea.ok("@key=lea-1 SIGNAL r1 hand")
        #expect(try await lea.ok("@key=lea-1 SIGNAL r1 hand").parameters == signal.parameters + ["replayed"])
        await lea.close()
        await back.close()
        await restarted.stop()
    }

    /// The rooms hold fingerprints of their keys, not the keys: a key that shares another's fingerprint is read back
    /// from the store, and is carried out as the new request it is. With every key sharing one fingerprint, the
    /// store alone tells keys of other users and other rooms apart, and a cancelled room's stored key still replays.
    @Test func aKeySharingAnothersFingerprintIsStillANewRequest() async throws {
        try await withServer({ $0.requestKeyFingerprint = { _, _ in 7 } }) { server in
            let jurors = try await server.makeUsers(["camille", "paul"], role: .juror)
            _ = try await server.makeUsers(["lea"], role: .candidate)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=camille competences=A1C1")
            let camille = try await RoomClient.connect(server, name: "camille", token: jurors[0])
            try await camille.ok("JOIN r1")
            let first = try await camille.ok("@key=cam-1 SAY r1 room :un")
            // Every key now matches the one fingerprint held: each is looked up, and only a stored one is replayed.
            let second = try await camille.ok("@key=cam-2 SAY r1 room :deux")
            #expect(second.parameters.last != "replayed", "\(second.serialized)")
            #expect(try await camille.ok("@key=cam-1 SAY r1 room :un").parameters == first.parameters + ["replayed"])
            #expect(try await camille.request("@key=cam-2 SAY r1 room :trois").failureCode == "INVALID")
            let paul = try await RoomClient.connect(server, name: "paul", token: jurors[1])
            #expect(try await paul.ok("@key=cam-1 SAY r1 room :un").parameters.last != "replayed", "a key is its user's own")
            // And its room's: in another room the same key and request are carried out anew.
            try await admin.ok("ROOM-CREATE r2 team start=2026-12-01T10:00:00Z candidates=lea jurors=camille,paul president=camille competences=A1C1")
            try await camille.ok("JOIN r2")
            let inR2 = try await camille.ok("@key=cam-1 SAY r2 room :un")
            #expect(inR2.parameters.last != "replayed")
            // A stored key still gets its reply once the room cannot change any more (§4.1); a new request does not.
            try await admin.ok("ROOM-CANCEL r2 :jury indisponible")
            #expect(try await camille.ok("@key=cam-1 SAY r2 room :un").parameters == inR2.parameters + ["replayed"])
            #expect(try await camille.request("@key=cam-9 SAY r2 room :un").failureCode == "WRONG_STATE")
            await paul.close()
            await camille.close()
            await admin.close()
        }
    }
}

/// The fingerprints of a room's keys, as values.
@Suite struct RequestKeyIndexTests {
    @Test func aKeyIsHeldOnceInsertedOrLoaded() {
        var index = RequestKeyIndex([(user: "camille", key: "cam-1")])
        #expect(index.mayHold(user: "camille", key: "cam-1"))
        #expect(!index.mayHold(user: "camille", key: "cam-2"))
        #expect(!index.mayHold(user: "paul", key: "cam-1"), "a key is its user's own")
        // The user and the key are not run together: `ab` + `c` is not `a` + `bc`.
        index.insert(user: "ab", key: "c")
        #expect(index.mayHold(user: "ab", key: "c"))
        #expect(!index.mayHold(user: "a", key: "bc"))
        #expect(index.count == 2)
    }

    @Test func fingerprintsNotRecordsAreHeld() {
        // A fingerprint shared by every key: the index says "may be stored" for all, and holds one entry.
        let index = RequestKeyIndex((1...1_000).map { (user: "camille", key: "cam-\($0)") }, fingerprint: { _, _ in 42 })
        #expect(index.count == 1)
        #expect(index.mayHold(user: "paul", key: "anything"))
    }
}
