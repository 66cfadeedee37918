import DefenceConsole
import DefenceProtocol
import Foundation
import Testing

func line(_ text: String) -> Message {
    try! LineParser(limits: .serverLines).parse(text)!
}

@Suite struct RoomViewTests {
    @Test func foldsSnapshotAndEvents() {
        var view = RoomView(room: "r1")
        view.apply(line("SNAPSHOT r1 3 2026-12-01T08:00:00.000Z open phase=0 phase-name=presentation remaining-ms=1800000 overtime=no present=lea :Salle A"))
        #expect(view.state == "open" && view.present == ["lea"] && view.title == "Salle A")
        #expect(view.remaining(serverNow: Date()) == 1800)
        view.apply(line("EVENT r1 4 2026-12-01T08:00:00.000Z joined camille juror"))
        view.apply(line("EVENT r1 5 2026-12-01T08:00:00.000Z timer-started by=camille ends-at=2026-12-01T08:30:00.000Z"))
        let t = WireTime.parse("2026-12-01T08:10:00.000Z")!
        #expect(view.state == "running")
        #expect(view.remaining(serverNow: t) == 1200)
        view.apply(line("EVENT r1 6 2026-12-01T08:10:00.000Z timer-paused by=paul remaining-ms=1200000 :son"))
        #expect(view.state == "paused" && view.remaining(serverNow: t.addingTimeInterval(300)) == 1200)
        view.apply(line("EVENT r1 7 2026-12-01T08:11:00.000Z message camille room :Bonjour"))
        view.apply(line("EVENT r1 8 2026-12-01T08:11:00.000Z mark camille lea A1C1.1 met"))
        view.apply(line("EVENT r1 9 2026-12-01T08:11:00.000Z connection-lost lea candidate"))
        #expect(view.notes.map(\.text) == ["Bonjour"])
        #expect(view.marks["camille"]?["lea A1C1.1"] == "met")
        #expect(view.present == ["camille"])
        #expect(view.lastSeq == 9)
        view.apply(line("EVENT r2 10 2026-12-01T08:11:00.000Z opened"))
        #expect(view.lastSeq == 9, "other rooms' lines are ignored")
        // The plan's line says the state before any snapshot: what a console checks on start (a signed room's outbox).
        var signed = RoomView(room: "r3")
        signed.applyPlan(RoomLine(line("ROOM r3 signed team 2026-12-01T08:00:00.000Z 2026-12-01T08:30:00.000Z candidates=lea jurors=camille,paul president=camille"))!)
        #expect(signed.state == "signed")
    }
}

@Suite struct NarratorTests {
    @Test func sentencesInBothLanguages() {
        let event = line("EVENT r1 12 2026-12-01T08:25:00.000Z warning 300")
        #expect(Narrator(language: .fr).sentence(event) == "[08:25:00] #12 Attention : plus que 5 min.")
        #expect(Narrator(language: .en).sentence(event) == "[08:25:00] #12 Warning: 5 min left.")
        let message = line("EVENT r1 13 2026-12-01T08:25:01.000Z message camille room :Encore cinq minutes")
        #expect(Narrator(language: .fr).sentence(message) == "[08:25:01] #13 camille : Encore cinq minutes")
        #expect(Narrator(language: .en).sentence(line("EVENT r1 14 2026-12-01T08:30:00.000Z overtime")) == "[08:30:00] #14 Time is up: overtime.")
        #expect(Narrator.clock(754) == "12:34")
        #expect(Narrator.clock(-61) == "-01:01")
    }

    @Test func languageFromOptionOrLocale() {
        #expect(Language.resolve("en", environment: ["LANG": "fr_FR.UTF-8"]) == .en)
        #expect(Language.resolve(nil, environment: ["LANG": "en_GB.UTF-8"]) == .en)
        #expect(Language.resolve(nil, environment: ["LC_ALL": "fr_FR", "LANG": "en_US"]) == .fr)
        #expect(Language.resolve(nil, environment: [:]) == .fr)
    }
}

@Suite struct ConsoleInputTests {
    @Test func typedLinesBecomeCommands() {
        func parse(_ text: String) -> ConsoleInput.Action { ConsoleInput.parse(text, room: "r1", language: .en) }
        #expect(parse("start") == .send(.timerStart(room: "r1")))
        #expect(parse("pause sound cut") == .send(.timerPause(room: "r1", reason: "sound cut")))
        #expect(parse("+60 late start") == .send(.timerAdjust(room: "r1", seconds: 60, reason: "late start")))
        #expect(parse("-30") == .send(.timerAdjust(room: "r1", seconds: -30, reason: nil)))
        #expect(parse("jury il lit ses notes") == .send(.say(room: "r1", audience: .jury, text: "il lit ses notes")))
        #expect(parse("hand") == .send(.signal(room: "r1", kind: .hand)))
        #expect(parse("mark lea A1C1.2 met très clair") == .send(.mark(room: "r1", candidate: "lea", criterion: "A1C1.2", mark: .met, comment: "très clair")))
        #expect(parse("decide lea A1C1 acquis") == .send(.decide(room: "r1", candidate: "lea", competence: "A1C1", decision: .acquis, comment: nil)))
        #expect(parse("   ") == .nothing)
        #expect(parse("quit") == .quit)
        if case .problem(let text) = parse("mark lea") { #expect(text.hasPrefix("Usage: mark")) } else { Issue.record("expected a problem") }
        if case .problem(let text) = parse("dance") { #expect(text.contains("dance")) } else { Issue.record("expected a problem") }
    }

    /// The president's decisions and the MSPR's written parts, typed in the plain console.
    @Test func presidentDecisionsAndEvidenceAreTyped() {
        func parse(_ text: String, _ language: Language = .en) -> ConsoleInput.Action { ConsoleInput.parse(text, room: "r1", language: language) }
        #expect(parse("decline 2 coupure brève") == .send(.outageDecline(room: "r1", outage: 2, reason: "coupure brève")))
        #expect(parse("restart micro du jury") == .send(.restart(room: "r1", reason: "micro du jury")))
        #expect(parse("postpone panne générale") == .send(.postpone(room: "r1", reason: "panne générale")))
        #expect(parse("observations Équipe soudée") == .send(.observations(room: "r1", text: "Équipe soudée")))
        #expect(parse("evidence lea test 14/20 solide") == .send(.evidence(room: "r1", candidate: "lea", part: .test, text: "14/20 solide")))
        #expect(parse("lower") == .send(.signal(room: "r1", kind: .lower)))
        #expect(parse("seen lea") == .send(.acknowledge(room: "r1", candidate: "lea")))
        #expect(parse("history") == .send(.history(room: "r1", limit: nil)) && parse("history 20") == .send(.history(room: "r1", limit: 20)))
        for typed in ["seen", "history 0", "history x", "decline", "decline 2", "decline x why", "restart", "postpone", "observations", "evidence lea", "evidence lea oral bien"] {
            if case .problem(let text) = parse(typed) { #expect(text.hasPrefix("Usage: "), "\(typed)") } else { Issue.record("expected a usage for \(typed)") }
        }
        if case .problem(let text) = parse("restart", .fr) { #expect(text == "Usage : restart <motif>") } else { Issue.record("expected a usage") }
        // The help speaks the console's language, arguments included.
        let english = ConsoleInput.help(.en).joined(separator: "\n")
        #expect(english.contains("pause [reason]") && english.contains("say <text>") && english.contains("decline <n°> <reason>"))
        #expect(!english.contains("motif") && !english.contains("texte"))
        #expect(ConsoleInput.help(.fr).joined(separator: "\n").contains("restart <motif> | postpone <motif>"))
    }

    /// Whatever a person types is a command or a usage line, never a crash (`extend` followed by 98 words trapped).
    @Test func anyTypedLineIsACommandOrAUsage() {
        func parse(_ text: String) -> ConsoleInput.Action { ConsoleInput.parse(text, room: "r1", language: .en) }
        #expect(parse("extend 3") == .send(.outageExtend(room: "r1", outage: 3)))
        for line in ["extend", "extend x", "extend " + Array(repeating: "x", count: 120).joined(separator: " "), "extend 3 4", "say", "jury"] {
            if case .problem(let text) = parse(line) { #expect(text.hasPrefix("Usage: "), "\(line.prefix(20))") } else { Issue.record("expected a usage for \(line.prefix(20))") }
        }
        var random = SystemRandomNumberGenerator()
        let words = ["extend", "mark", "propose", "decide", "say", "jury", "pause", "+60", "-1", "x", "1", "lea", "A1C1.2", "met", "", "é"]
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...130, using: &random)
            _ = parse((0..<count).map { _ in words.randomElement(using: &random) ?? "" }.joined(separator: " "))
        }
    }
}

/// Lines from a server are untrusted: an event or a snapshot short of its arguments, of an unknown type or with a
/// head that is not room, number, time and type is shown with "?" or ignored, never a crash of the console.
@Suite struct ServerLineFuzzTests {
    @Test func shortOrOddLinesNeverCrashTheConsole() throws {
        let types = ["scheduled", "joined", "left", "message", "signal", "mark", "proposal", "decision", "signed", "phase",
                     "warning", "outage-started", "outage-ended", "outage-compensated", "downtime", "time-adjusted", "odd"]
        let words = ["r1", "lea", "jury", "room", "met", "x=y", "ends-at=2026-12-01T08:00:00.000Z", "7", "-1", "", "é"]
        var random = SystemRandomNumberGenerator()
        var view = RoomView(room: "r1")
        for language in [Language.fr, .en] {
            let narrator = Narrator(language: language)
            for _ in 0..<3_000 {
                let head = ["r1", ["1", "9", "x", "-2"].randomElement(using: &random) ?? "1",
                            ["2026-12-01T08:00:00.000Z", "yesterday"].randomElement(using: &random) ?? "", types.randomElement(using: &random) ?? ""]
                let cut = Int.random(in: 0...head.count, using: &random)
                let arguments = (0..<Int.random(in: 0...4, using: &random)).map { _ in words.randomElement(using: &random) ?? "" }
                let verb = ["EVENT", "SNAPSHOT"].randomElement(using: &random) ?? "EVENT"
                let message = Message(verb: verb, parameters: Array(head.prefix(cut)) + arguments, hasText: Bool.random(using: &random))
                view.apply(message)
                _ = narrator.sentence(message)
            }
        }
        #expect(Narrator(language: .en).sentence(Message(verb: "EVENT", parameters: ["r1", "4", "2026-12-01T08:00:00.000Z", "joined"])) == "[08:00:00] #4 joined")
    }
}

@Suite struct RoomBoardTests {
    @Test func oneRowPerRoom() throws {
        var running = RoomView(room: "mspr-a1")
        running.applyPlan(try #require(RoomLine(line("ROOM mspr-a1 scheduled team 2026-12-01T08:00:00.000Z 2026-12-01T08:30:00.000Z candidates=lea,hugo jurors=camille,paul president=camille"))))
        running.apply(line("SNAPSHOT mspr-a1 9 2026-12-01T08:10:00.000Z running phase=0 phase-name=presentation remaining-ms=1200000 ends-at=2026-12-01T08:30:00.000Z overtime=no present=lea,camille"))
        running.apply(line("EVENT mspr-a1 10 2026-12-01T08:10:01.000Z mark camille lea A1C1.1 met"))
        let idle = RoomView(room: "r2")
        let board = RoomBoard.render([running, idle], serverNow: WireTime.parse("2026-12-01T08:15:00.000Z")!, language: .en)
        #expect(board.count == 3)
        #expect(board[0].hasPrefix("room"))
        #expect(board[1].split(separator: " ", omittingEmptySubsequences: true) == ["mspr-a1", "running", "presentation", "15:00", "2/4", "1", "0/2"])
        #expect(board[2].hasPrefix("r2"))
    }
}

@Suite struct ErrorTextTests {
    @Test func refusalsAreExplainedInBothLanguages() {
        #expect(ErrorText.refusal(code: "LOCKED", serverText: "the result is signed", language: .fr)
            == "Refusé (LOCKED) : résultat signé et verrouillé — the result is signed")
        #expect(ErrorText.refusal(code: "FORBIDDEN", serverText: "x", language: .en) == "Refused (FORBIDDEN): not allowed for your role — x")
        #expect(ErrorText.refusal(code: "NEW_CODE", serverText: "y", language: .en) == "Refused (NEW_CODE): y")
        #expect(ErrorText.refusal(code: "NEW_CODE", serverText: "y", language: .fr) == "Refusé (NEW_CODE) : y")
    }
}

/// Every failure code a server of this version can send has its sentence in both languages.
@Suite struct ErrorTextCoverageTests {
    @Test func everyCodeIsExplained() {
        for code in ErrorCode.allCases {
            let french = ErrorText.refusal(code: code.rawValue, serverText: "x", language: .fr)
            #expect(french.contains(" — x"), "no French sentence for \(code.rawValue)")
            #expect(ErrorText.refusal(code: code.rawValue, serverText: "x", language: .en).contains(" — x"), "no English sentence for \(code.rawValue)")
        }
    }
}
