import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
import Foundation
import Testing

/// What a candidate receives of a whole defence (marks, jury messages, signals, signing, a reopening): its own
/// gapless numbering, and nothing that varies with the jury's activity (PROTOCOL.md §4.3). Two rooms run the same
/// defence as the candidate sees it, one with a quiet jury and one with a busy one; the candidate's lines are the same
/// in both, once names are replaced by their places.
@Suite struct CandidateStreamTests {
    /// One room's people: its id, its candidate, its president and its other juror, with their tokens.
    struct Cast {
        let room: String
        let candidate: (id: String, token: String)
        let president: (id: String, token: String)
        let juror: (id: String, token: String)

        /// A line with the room's names replaced by their places.
        func normalised(_ line: String) -> String {
            line.replacingOccurrences(of: room, with: "ROOM").replacingOccurrences(of: candidate.id, with: "CANDIDATE")
                .replacingOccurrences(of: president.id, with: "PRESIDENT").replacingOccurrences(of: juror.id, with: "JUROR")
        }
    }

    /// Runs the defence; returns every line the candidate received, in order, and its events' numbers.
    func defence(_ server: TestServer, _ cast: Cast, busy: Bool) async throws -> (lines: [String], seqs: [Int]) {
        let admin = try await RoomClient.connect(server, name: "admin-\(cast.room)", token: server.adminToken)
        try await admin.ok(
            "ROOM-CREATE \(cast.room) team start=2026-12-01T08:00:00Z candidates=\(cast.candidate.id) jurors=\(cast.president.id),\(cast.juror.id) president=\(cast.president.id) competences=A1C1"
        )
        let candidate = try await RoomClient.connect(server, name: cast.candidate.id, token: cast.candidate.token)
        let president = try await RoomClient.connect(server, name: cast.president.id, token: cast.president.token)
        let juror = try await RoomClient.connect(server, name: cast.juror.id, token: cast.juror.token)
        try await candidate.ok("JOIN \(cast.room)")
        try await president.ok("JOIN \(cast.room)")
        try await juror.ok("JOIN \(cast.room)")
        /// The jury's own work, which the candidate must neither see nor count.
        func juryWork(_ round: Int) async throws {
            guard busy else { return }
            for index in 1...3 {
                try await president.ok("SAY \(cast.room) jury :note \(round).\(index)")
                try await juror.ok("MARK \(cast.room) \(cast.candidate.id) A1C1.\(index) \(index == 2 ? "partly-met" : "met") :vu")
                try await president.ok("MARK \(cast.room) \(cast.candidate.id) A1C1.\(index) met")
            }
            try await juror.ok("PROPOSE \(cast.room) \(cast.candidate.id) A1C1 acquis")
        }
        try await president.ok("TIMER-START \(cast.room)")
        try await juryWork(1)
        try await president.ok("SAY \(cast.room) room :Bonjour, vous pouvez commencer")
        try await candidate.ok("SIGNAL \(cast.room) ready")
        try await juryWork(2)
        try await candidate.ok("SIGNAL \(cast.room) hand")
        try await president.ok("TIMER-ADJUST \(cast.room) +60 :démarrage tardif")
        try await juryWork(3)
        try await president.ok("DELIBERATE \(cast.room)")
        try await juryWork(4)
        try await president.ok("DECIDE \(cast.room) \(cast.candidate.id) A1C1 acquis")
        if busy {
            // A signature, then a change that withdraws it, then the grid signed again.
            try await president.ok("SIGN \(cast.room)")
            try await president.ok("DECIDE \(cast.room) \(cast.candidate.id) A1C1 acquis :ferme")
        }
        try await president.ok("SIGN \(cast.room)")
        try await juror.ok("SIGN \(cast.room)")
        try await president.event("locked")
        try await admin.ok("REOPEN \(cast.room) :erreur de saisie")
        try await juryWork(5)
        try await president.ok("SIGN \(cast.room)")
        try await juror.ok("SIGN \(cast.room)")
        try await president.event("locked")
        // What the candidate asks of the room afterwards, then a resume from its first event.
        try await candidate.ok("TIME \(cast.room)")
        try await candidate.ok("ROOM-SHOW \(cast.room)")
        try await candidate.ok("ROOM-LIST state=deliberation")
        // Refused as in deliberation: a refusal does not tell the room is signed either.
        let refused = try await candidate.request("SIGNAL \(cast.room) hand")
        #expect(refused.serialized.contains("FAIL SIGNAL WRONG_STATE deliberation"), "\(refused.serialized)")
        let seqs = candidate.events.compactMap(\.eventSeq)
        let again = try await RoomClient.connect(server, name: "\(cast.candidate.id)-again", token: cast.candidate.token)
        try await again.ok("RESUME \(cast.room) \(seqs.first ?? 0)")
        for client in [candidate, president, juror, admin, again] { await client.close() }
        let lines = (candidate.lines + ["-- resumed --"] + again.lines)
            .map { line in
                // Times come from the manual clock, the same in both rooms; ids of requests are the client's names.
                cast.normalised(line.replacingOccurrences(of: "@id=\(cast.candidate.id)-again-", with: "@id=A-")
                    .replacingOccurrences(of: "@id=\(cast.candidate.id)-", with: "@id=C-"))
            }
        return (lines, seqs)
    }

    @Test func aCandidateSeesAGaplessStreamThatTheJurysWorkDoesNotChange() async throws {
        let clock = ManualServerClock(start: Date(timeIntervalSince1970: 1_796_112_000))  // 2026-12-01T08:00:00Z
        try await withServer({ $0.clock = clock }) { server in
            let candidates = try await server.makeUsers(["lea", "zoe"], role: .candidate)
            let jurors = try await server.makeUsers(["camille", "paul", "ines", "remi"], role: .juror)
            let quiet = try await defence(
                server, Cast(room: "quiet", candidate: ("lea", candidates[0]), president: ("camille", jurors[0]), juror: ("paul", jurors[1])),
                busy: false
            )
            let busy = try await defence(
                server, Cast(room: "busy", candidate: ("zoe", candidates[1]), president: ("ines", jurors[2]), juror: ("remi", jurors[3])),
                busy: true
            )
            // Its events are numbered 1, 2, 3… from its first (the snapshot on JOIN is event 1, the room's creation).
            #expect(busy.seqs == Array(2...(busy.seqs.count + 1)), "\(busy.seqs)")
            #expect(quiet.seqs == busy.seqs)
            // Line for line the same, replies, snapshot, resume and all: nothing counts or times the jury's work.
            #expect(quiet.lines.count == busy.lines.count)
            for (a, b) in zip(quiet.lines, busy.lines) { #expect(a == b) }
            // The jury's life of the room is not the candidate's: never `signed`, never a reopening or a lock.
            for line in busy.lines {
                #expect(!line.contains(" signed") && !line.contains("reopened") && !line.contains("locked"), "\(line)")
            }
            #expect(busy.lines.contains { $0.hasPrefix("@id=C-") && $0.contains("OK TIME ROOM deliberation") })
        }
    }

    /// A room message of 1,000 four-byte scalars makes an event line longer than a request may be; a candidate's
    /// resume still renumbers it (it read stored lines back with a request's limit, and failed).
    @Test func aCandidatesResumeReplaysAnEventLongerThanARequest() async throws {
        try await withServer { server in
            let room = "salle-" + String(repeating: "a", count: 54)
            let president = "president-" + String(repeating: "p", count: 30)
            let lea = try await server.makeUser("lea", role: .candidate)
            let jurors = try await server.makeUsers([president, "paul"], role: .juror)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE \(room) team start=2026-12-01T08:00:00Z candidates=lea jurors=\(president),paul president=\(president) competences=A1C1")
            let juror = try await RoomClient.connect(server, name: "president", token: jurors[0])
            try await juror.ok("JOIN \(room)")
            try await juror.ok("SAY \(room) jury :avant")
            let text = String(repeating: "😀", count: 1000)
            try await juror.ok("SAY \(room) room :\(text)")
            let candidate = try await RoomClient.connect(server, name: "lea", token: lea)
            let resumed = try await candidate.ok("RESUME \(room) 1")
            #expect(resumed.parameters.last == "replayed=3", "\(resumed.serialized)")
            let message = try #require(candidate.events.first { $0.eventType == "message" })
            // The candidates' numbering: opened 2, the president's arrival 3, the message 4 (the jury's note is not one).
            #expect(message.serialized.utf8.count > 4096 && message.eventSeq == 4, "\(message.eventSeq ?? 0)")
            for client in [admin, juror, candidate] { await client.close() }
        }
    }

    /// Someone taken out of a room by a new plan receives nothing more of it, in either numbering.
    @Test func aParticipantTakenOutOfTheRoomReceivesNothingMore() async throws {
        try await withServer { server in
            let candidates = try await server.makeUsers(["lea", "hugo"], role: .candidate)
            let jurors = try await server.makeUsers(["camille", "paul"], role: .juror)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea,hugo jurors=camille,paul president=camille competences=A1C1")
            let hugo = try await RoomClient.connect(server, name: "hugo", token: candidates[1])
            try await hugo.ok("JOIN r1")
            try await admin.ok("ROOM-UPDATE r1 candidates=lea")
            let camille = try await RoomClient.connect(server, name: "camille", token: jurors[0])
            try await camille.ok("JOIN r1")
            try await camille.ok("SAY r1 room :bonjour")
            // hugo's next line is the answer to its own request: no event of the room came in between.
            try await hugo.request("WHOAMI")
            #expect(!hugo.events.contains { $0.eventType == "message" || $0.eventType == "joined" && $0.parameters.contains("camille") }, "\(hugo.lines)")
            for client in [admin, hugo, camille] { await client.close() }
        }
    }
}
