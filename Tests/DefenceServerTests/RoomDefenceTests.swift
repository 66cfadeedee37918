import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
import Foundation
import Testing

@Suite struct RoomDefenceTests {
    static let start = Date(timeIntervalSince1970: 1_796_112_000)  // 2026-12-01T08:00:00Z

    @Test func aWholeTeamDefenceOverTLS() async throws {
        let clock = ManualServerClock(start: Self.start)
        try await withServer({ $0.clock = clock }) { server in
            let candidateIDs = ["lea", "hugo", "ines", "malo"]
            let candidateTokens = try await server.makeUsers(candidateIDs, role: .candidate)
            let jurorTokens = try await server.makeUsers(["camille", "paul"], role: .juror)

            // An admin schedules the defence.
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            let created = try await admin.ok(
                "ROOM-CREATE mspr-a team start=2026-12-01T09:30:00Z candidates=\(candidateIDs.joined(separator: ",")) jurors=camille,paul president=camille block=A1 :Salle A"
            )
            #expect(created.parameters == ["ROOM-CREATE", "mspr-a", "1"])

            // Four candidates and two jurors join; everyone sees everyone arrive.
            var candidates: [RoomClient] = []
            for (id, token) in zip(candidateIDs, candidateTokens) {
                let client = try await RoomClient.connect(server, name: id, token: token)
                try await client.ok("JOIN mspr-a")
                candidates.append(client)
            }
            let camille = try await RoomClient.connect(server, name: "camille", token: jurorTokens[0])
            let paul = try await RoomClient.connect(server, name: "paul", token: jurorTokens[1])
            try await camille.ok("JOIN mspr-a")
            try await paul.ok("JOIN mspr-a")
            let everyone = candidates + [camille, paul]
            // Each sees those already there in the SNAPSHOT it got on joining, and every later arrival as an event.
            try await candidates[0].event("joined", "paul")
            for client in everyone {
                try await client.event("joined", "paul")
                let snapshot = try #require(client.lines.first { $0.hasPrefix("SNAPSHOT mspr-a ") })
                let present = try parsed(snapshot).parameters.first { $0.hasPrefix("present=") }?.dropFirst(8)
                    .split(separator: ",").map(String.init).filter { $0 != "-" } ?? []
                let arrivals = client.events.compactMap { message -> String? in
                    if case .joined(let user, _)? = EventLine(message)?.body { return user } else { return nil }
                }
                #expect(Set(present + arrivals) == Set(candidateIDs + ["camille", "paul"]), "\(client.name)")
            }
            #expect(candidates[0].lines.contains { $0.hasPrefix("SNAPSHOT mspr-a 1 ") && $0.contains(" scheduled ") })

            // A candidate may not run the clock.
            let refused = try await candidates[1].request("TIMER-PAUSE mspr-a")
            #expect(refused.parameters.prefix(2) == ["TIMER-PAUSE", "FORBIDDEN"])
            #expect(try await candidates[1].request("TIMER-START mspr-a").failureCode == "FORBIDDEN")

            // A juror starts the clock: 20 min presentation, 10 min questions, warnings at 5 and 1 minute.
            try await camille.ok("TIMER-START mspr-a")
            for client in everyone {
                try await client.event("timer-started")
                try await client.event("phase", "0")
            }
            let time = try await candidates[0].ok("TIME mspr-a")
            #expect(time.okArguments?.prefix(4) == ["mspr-a", "running", "0", "presentation"])
            #expect(time.parameters.contains("remaining-ms=1800000"))

            // Pause, resume, add time.
            clock.advance(by: 600)
            try await paul.ok("TIMER-PAUSE mspr-a :vidéo coupée")
            try await candidates[2].event("timer-paused")
            clock.advance(by: 120)
            #expect(try await candidates[2].ok("TIME mspr-a").parameters.contains("remaining-ms=1200000"))
            try await paul.ok("TIMER-RESUME mspr-a")
            try await camille.ok("TIMER-ADJUST mspr-a +60 :retard au démarrage")
            try await candidates[3].event("time-adjusted")

            // One candidate drops; the room goes on; messages to the jury and to the room.
            let hugo = candidates[1]
            await hugo.close()
            try await camille.event("connection-lost", "hugo")
            try await camille.event("outage-started")
            try await camille.ok("SAY mspr-a jury :Hugo a perdu la connexion, on continue")
            try await paul.event("message", "camille")
            try await camille.ok("SAY mspr-a room :Nous continuons, Hugo va revenir")
            try await candidates[0].waitFor("room message") { $0.eventType == "message" && $0.parameters.last == "Nous continuons, Hugo va revenir" }

            // The clock reaches the questions phase while Hugo is away (600 + 60 s added: phase at 1260 s of running time).
            clock.advance(by: 660)
            for client in [candidates[0], camille] { try await client.event("phase", "1") }

            // Hugo comes back and RESUMEs from the last event he saw: nothing missed, nothing twice.
            let lastSeen = hugo.events.compactMap(\.eventSeq).max() ?? 0
            let hugoAgain = try await RoomClient.connect(server, name: "hugo2", token: candidateTokens[1])
            let resumed = try await hugoAgain.ok("RESUME mspr-a \(lastSeen)")
            #expect(resumed.parameters.last?.hasPrefix("replayed=") == true)
            try await camille.event("outage-ended")
            let before = hugo.events.compactMap(\.eventSeq)
            let after = hugoAgain.events.compactMap(\.eventSeq)
            let seen = before + after
            #expect(Set(seen).count == seen.count, "no event twice: \(seen)")
            // Hugo saw every event a candidate may see, in order, with increasing sequence numbers.
            let candidateView = candidates[0].events.compactMap(\.eventSeq).filter { $0 > (candidates[0].events.first?.eventSeq ?? 0) }
            for seq in candidateView where seq > before.min() ?? 0 && seq <= (after.max() ?? 0) {
                #expect(seen.contains(seq), "hugo missed event \(seq)")
            }
            #expect(after == after.sorted())

            // Warnings and overtime, in order, with increasing sequence numbers.
            clock.advance(by: 300)  // 5 min left
            try await candidates[0].event("warning", "300")
            clock.advance(by: 240)  // 1 min left
            try await candidates[0].event("warning", "60")
            clock.advance(by: 61)
            try await candidates[0].event("overtime")
            let types = candidates[0].events.map { $0.eventType ?? "" }
            let order = ["timer-started", "phase", "timer-paused", "timer-resumed", "time-adjusted", "warning", "overtime"]
            let indices = order.map { type in types.firstIndex(of: type) ?? -1 }
            #expect(indices == indices.sorted() && !indices.contains(-1), "\(types)")
            let seqs = camille.events.compactMap(\.eventSeq)
            #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)

            // Candidates signal the jury; only the jury sees it.
            try await candidates[0].ok("SIGNAL mspr-a hand")
            try await camille.event("signal", "lea")

            // The outage is in the ledger; the president compensates it.
            let ledger = try await camille.request("OUTAGES mspr-a")
            #expect(ledger.parameters.prefix(3) == ["OUTAGES", "mspr-a", "1"])
            try await camille.ok("OUTAGE-EXTEND mspr-a 1")
            #expect(try await paul.request("OUTAGE-EXTEND mspr-a 1").failureCode == "FORBIDDEN")
            try await camille.ok("DELIBERATE mspr-a")
            try await candidates[0].event("deliberation")

            // Jury-only information never reached a candidate's connection.
            for client in candidates + [hugoAgain] {
                for line in client.lines {
                    let message = try parsed(line)
                    guard message.verb == "EVENT" else { continue }
                    #expect(!["signal", "outage-started", "outage-ended", "outage-compensated"].contains(message.eventType ?? ""), "\(client.name): \(line)")
                    #expect(!(message.eventType == "message" && EventLine(message)?.arguments[1] == "jury"), "\(client.name): \(line)")
                }
            }
            for client in everyone + [admin, hugoAgain] { await client.close() }
        }
    }

    @Test func roomsAreInvisibleToOutsiders() async throws {
        try await withServer { server in
            let tokens = try await server.makeUsers(["lea", "zoe"], role: .candidate)
            _ = try await server.makeUsers(["camille", "paul"], role: .juror)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 individual start=2026-12-01T09:00:00Z candidates=lea jurors=camille,paul president=paul block=A1")
            let zoe = try await RoomClient.connect(server, name: "zoe", token: tokens[1])
            for verb in ["JOIN r1", "TIME r1", "ROOM-SHOW r1", "RESUME r1 0"] {
                let exists = try await zoe.request(verb)
                let missing = try await zoe.request(verb.replacingOccurrences(of: "r1", with: "r404"))
                #expect(exists.failureCode == "NOT_FOUND")
                #expect(exists.parameters.dropFirst(2).map { $0.replacingOccurrences(of: "r1", with: "r404") } == Array(missing.parameters.dropFirst(2)))
            }
            #expect(try await zoe.ok("ROOM-LIST").parameters == ["ROOM-LIST", "0"])
            let lea = try await RoomClient.connect(server, name: "lea", token: tokens[0])
            #expect(try await lea.ok("ROOM-LIST").parameters == ["ROOM-LIST", "1"])
            // Admins observe any room without appearing present.
            try await admin.ok("JOIN r1")
            try await lea.ok("JOIN r1")
            try await admin.event("joined", "lea")
            #expect(!admin.events.contains { $0.eventType == "joined" && EventLine($0)?.arguments.first == "admin" })
            for client in [admin, zoe, lea] { await client.close() }
        }
    }

    @Test func aClosedConnectionIsLostOnlyInTheRoomsItStillHadJoined() async throws {
        try await withServer { server in
            let jurors = try await server.makeUsers(["camille", "paul"], role: .juror)
            _ = try await server.makeUsers(["lea", "zoe", "hugo"], role: .candidate)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 individual start=2026-12-01T09:00:00Z candidates=lea jurors=camille,paul president=paul block=A1")
            try await admin.ok("ROOM-CREATE r2 individual start=2026-12-01T11:00:00Z candidates=zoe jurors=camille,paul president=paul block=A1")
            try await admin.ok("ROOM-CREATE r3 individual start=2026-12-01T14:00:00Z candidates=hugo jurors=camille,paul president=paul block=A1")
            // One connection of Camille's in three rooms; Paul watches all three.
            let camille = try await RoomClient.connect(server, name: "camille", token: jurors[0])
            let paul = try await RoomClient.connect(server, name: "paul", token: jurors[1])
            for room in ["r1", "r2", "r3"] {
                try await paul.ok("JOIN \(room)")
                try await camille.ok("JOIN \(room)")
                try await paul.waitFor("camille joined \(room)") { $0.eventType == "joined" && EventLine($0)?.room == room }
            }
            try await camille.ok("LEAVE r2")
            try await paul.waitFor("camille left r2") { $0.eventType == "left" && EventLine($0)?.room == "r2" }
            await camille.close()
            for room in ["r1", "r3"] {
                try await paul.waitFor("camille lost in \(room)") { $0.eventType == "connection-lost" && EventLine($0)?.room == room }
            }
            // A later event of r2 arrives after anything the close could have caused there.
            try await paul.ok("SAY r2 jury :encore là")
            try await paul.waitFor("the message in r2") { $0.eventType == "message" && EventLine($0)?.room == "r2" }
            let lost = paul.events.filter { $0.eventType == "connection-lost" }.compactMap { EventLine($0)?.room }
            #expect(lost == ["r1", "r3"], "r2 was left before the close: \(lost)")
            // The room Camille left takes her back on a new connection, and she is lost there when it closes.
            let again = try await RoomClient.connect(server, name: "camille2", token: jurors[0])
            try await again.ok("JOIN r2")
            await again.close()
            try await paul.waitFor("camille lost in r2") { $0.eventType == "connection-lost" && EventLine($0)?.room == "r2" }
            for client in [admin, paul] { await client.close() }
        }
    }

    @Test func aClientTooFarBehindGetsASnapshot() async throws {
        let clock = ManualServerClock(start: Self.start)
        try await withServer({ $0.clock = clock; $0.resumeWindow = 3 }) { server in
            let tokens = try await server.makeUsers(["camille", "paul"], role: .juror)
            _ = try await server.makeUsers(["lea"], role: .candidate)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T09:00:00Z candidates=lea jurors=camille,paul president=paul block=A2")
            let camille = try await RoomClient.connect(server, name: "camille", token: tokens[0])
            try await camille.ok("JOIN r1")
            for index in 1...5 { try await camille.ok("SAY r1 room :message \(index)") }
            let late = try await RoomClient.connect(server, name: "paul", token: tokens[1])
            let reply = try await late.ok("RESUME r1 1")
            #expect(reply.parameters.last == "snapshot")
            #expect(late.lines.contains { $0.hasPrefix("SNAPSHOT r1 ") })
            let close = try await RoomClient.connect(server, name: "paul2", token: tokens[1])
            let replay = try await close.ok("RESUME r1 6")
            #expect(replay.parameters.last == "replayed=3", "two messages and Paul's own arrival")
            for client in [admin, camille, late, close] { await client.close() }
        }
    }

    @Test func aJurorsResumeReplaysTheJurysMessagesAndACandidatesOnlyItsOwnEvents() async throws {
        try await withServer { server in
            let tokens = try await server.makeUsers(["camille", "paul"], role: .juror)
            let leaToken = try await server.makeUser("lea", role: .candidate)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T09:00:00Z candidates=lea jurors=camille,paul president=paul block=A2")
            let camille = try await RoomClient.connect(server, name: "camille", token: tokens[0])
            let joined = try await camille.ok("JOIN r1")
            // `OK JOIN r1 <n>`: n is Camille's own arrival.
            let from = try #require(joined.okArguments.flatMap { Int($0[1]) })
            for index in 1...3 { try await camille.ok("SAY r1 jury :entre nous \(index)") }
            try await camille.ok("SAY r1 room :pour tous")
            try await camille.ok("SAY r1 jury :entre nous 4")
            // Paul (a juror) missed all five messages; Léa (a candidate) may see one of them.
            let paul = try await RoomClient.connect(server, name: "paul", token: tokens[1])
            #expect(try await paul.ok("RESUME r1 \(from)").parameters.last == "replayed=5", "five messages (his own arrival follows, live)")
            #expect(paul.events.filter { $0.eventType == "message" }.map { $0.parameters.last } == [
                "entre nous 1", "entre nous 2", "entre nous 3", "pour tous", "entre nous 4",
            ])
            let lea = try await RoomClient.connect(server, name: "lea", token: leaToken)
            #expect(try await lea.ok("RESUME r1 \(from)").parameters.last == "replayed=2", "the room's message and Paul's arrival")
            #expect(lea.events.compactMap { $0.eventType } == ["message", "joined", "joined"])
            #expect(lea.events.filter { $0.eventType == "message" }.map { $0.parameters.last } == ["pour tous"])
            for client in [admin, camille, paul, lea] { await client.close() }
        }
    }
}

@Suite struct SlowConsumerTests {
    @Test func aStalledClientIsDisconnectedWithoutDelayingTheRoom() async throws {
        try await withServer({ $0.outboundQueueLimit = 16; $0.linesPerSecond = 100_000 }) { server in
            let tokens = try await server.makeUsers(["camille", "paul"], role: .juror)
            let leaToken = try await server.makeUser("lea", role: .candidate)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=camille block=A1")
            let lea = RoomClient(
                name: "lea",
                connection: try await LineConnection.connect(host: "127.0.0.1", port: server.port, tls: server.tls, receiveBufferBytes: 4096)
            )
            _ = try await lea.waitFor("greeting") { $0.verb == "HELLO" }
            try await lea.ok("AUTH \(leaToken)")
            try await lea.ok("JOIN r1")
            let camille = try await RoomClient.connect(server, name: "camille", token: tokens[0])
            try await camille.ok("JOIN r1")
            try await lea.connection.pauseReading()

            let text = String(repeating: "Les échanges continuent. ", count: 38)
            let started = ContinuousClock.now
            var sent = 0
            // Bounded by messages (20 MB) rather than by time: filling the socket buffers takes a few thousand
            // messages, which a machine loaded by other work may need more than 30 s to send.
            while !camille.messages.suffix(4).contains(where: { $0.eventType == "connection-lost" }), sent < 20_000,
                ContinuousClock.now - started < .seconds(120)
            {
                try await camille.ok("SAY r1 room :\(text)")
                sent += 1
            }
            #expect(camille.events.contains { $0.eventType == "connection-lost" && EventLine($0)?.arguments.first == "lea" }, "after \(sent) messages")
            // The room went on: the sender got every acknowledgement, and another juror can still act at once.
            let paul = try await RoomClient.connect(server, name: "paul", token: tokens[1])
            try await paul.ok("JOIN r1")
            try await paul.ok("SAY r1 jury :toujours là")
            for client in [admin, camille, paul] { await client.close() }
            await lea.close()
        }
    }
}
