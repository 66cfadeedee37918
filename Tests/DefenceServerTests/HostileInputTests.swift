import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
import DefenceStore
import Foundation
import GRDB
import Synchronization
import Testing

/// What an attacker, or a careless client, sends must never crash the server, run what nobody asked for, or lock
/// out the people with the right token; long answers reach a client that reads, and a client that stops reading is
/// told why it is cut off.
@Suite struct HostileInputTests {
    /// Sends `line` and reads up to its terminal reply (`@id=<id> OK|FAIL`); returns every line read.
    func exchange(_ connection: LineConnection, _ line: String, id: String) async throws -> [String] {
        try await connection.send("@id=\(id) \(line)")
        var lines: [String] = []
        while true {
            let next = try await connection.nextLine(timeout: .seconds(60))
            if next.hasPrefix("PING ") { continue }
            lines.append(next)
            if next.hasPrefix("@id=\(id) OK ") || next.hasPrefix("@id=\(id) FAIL ") { return lines }
        }
    }

    // MARK: Times

    @Test func aTokenExpiryMustBeARealTimeOfASupportedYear() async throws {
        try await withServer { server in
            _ = try await server.makeUser("lea", role: .candidate)
            let admin = try await server.connect(token: server.adminToken)
            for (index, option) in [
                "expires=10000-01-01T00:00:00Z", "ttl=9223372036854775807", "ttl=400000000", "expires=2026-02-30T10:00:00Z",
                "expires=2026-12-01T25:61:61Z", "expires=3000-01-01T00:00:00Z",
            ].enumerated() {
                let reply = try await exchange(admin, "TOKEN-ISSUE lea \(option)", id: "t\(index)")
                #expect(reply.last?.hasPrefix("@id=t\(index) FAIL TOKEN-ISSUE INVALID") == true, "\(option): \(reply)")
            }
            let fine = try await exchange(admin, "TOKEN-ISSUE lea expires=2999-12-31T23:00:00Z", id: "ok")
            #expect(fine.last?.hasPrefix("@id=ok OK TOKEN-ISSUE") == true, "\(fine)")
            let list = try await exchange(admin, "TOKEN-LIST lea", id: "list")
            #expect(list.last?.hasPrefix("@id=list OK TOKEN-LIST") == true, "\(list)")
            await admin.close()
        }
    }

    @Test func aRoomStartMustBeARealTime() async throws {
        try await withServer { server in
            _ = try await server.makeUsers(["camille", "paul"], role: .juror)
            _ = try await server.makeUser("lea", role: .candidate)
            let admin = try await server.connect(token: server.adminToken)
            for (index, start) in ["2026-02-30T10:00:00Z", "2026-12-01T25:61:61Z", "1999-12-31T23:00:00Z", "2026-12-01"].enumerated() {
                let reply = try await exchange(
                    admin, "ROOM-CREATE r\(index) team start=\(start) candidates=lea jurors=camille,paul president=camille block=A1",
                    id: "r\(index)"
                )
                #expect(reply.last?.hasPrefix("@id=r\(index) FAIL ROOM-CREATE INVALID") == true, "\(start): \(reply)")
            }
            let days = try await exchange(admin, "ROOM-LIST day=2026-02-30", id: "d")
            #expect(days.last?.hasPrefix("@id=d FAIL ROOM-LIST INVALID") == true, "\(days)")
            await admin.close()
        }
    }

    /// A token row no server writes any more (a year-10000 expiry, as one before the edge check could store) fails
    /// every request that reads it, alone: the server goes on, and starts again.
    @Test func aStoredRowThatCannotBeReadFailsItsRequestsAlone() async throws {
        let server = try await TestServer.start()
        let token = try await server.makeUser("lea", role: .candidate)
        try await server.database.pool.write { db in
            try db.execute(sql: "UPDATE access_token SET expires_at = '10000-01-01 00:00:00.000' WHERE user_id = 'lea'")
        }
        let admin = try await server.connect(token: server.adminToken)
        let list = try await exchange(admin, "TOKEN-LIST", id: "l")
        #expect(list.last?.hasPrefix("@id=l FAIL TOKEN-LIST INTERNAL") == true, "\(list)")
        let revoke = try await exchange(admin, "TOKEN-REVOKE 2", id: "r")
        #expect(revoke.last?.hasPrefix("@id=r FAIL TOKEN-REVOKE INTERNAL") == true, "\(revoke)")
        let lea = try await server.connect()
        try await lea.send("AUTH \(token)")
        #expect(try await lea.nextLine().hasPrefix("FAIL AUTH INTERNAL"))
        let alive = try await exchange(admin, "WHOAMI", id: "w")
        #expect(alive.last?.hasPrefix("@id=w OK WHOAMI admin") == true)
        await admin.close()
        await lea.close()

        let restarted = try await server.restarted()
        let again = try await restarted.connect()
        try await again.send("AUTH \(token)")
        #expect(try await again.nextLine().hasPrefix("FAIL AUTH INTERNAL"))
        let admin2 = try await restarted.connect(token: restarted.adminToken)
        #expect(try await exchange(admin2, "USER-LIST", id: "u").last?.hasPrefix("@id=u OK USER-LIST 2") == true)
        await again.close()
        await admin2.close()
        await restarted.stop()
    }

    /// The server never serves or builds on stored rows the chain does not vouch for: an event flipped from the
    /// jury to the room is not replayed to a candidate, and no PV is printed from it; a room whose last event was
    /// removed is refused after a restart (no new event lands on it and moves its last-event mark over the evidence); a
    /// heartbeat set in the future does not date a downtime.
    @Test func rowsAlteredInTheDatabaseAreNeverServedNorBuiltOn() async throws {
        let server = try await TestServer.start()
        let tokens = try await server.makeUsers(["camille", "paul"], role: .juror)
        let leaToken = try await server.makeUser("lea", role: .candidate)
        let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
        for room in ["r1", "r2"] {
            let hour = room == "r1" ? "08" : "10"
            try await admin.ok("ROOM-CREATE \(room) team start=2026-12-01T\(hour):00:00Z candidates=lea jurors=camille,paul president=camille block=A1")
        }
        let camille = try await RoomClient.connect(server, name: "camille", token: tokens[0])
        for room in ["r1", "r2"] {
            try await camille.ok("JOIN \(room)")
            try await camille.ok("TIMER-START \(room)")
        }
        try await camille.ok("SAY r1 jury :secret du jury")
        let secret = try await camille.event("message", "camille")
        let seq = try #require(secret.eventSeq)
        try await server.database.pool.write { db in
            try db.execute(sql: "UPDATE room_event SET jury_only = 0 WHERE room_id = 'r1' AND seq = ?", arguments: [seq])
        }
        let lea = try await RoomClient.connect(server, name: "lea", token: leaToken)
        let resumed = try await lea.request("RESUME r1 0")
        #expect(resumed.verb == "FAIL" && resumed.parameters.prefix(2) == ["RESUME", "INTERNAL"], "\(resumed)")
        #expect(!lea.lines.contains { $0.contains("secret du jury") })
        let pv = try await admin.request("PV r1")
        #expect(pv.verb == "FAIL" && pv.parameters.prefix(2) == ["PV", "INTERNAL"], "\(pv)")
        for client in [admin, camille, lea] { await client.close() }

        // r1's last event removed: a start must refuse the room rather than append after its cut log.
        try await server.database.pool.write { db in
            try db.execute(sql: "DELETE FROM room_event WHERE room_id = 'r1' AND seq = (SELECT max(seq) FROM room_event WHERE room_id = 'r1')")
            try db.execute(sql: "UPDATE server_heartbeat SET at = '2999-01-01 00:00:00.000'")
        }
        let restarted = try await server.restarted()
        let admin2 = try await RoomClient.connect(restarted, name: "admin2", token: restarted.adminToken)
        let refused = try await admin2.request("JOIN r1")
        #expect(refused.verb == "FAIL" && refused.parameters.prefix(2) == ["JOIN", "INTERNAL"], "\(refused)")
        let audit = try await admin2.request("AUDIT room=r1")
        #expect(audit.verb == "OK" && audit.parameters.last != "broken=0", "the evidence is still there: \(audit)")
        // The other room runs on; its downtime starts at its last event, not in 2999.
        try await admin2.ok("OUTAGES r2")
        let downtime = try #require(admin2.messages.compactMap(OutageLine.init).last { $0.user == nil })
        let from = try #require(WireTime.parse(downtime.from))
        #expect(from < Date(), "\(downtime)")
        await admin2.close()
        await restarted.stop()
    }

    // MARK: DAY-IMPORT

    /// The lines announced are read as the import's payload, whatever they hold: a faulty line fails the import,
    /// and the lines after it, commands or not, never run.
    @Test func anImportThatFailsRunsNoneOfItsLines() async throws {
        try await withServer { server in
            let admin = try await server.connect(token: server.adminToken)
            try await admin.send("@id=d DAY-IMPORT 4")
            #expect(try await admin.nextLine() == "@id=d CONTINUE DAY-IMPORT 4 :send 4 lines, each starting with |")
            try await admin.send("|" + DayFile.columns.joined(separator: ","))
            try await admin.send("|user,lea\tdupont,candidate,Léa,,,,,,,,,")
            try await admin.send("USER-CREATE csv.injected admin :x")
            try await admin.send("|TOKEN-ISSUE admin")
            let reply = try await admin.nextLine()
            #expect(reply.hasPrefix("@id=d FAIL DAY-IMPORT INVALID_CHARACTER 2 "), "\(reply)")
            let users = try await exchange(admin, "USER-LIST", id: "u")
            #expect(users == ["@id=u USER admin admin active :Administrator", "@id=u OK USER-LIST 1"])
            let tokens = try await exchange(admin, "TOKEN-LIST", id: "t")
            #expect(tokens.count == 2, "only the bootstrap token: \(tokens)")

            // A client that sends its lines without waiting for CONTINUE, without `|` (as before): every line is
            // still read as payload, the import fails, and nothing runs.
            try await admin.send("@id=e DAY-IMPORT 2\n" + DayFile.columns.joined(separator: ",") + "\nUSER-CREATE csv.injected2 admin :x")
            #expect(try await admin.nextLine().hasPrefix("@id=e CONTINUE DAY-IMPORT 2"))
            let second = try await admin.nextLine()
            #expect(second.hasPrefix("@id=e FAIL DAY-IMPORT MALFORMED 1 "), "\(second)")
            #expect(try await exchange(admin, "USER-LIST", id: "u2").count == 2)
            await admin.close()
        }
    }

    /// A bounded fuzz of the server's DAY-IMPORT: 150 random files of up to 8 lines, made of what trips CSV readers
    /// and of command lines, each sent as the protocol frames it (one `|` line per line). Every import gets exactly
    /// one answer, the connection stays usable, and no line ever runs as a command.
    @Test func randomDayFilesNeverRunAsCommandsNorStopTheServer() async throws {
        let pieces = [
            "user", "room", "lea", "camille", "paul", "Bad Id", "candidate", "juror", "admin", "team", "individual", "live",
            "blind", "2026-12-01T08:00:00Z", "2026-02-30T10:00:00Z", "10000-01-01T00:00:00Z", "block:A1", "A1C1;A1C2",
            "lea;hugo", "camille;paul", "\"", "\"\"", "\"a,b\"", ",", ";", " ", "", "é", "🇫🇷", "\u{301}", "\t", "\u{7f}", "\u{0}",
            String(repeating: "x", count: 300), "USER-CREATE injected admin :x", "TOKEN-ISSUE admin", "|", "@id=1 ", "QUIT",
        ]
        try await withServer({ $0.linesPerSecond = 100_000; $0.lineBurst = 100_000 }) { server in
            let admin = try await server.connect(token: server.adminToken)
            var random = SystemRandomNumberGenerator()
            for round in 0..<150 {
                var lines = [DayFile.columns.joined(separator: ",")]
                for _ in 0..<Int.random(in: 0...7, using: &random) {
                    let fields = (0..<Int.random(in: 0...15, using: &random)).map { _ in
                        (0..<Int.random(in: 1...3, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "" }.joined()
                    }
                    lines.append(fields.joined(separator: ","))
                }
                if Int.random(in: 0..<4, using: &random) == 0 { lines[0] = pieces.randomElement(using: &random) ?? "" }
                try await admin.send("@id=f\(round) DAY-IMPORT \(lines.count)")
                let go = try await admin.nextLine()
                #expect(go.hasPrefix("@id=f\(round) CONTINUE DAY-IMPORT"), "\(go)")
                try await admin.send(lines.map { "|" + $0 }.joined(separator: "\n"))
                var answer = try await admin.nextLine(timeout: .seconds(30))
                while answer.hasPrefix("@id=f\(round) IMPORT-ERROR ") { answer = try await admin.nextLine(timeout: .seconds(30)) }
                #expect(answer.hasPrefix("@id=f\(round) OK DAY-IMPORT") || answer.hasPrefix("@id=f\(round) FAIL DAY-IMPORT"), "round \(round): \(answer) for \(lines)")
                // Still a usable admin session, answering this request next.
                #expect(try await exchange(admin, "WHOAMI", id: "w\(round)").last?.hasPrefix("@id=w\(round) OK WHOAMI admin") == true)
            }
            let users = try await exchange(admin, "USER-LIST", id: "u")
            #expect(!users.contains { $0.contains(" injected ") }, "a line ran as a command")
            let tokens = try await exchange(admin, "TOKEN-LIST", id: "t")
            #expect(tokens.count == 2, "only the bootstrap token: \(tokens.count - 1) tokens")
            await admin.close()
        }
    }

    // MARK: Authentication throttle

    /// Failures from one address slow the failures down; the right token, from the same address, gets in at once.
    @Test func theRightTokenIsNeverHeldUpByTheFailuresOfOthers() async throws {
        try await withServer({ $0.authThrottle = .init(freeFailures: 3, baseDelay: 1, maxDelay: 8) }) { server in
            // 20 failures, then 6 more at the same moment: the address now waits 8 s per failure.
            for batch in [20, 6] {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<batch {
                        group.addTask {
                            let guesser = try await server.connect()
                            try await guesser.send("AUTH drt_wrong")
                            if batch == 20 { _ = try await guesser.nextLine(timeout: .seconds(60)) }
                            // The second batch does not wait for its answers: they are still pending below.
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let admin = try await server.connect()
            let started = ContinuousClock.now
            try await admin.send("AUTH \(server.adminToken)")
            #expect(try await admin.nextLine(timeout: .seconds(30)).hasPrefix("OK AUTH admin"))
            #expect(ContinuousClock.now - started < .seconds(4), "the right token waited behind the failures")
            // A wrong token from the same address still waits its delay.
            let late = try await server.connect()
            let failedAt = ContinuousClock.now
            try await late.send("AUTH drt_wrong")
            #expect(try await late.nextLine(timeout: .seconds(30)).hasPrefix("FAIL AUTH AUTH_FAILED"))
            #expect(ContinuousClock.now - failedAt >= .seconds(7))
            await admin.close()
            await late.close()
        }
    }

    // MARK: Long replies

    /// Every list verb returns any number of lines to a client that reads, through a 1,024-line queue.
    @Test func longRepliesReachAClientThatReads() async throws {
        try await withServer({ $0.linesPerSecond = 100_000; $0.lineBurst = 100_000 }) { server in
            let admin = try await server.connect(token: server.adminToken)
            // 19,996 users in four imports, then three more and 1,100 rooms of one candidate: 20,000 with the admin.
            for batch in 0..<4 {
                let users = (0..<4999).map { "user,u\(batch)-\($0),candidate,U \($0),,,,,,,,," }
                try await upload([DayFile.columns.joined(separator: ",")] + users, on: admin, id: "b\(batch)")
            }
            let day = ["user,jury-a,juror,A,,,,,,,,,", "user,jury-b,juror,B,,,,,,,,,", "user,u-last,candidate,L,,,,,,,,,"] + (0..<1100).map { index in
                "room,room-\(index),,,,team,\(WireTime.format(Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * 3600))),u0-\(index),jury-a;jury-b,jury-a,A1C1;A1C2,live,"
            }
            try await upload([DayFile.columns.joined(separator: ",")] + day, on: admin, id: "rooms")
            let users = try await exchange(admin, "USER-LIST", id: "u")
            #expect(users.count == 20_000 + 1 && users.last == "@id=u OK USER-LIST 20000", "\(users.suffix(2))")
            let rooms = try await exchange(admin, "ROOM-LIST", id: "r")
            #expect(rooms.last == "@id=r OK ROOM-LIST 1100", "\(rooms.suffix(2))")
            let results = try await exchange(admin, "RESULTS", id: "s")
            #expect(results.count == 2201 && results.last == "@id=s OK RESULTS 2200", "\(results.suffix(2))")
            // 1,100 tokens, issued in one burst, then listed.
            try await admin.send((0..<1100).map { "@id=i\($0) TOKEN-ISSUE u0-\($0)" }.joined(separator: "\n"))
            for _ in 0..<1100 { _ = try await admin.nextLine(timeout: .seconds(60)) }
            let tokens = try await exchange(admin, "TOKEN-LIST", id: "t")
            #expect(tokens.count == 1102, "\(tokens.suffix(2))")
            await admin.close()
        }
    }

    /// PV, PROGRESS and AUDIT, each many times longer than the bound on queued events (8 here), reach a client that
    /// reads: a reply is streamed, never counted against that bound.
    @Test func everyListVerbStreamsPastTheEventBound() async throws {
        try await withServer({ $0.outboundQueueLimit = 8; $0.linesPerSecond = 100_000; $0.lineBurst = 100_000 }) { server in
            let admin = try await server.connect(token: server.adminToken)
            let candidates = (1...4).map { "c\($0)" }
            let day = ["user,ja,juror,A,,,,,,,,,", "user,jb,juror,B,,,,,,,,,"] + candidates.map { "user,\($0),candidate,C,,,,,,,,," }
                + (0..<12).map { index in
                    "room,r\(index),,,,team,\(WireTime.format(Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * 3600))),\(candidates.joined(separator: ";")),ja;jb,ja,A1C1;A1C2;A1C3,live,"
                }
            try await upload([DayFile.columns.joined(separator: ",")] + day, on: admin, id: "day")
            let progress = try await exchange(admin, "PROGRESS r0", id: "p")
            // Both jurors' REMAINING line per candidate and competence.
            #expect(progress.count == 2 * 4 * 3 + 1 && progress.last?.hasPrefix("@id=p OK PROGRESS r0") == true, "\(progress.suffix(2))")
            let pv = try await exchange(admin, "PV r0", id: "v")
            #expect(pv.count > 16 && pv.last?.hasPrefix("@id=v OK PV r0") == true, "\(pv.count) \(pv.suffix(2))")
            try await server.database.pool.write { db in try db.execute(sql: "UPDATE room_event SET line = 'EVENT forged' WHERE seq = 1") }
            let audit = try await exchange(admin, "AUDIT", id: "a")
            #expect(audit.filter { $0.hasPrefix("@id=a BROKEN r") }.count >= 12, "\(audit.prefix(3))")
            #expect(audit.last?.hasPrefix("@id=a OK AUDIT rooms=12") == true, "\(audit.suffix(2))")
            await admin.close()
        }
    }

    func upload(_ lines: [String], on connection: LineConnection, id: String) async throws {
        try await connection.send("@id=\(id) DAY-IMPORT \(lines.count)")
        #expect(try await connection.nextLine().hasPrefix("@id=\(id) CONTINUE DAY-IMPORT"))
        try await connection.send(lines.map { "|" + $0 }.joined(separator: "\n"))
        let reply = try await connection.nextLine(timeout: .seconds(120))
        #expect(reply.hasPrefix("@id=\(id) OK DAY-IMPORT"), "\(reply)")
    }

    // MARK: Slow consumers

    /// Clients that stop reading are cut off, and each finds the reason when it reads again.
    @Test func aClientThatStopsReadingIsToldWhy() async throws {
        try await withServer({ $0.outboundQueueLimit = 16; $0.linesPerSecond = 100_000; $0.slowConsumerGrace = 120 }) { server in
            let tokens = try await server.makeUsers(["camille", "paul"], role: .juror)
            _ = try await server.makeUser("lea", role: .candidate)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=camille block=A1")
            var stalled: [LineConnection] = []
            for _ in 0..<20 {
                let watcher = try await LineConnection.connect(host: "127.0.0.1", port: server.port, tls: server.tls, receiveBufferBytes: 4096)
                _ = try await watcher.nextLine()
                try await watcher.send("AUTH \(server.adminToken)")
                #expect(try await watcher.nextLine().hasPrefix("OK AUTH"))
                try await watcher.send("@id=j JOIN r1")
                while !(try await watcher.nextLine()).hasPrefix("@id=j OK JOIN") {}
                try await watcher.pauseReading()
                stalled.append(watcher)
            }
            let camille = try await RoomClient.connect(server, name: "camille", token: tokens[0])
            try await camille.ok("JOIN r1")
            let text = String(repeating: "Les échanges continuent. ", count: 38)
            var sent = 0
            while await server.server.sessionCount() > 2, sent < 20_000 {
                try await camille.ok("SAY r1 room :\(text)")
                sent += 1
            }
            #expect(await server.server.sessionCount() == 2, "after \(sent) messages")
            // Each reads again (all at once); each finds the reason last, before the end.
            let lasts = try await withThrowingTaskGroup(of: String?.self) { group in
                for watcher in stalled {
                    group.addTask {
                        try await watcher.resumeReading()
                        return try await watcher.waitForClose(timeout: .seconds(30)).last
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(lasts.count == 20)
            #expect(lasts.allSatisfy { $0 == "FAIL * SLOW_CONSUMER :too many unread lines; reconnect and RESUME" }, "\(lasts)")
            await admin.close()
            await camille.close()
        }
    }

    // MARK: Files

    @Test func theDatabaseFilesAreTheServersOwnerOnly() async throws {
        try await withServer { server in
            _ = try await server.makeUser("lea", role: .candidate)
            for suffix in ["", "-wal", "-shm"] {
                let path = server.database.path + suffix
                let mode = try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
                #expect(mode.intValue & 0o777 == 0o600, "\(path): \(String(mode.intValue, radix: 8))")
            }
        }
    }
}
