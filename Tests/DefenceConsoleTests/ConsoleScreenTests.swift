import DefenceConsole
import DefenceProtocol
import Foundation
import Testing

/// A team room part-way through its questions, as a juror (camille, president) and a candidate (lea) see it.
enum ScreenFixture {
    static let now = WireTime.parse("2026-12-01T08:17:26.000Z")!

    static func view() -> RoomView {
        var view = RoomView(room: "mspr-a1")
        view.applyPlan(RoomLine(line(
            "ROOM mspr-a1 running team 2026-12-01T08:00:00.000Z 2026-12-01T08:30:00.000Z candidates=lea,hugo jurors=camille,paul president=camille epreuve=2 competences=A1C1,A1C2 phases=presentation:1200s,questions:600s warnings=300,60 visibility=live referential=ab seq=9 :MSPR bloc A1"
        ))!)
        view.checklist = [
            RoomView.ChecklistItem(competence: "A1C1", title: "Mettre en place un dispositif de veille technologique en français et en anglais", criteria: [
                ("A1C1.1", "Il identifie des sources d'informations techniques et S.I. pertinentes"),
                ("A1C1.2", "Il préconise une méthodologie de veille (méthode push, méthode pull d’information)"),
                ("A1C1.3", "Il utilise un outil de veille (Feedly, Netvibes, Google Allert,..)"),
                ("A1C1.4", "Il analyse et synthétise les informations collectées tant en langues anglaise qu’en française"),
                ("A1C1.5", "Il rédige et diffuse les informations à valeur ajoutée permettant d’anticiper des technologies innovantes"),
                ("A1C1.6", "Il présente sa veille aux décideurs"),
                ("A1C1.7", "Il mesure l’effet de sa veille"),
            ]),
            RoomView.ChecklistItem(competence: "A1C2", title: "Collecter les besoins des directions métiers", criteria: [
                ("A1C2.1", "Il conduit des entretiens"), ("A1C2.2", "Il formalise les besoins"),
            ]),
        ]
        for text in [
            "SNAPSHOT mspr-a1 20 2026-12-01T08:17:00.000Z running phase=1 phase-name=questions remaining-ms=754000 ends-at=2026-12-01T08:30:00.000Z overtime=no present=lea,hugo,camille,paul :MSPR bloc A1",
            "EVENT mspr-a1 21 2026-12-01T08:17:01.000Z message camille room :Nous passons aux questions.",
            "EVENT mspr-a1 22 2026-12-01T08:17:02.000Z message paul jury :Léa lit ses notes.",
            "EVENT mspr-a1 23 2026-12-01T08:17:03.000Z message camille room :" + String(repeating: "Pouvez-vous détailler votre méthode de veille ? ", count: 6),
            "EVENT mspr-a1 24 2026-12-01T08:17:04.000Z signal hugo hand",
            "EVENT mspr-a1 25 2026-12-01T08:17:05.000Z mark camille lea A1C1.1 met :sources variées et citées",
            "EVENT mspr-a1 26 2026-12-01T08:17:06.000Z mark paul lea A1C1.1 partly-met",
            "EVENT mspr-a1 27 2026-12-01T08:17:07.000Z mark camille lea A1C1.2 not-met",
        ] {
            view.apply(line(text))
        }
        return view
    }

    static func juror(_ language: Language) -> ConsoleModel {
        var model = ConsoleModel(view: view(), me: "camille", role: "juror", language: language)
        model.cursor = ConsoleModel.Cursor(candidate: 0, competence: 0, criterion: 2)
        return model
    }

    static func candidate(_ language: Language) -> ConsoleModel {
        var candidateView = view()
        // A candidate's console never receives the jury's lines.
        candidateView.notes.removeAll { $0.audience == "jury" }
        candidateView.raisedHands = []
        candidateView.marks = [:]
        candidateView.checklist = []
        return ConsoleModel(view: candidateView, me: "lea", role: "candidate", language: language)
    }

    static func context(width: Int, height: Int) -> ScreenContext {
        ScreenContext(now: now, offset: 0, lastSync: now.addingTimeInterval(-3), connected: true, width: width, height: height, color: false)
    }
}

/// The room screen as a value, compared row for row with its golden file in `Fixtures/screens/` (run with
/// `DEFENCE_WRITE_GOLDEN=1` to write them again after a deliberate change, then read the diff).
@Suite struct ConsoleScreenGoldenTests {
    static let sizes = [(80, 24), (100, 30), (60, 16)]

    static func golden(_ name: String, _ rows: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/screens")
        let url = folder.appendingPathComponent(name)
        let text = rows.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["DEFENCE_WRITE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "\(name) differs from its golden file", sourceLocation: sourceLocation)
    }

    @Test(arguments: Language.allCases)
    func theJurorsScreen(_ language: Language) throws {
        for (width, height) in Self.sizes {
            let rows = RoomScreen.render(ScreenFixture.juror(language), ScreenFixture.context(width: width, height: height))
            #expect(rows.count == height)
            #expect(rows.allSatisfy { $0.count <= width }, "\(width)×\(height)")
            try Self.golden("juror-\(language.rawValue)-\(width)x\(height).txt", rows)
        }
    }

    /// README shows the juror's 80×24 screen as the console draws it, word for word.
    @Test func theReadmeShowsTheScreenAsDrawn() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let rows = RoomScreen.render(ScreenFixture.juror(.en), ScreenFixture.context(width: 80, height: 24))
        #expect(readme.contains("```text\n" + rows.joined(separator: "\n") + "\n```"), "README's juror screen is not the one the console draws")
    }

    @Test(arguments: Language.allCases)
    func theCandidatesScreen(_ language: Language) throws {
        for (width, height) in Self.sizes {
            let rows = RoomScreen.render(ScreenFixture.candidate(language), ScreenFixture.context(width: width, height: height))
            #expect(rows.count == height)
            #expect(rows.allSatisfy { $0.count <= width }, "\(width)×\(height)")
            try Self.golden("candidate-\(language.rawValue)-\(width)x\(height).txt", rows)
        }
    }
}

@Suite struct ConsoleScreenTests {
    typealias F = ScreenFixture

    /// At 80×24 the juror sees the cursor, the proposal line, the status and the hint: nothing is off screen.
    @Test func theJurorHasEverythingAt80x24() {
        let rows = RoomScreen.render(F.juror(.en), F.context(width: 80, height: 24))
        #expect(rows.contains { $0.hasPrefix("▶ · ·") && $0.contains("A1C1.3") })
        #expect(rows.contains { $0.hasPrefix("  My proposal: —") })
        #expect(rows.last?.hasPrefix("[?] help [q] quit [1/2/3] mark") == true)
        #expect(rows.contains { $0.contains("⏱ 12:34") }, "a one-line clock leaves room for the checklist")
        #expect(!rows.contains { $0.contains("█████") })
        // The checklist is a viewport: at 60×16 seven criteria do not fit, the cursor stays in sight, and it says so.
        let small = RoomScreen.render(F.juror(.en), F.context(width: 60, height: 16))
        #expect(small.contains { $0.hasPrefix("▶ · ·  A1C1.3") } && small.contains("  ↑ 1 more · ↓ 3 more"))
    }

    @Test func theBigClockWhenThereIsRoom() {
        let tall = RoomScreen.render(F.juror(.fr), F.context(width: 120, height: 40))
        #expect(tall.contains { $0.contains("█████") })
        let candidate = RoomScreen.render(F.candidate(.fr), F.context(width: 80, height: 24))
        #expect(candidate.contains { $0.contains("█████") }, "a candidate has no checklist: the clock is big at 80×24")
    }

    @Test func belowTheMinimumTheScreenAsksForMoreRoom() {
        let rows = RoomScreen.render(F.juror(.en), F.context(width: 59, height: 20))
        #expect(rows.contains("Enlarge it to at least 60×16."))
        #expect(RoomScreen.render(F.juror(.fr), F.context(width: 80, height: 15)).contains("Agrandissez-la à au moins 60×16."))
    }

    /// A long message is wrapped, never cut, and the history scrolls back with PgUp.
    @Test func messagesAreWrappedAndScroll() {
        var model = F.candidate(.fr)
        let rows = RoomScreen.render(model, F.context(width: 80, height: 30))
        let text = rows.joined(separator: " ").split(separator: " ").joined(separator: " ")
        let words = text.components(separatedBy: "Pouvez-vous détailler").count - 1
        #expect(words == 6, "every part of the 300-character message is on screen")
        #expect(!rows.contains { $0.hasSuffix("…") && $0.contains("Pouvez") })
        for index in 0..<30 {
            model.view.apply(line("EVENT mspr-a1 \(40 + index) 2026-12-01T08:18:00.000Z message camille room :message \(index)"))
        }
        let latest = RoomScreen.render(model, F.context(width: 80, height: 24))
        #expect(latest.contains { $0.hasSuffix("camille : message 29") })
        _ = model.handle(.pageUp, at: F.now)
        let back = RoomScreen.render(model, F.context(width: 80, height: 24))
        #expect(!back.contains { $0.hasSuffix("camille : message 29") })
        #expect(back.contains { $0.contains("PgDn") })
        _ = model.handle(.pageDown, at: F.now)
        #expect(RoomScreen.render(model, F.context(width: 80, height: 24)) == latest)
    }

    @Test func aRefusalIsWrappedNotCut() {
        var model = F.juror(.en)
        model.replied(to: .sign(room: "mspr-a1"), refusal: "Refused (INCOMPLETE): decisions are missing — 4 decisions are missing: lea A1C2, hugo A1C1, hugo A1C2 and one more")
        let rows = RoomScreen.render(model, F.context(width: 60, height: 16))
        #expect(rows.contains { $0.hasPrefix("Refused (INCOMPLETE)") })
        #expect(rows.contains { $0.contains("one more") })
    }

    @Test func everySizeFits() {
        for width in stride(from: 60, through: 140, by: 7) {
            for height in stride(from: 16, through: 50, by: 3) {
                for model in [F.juror(.fr), F.candidate(.en)] {
                    let rows = RoomScreen.render(model, F.context(width: width, height: height))
                    #expect(rows.count == height && rows.allSatisfy { $0.count <= width }, "\(width)×\(height)")
                }
            }
        }
    }

    @Test func deliberationIsNotOvertimeForTheCandidate() {
        var model = F.candidate(.en)
        model.view.apply(line("EVENT mspr-a1 60 2026-12-01T08:40:00.000Z overtime"))
        model.view.apply(line("EVENT mspr-a1 61 2026-12-01T08:41:00.000Z deliberation by=camille"))
        let rows = RoomScreen.render(model, F.context(width: 80, height: 24))
        #expect(rows.contains { $0.contains("DELIBERATION — the jury is deliberating") })
        #expect(!rows.contains { $0.contains("OVERTIME") })
    }
}

/// The keys as a pure state machine: what each sequence sends, asks or shows.
@Suite struct ConsoleKeyTests {
    typealias F = ScreenFixture

    /// Tab and ←/→ put the cursor on the first criterion not yet marked.
    @Test func movingLandsOnTheFirstUnassessedCriterion() {
        var model = F.juror(.en)
        _ = model.handle(.tab, at: F.now)
        #expect(model.current?.candidate == "hugo" && model.cursor.criterion == 0)
        _ = model.handle(.tab, at: F.now)
        #expect(model.current?.candidate == "lea" && model.cursor.criterion == 2, "A1C1.1 and A1C1.2 are marked")
        _ = model.handle(.right, at: F.now)
        #expect(model.current?.item.competence == "A1C2" && model.cursor.criterion == 0)
        _ = model.handle(.left, at: F.now)
        #expect(model.cursor.criterion == 2)
    }

    /// `3` then `c` comments the criterion just marked, although the cursor has moved on.
    @Test func commentingAfterMarkingCommentsTheMarkedCriterion() {
        var model = F.juror(.en)
        #expect(model.handle(.character("3"), at: F.now) == [.send(.mark(room: "mspr-a1", candidate: "lea", criterion: "A1C1.3", mark: .notMet, comment: nil))])
        model.view.apply(line("EVENT mspr-a1 30 2026-12-01T08:17:10.000Z mark camille lea A1C1.3 not-met"))
        model.replied(to: .mark(room: "mspr-a1", candidate: "lea", criterion: "A1C1.3", mark: .notMet, comment: nil), refusal: nil)
        #expect(model.currentCriterion == "A1C1.4", "the cursor moved on")
        _ = model.handle(.character("c"), at: F.now)
        #expect(model.prompt?.kind == .comment(candidate: "lea", criterion: "A1C1.3"))
        for character in "pas d’outil" { _ = model.handle(.character(character), at: F.now) }
        #expect(model.handle(.enter, at: F.now) == [.send(.mark(room: "mspr-a1", candidate: "lea", criterion: "A1C1.3", mark: .notMet, comment: "pas d’outil"))])
    }

    /// A comment typed before the mark is kept and goes with the mark: never "mark first" and the text lost.
    @Test func aCommentBeforeTheMarkIsKept() {
        var model = F.juror(.fr)
        _ = model.handle(.character("c"), at: F.now)
        #expect(model.prompt?.kind == .comment(candidate: "lea", criterion: "A1C1.3"))
        for character in "Feedly montré" { _ = model.handle(.character(character), at: F.now) }
        #expect(model.handle(.enter, at: F.now).isEmpty)
        #expect(model.status?.contains("Commentaire gardé") == true)
        #expect(model.handle(.character("1"), at: F.now) == [.send(.mark(room: "mspr-a1", candidate: "lea", criterion: "A1C1.3", mark: .met, comment: "Feedly montré"))])
        #expect(RoomScreen.render(model, F.context(width: 80, height: 24)).contains { $0.hasPrefix("▶ · · …A1C1.3") }, "the pending comment is shown")
    }

    @Test func commentsAreShownAndOpenedInFull() {
        var model = F.juror(.en)
        model.cursor.criterion = 0
        let rows = RoomScreen.render(model, F.context(width: 80, height: 24))
        #expect(rows.contains { $0.hasPrefix("▶ ✔ ◐✎ A1C1.1") })
        #expect(rows.contains { $0.hasPrefix("  ✎ A1C1.1: me — sources variées et citées") })
        _ = model.handle(.character("v"), at: F.now)
        #expect(model.showComment)
    }

    @Test func proposingAcquisWithUnassessedCriteriaAsksFirst() {
        var model = F.juror(.en)
        #expect(model.handle(.character("a"), at: F.now).isEmpty)
        #expect(model.confirmation?.question.hasPrefix("5 criteria of A1C1 not assessed for lea") == true)
        #expect(model.handle(.character("n"), at: F.now).isEmpty && model.status == "Cancelled.")
        _ = model.handle(.character("a"), at: F.now)
        #expect(model.handle(.character("y"), at: F.now) == [.send(.propose(room: "mspr-a1", candidate: "lea", competence: "A1C1", decision: .acquis, comment: nil))])
        // Non acquis needs no question.
        #expect(model.handle(.character("n"), at: F.now) == [.send(.propose(room: "mspr-a1", candidate: "lea", competence: "A1C1", decision: .nonAcquis, comment: nil))])
    }

    /// `d` and `S` are never one key away from an irreversible step.
    @Test func deliberatingAndSigningAreConfirmed() {
        var model = F.juror(.fr)
        #expect(model.handle(.character("d"), at: F.now).isEmpty)
        #expect(model.confirmation?.question == "Terminer la soutenance et délibérer (temps restant 12:34) ? [o/n]")
        #expect(model.handle(.character("o"), at: F.now) == [.send(.deliberate(room: "mspr-a1"))])
        #expect(model.handle(.character("S"), at: F.now).isEmpty)
        #expect(model.handle(.escape, at: F.now).isEmpty && model.confirmation == nil)
        _ = model.handle(.character("S"), at: F.now)
        #expect(model.handle(.character("y"), at: F.now) == [.send(.sign(room: "mspr-a1"))])
    }

    /// A decision that withdraws a signature asks first, and the juror whose signature went is told.
    @Test func aWithdrawnSignatureIsAskedAndAnnounced() {
        var model = F.juror(.en)
        model.view.apply(line("EVENT mspr-a1 40 2026-12-01T08:31:00.000Z deliberation by=camille"))
        model.view.apply(line("EVENT mspr-a1 41 2026-12-01T08:31:01.000Z proposal camille lea A1C1 acquis"))
        model.view.apply(line("EVENT mspr-a1 42 2026-12-01T08:31:02.000Z signed paul abc"))
        #expect(model.handle(.character("D"), at: F.now).isEmpty)
        #expect(model.confirmation?.question == "This decision withdraws the signature of paul. Decide anyway? [y/n]")
        #expect(model.handle(.character("y"), at: F.now) == [.send(.decide(room: "mspr-a1", candidate: "lea", competence: "A1C1", decision: .acquis, comment: nil))])
        var paul = ConsoleModel(view: model.view, me: "paul", role: "juror", language: .en)
        _ = paul.apply(line("EVENT mspr-a1 43 2026-12-01T08:31:03.000Z decision by=camille lea A1C1 acquis"))
        _ = paul.apply(line("EVENT mspr-a1 44 2026-12-01T08:31:03.000Z signature-withdrawn paul"))
        #expect(paul.notice?.hasPrefix("⚠ Your signature was withdrawn") == true)
        #expect(RoomScreen.render(paul, F.context(width: 80, height: 24)).contains { $0.hasPrefix("⚠ Your signature was withdrawn") })
    }

    /// A blind room is finished from the console: `u` submits, and both submissions reload the grids.
    @Test func blindRoomsSubmitAndRevealLive() {
        var model = F.juror(.en)
        model.view.visibility = "blind"
        _ = model.handle(.character("u"), at: F.now)
        #expect(model.handle(.character("y"), at: F.now) == [.send(.submit(room: "mspr-a1"))])
        #expect(model.apply(line("EVENT mspr-a1 50 2026-12-01T08:31:00.000Z grid-submitted camille")).isEmpty)
        #expect(model.apply(line("EVENT mspr-a1 51 2026-12-01T08:31:01.000Z grid-submitted paul")) == [.reloadProgress])
        #expect(RoomScreen.render(model, F.context(width: 80, height: 24)).contains { $0.contains("camille ✔, paul ✔") })
    }

    /// A candidate lowers the hand they raised; a juror acknowledges it and the candidate is told.
    @Test func handsGoUpAndDown() {
        var lea = F.candidate(.en)
        #expect(lea.handle(.character("h"), at: F.now) == [.send(.signal(room: "mspr-a1", kind: .hand))])
        lea.replied(to: .signal(room: "mspr-a1", kind: .hand), refusal: nil)
        #expect(lea.handle(.character("h"), at: F.now) == [.send(.signal(room: "mspr-a1", kind: .lower))])
        _ = lea.apply(line("EVENT mspr-a1 12 2026-12-01T08:20:00.000Z acknowledged camille lea"))
        #expect(!lea.handRaised && lea.notice == "The jury saw your raised hand.")
        var camille = F.juror(.en)
        #expect(camille.handle(.character("k"), at: F.now) == [.send(.acknowledge(room: "mspr-a1", candidate: "hugo"))])
        camille.view.apply(line("EVENT mspr-a1 60 2026-12-01T08:20:00.000Z acknowledged camille hugo"))
        #expect(camille.view.raisedHands.isEmpty)
        camille.view.apply(line("EVENT mspr-a1 61 2026-12-01T08:20:01.000Z signal lea hand"))
        camille.view.apply(line("EVENT mspr-a1 62 2026-12-01T08:20:02.000Z signal lea lower"))
        #expect(camille.view.raisedHands.isEmpty)
    }

    /// A mark typed while the connection is down: the cursor moves on as if taken, the checklist shows it as
    /// pending (◌), and the screen says how many requests wait.
    @Test func pendingMarksAreShownAt80x24() {
        var model = F.juror(.en)
        model.connected = false
        let mark = Command.mark(room: "mspr-a1", candidate: "lea", criterion: "A1C1.3", mark: .met, comment: nil)
        #expect(model.handle(.character("1"), at: F.now) == [.send(mark)])
        model.queued(mark)
        model.queued(.say(room: "mspr-a1", audience: .room, text: "Un instant"))
        #expect(model.currentCriterion == "A1C1.4", "the juror goes on working")
        var context = F.context(width: 80, height: 24)
        context.connected = false
        let rows = RoomScreen.render(model, context)
        #expect(rows.contains { $0.hasPrefix("  ◌ ·  A1C1.3") })
        #expect(rows.contains { $0.hasPrefix("⏳ 2 waiting · ⚠ CONNECTION LOST") })
        #expect(rows.contains { $0.hasPrefix("Waiting (2): sent as soon as the connection is back.") })
        #expect(rows.allSatisfy { RoomScreen.columns($0) <= 80 }, "⏳ takes two columns: no row may wrap")
        #expect(rows.first?.hasSuffix("RUNNING") == true, "the header stays on screen")
        // Refused after the return: the row says so until the criterion is marked again.
        let waiting = model.pending
        model.pending = []
        model.replied(to: mark, refusal: "MARK lea A1C1.3 met — Refused (LOCKED)")
        #expect(RoomScreen.render(model, F.context(width: 80, height: 24)).contains { $0.hasPrefix("  ! ·  A1C1.3") })
        model.pending = waiting
        // Answered: no longer pending.
        model.pending = []
        model.view.apply(line("EVENT mspr-a1 31 2026-12-01T08:17:30.000Z mark camille lea A1C1.3 met"))
        #expect(RoomScreen.render(model, F.context(width: 80, height: 24)).contains { $0.hasPrefix("  ✔ ·  A1C1.3") })
    }

    /// Keys with modifiers arrive as escape sequences read whole: none of their bytes acts (Ctrl+← ends in "D",
    /// which must not decide), and a prompt keeps its text.
    @Test func escapeSequencesAreReadWholeAndIgnored() {
        func key(_ text: String) -> ConsoleKey {
            let bytes = Array(text.utf8)
            return ConsoleKey.escapeSequence(introducer: bytes[0], Array(bytes.dropFirst()))
        }
        #expect(key("[1;5D") == .other && key("[1;2S") == .other && key("[15~") == .other && key("OP") == .other)
        #expect(key("[H") == .home && key("OF") == .end && key("[3~") == .delete)
        #expect(key("[A") == .up && key("OB") == .down && key("[Z") == .backTab && key("[5~") == .pageUp && key("[6~") == .pageDown)
        var model = F.juror(.en)
        _ = model.handle(.character("m"), at: F.now)
        for character in "Bonjour" { _ = model.handle(.character(character), at: F.now) }
        #expect(model.handle(.other, at: F.now).isEmpty && model.handle(.left, at: F.now).isEmpty)
        #expect(model.prompt?.text == "Bonjour", "an unused key neither cancels nor loses the text")
        // The text is edited where the cursor is.
        _ = model.handle(.home, at: F.now)
        _ = model.handle(.character("X"), at: F.now)
        _ = model.handle(.end, at: F.now)
        _ = model.handle(.left, at: F.now)
        _ = model.handle(.backspace, at: F.now)
        _ = model.handle(.delete, at: F.now)
        #expect(model.prompt?.text == "XBonjo" && model.prompt?.cursor == 6)
        #expect(RoomScreen.render(model, F.context(width: 80, height: 24)).contains("Message to the room › XBonjo▏"))
        _ = model.handle(.left, at: F.now)
        #expect(RoomScreen.render(model, F.context(width: 80, height: 24)).contains("Message to the room › XBonj▏o"))
        // A text longer than the row scrolls so that the cursor stays in sight, wherever it is.
        model.prompt?.text = String(repeating: "abcdefghij", count: 20)
        for position in [0, 100, 200] {
            model.prompt?.cursor = position
            let row = RoomScreen.render(model, F.context(width: 60, height: 16)).first { $0.hasPrefix("Message to the room › ") }
            #expect(row?.contains("▏") == true && (row.map { RoomScreen.columns($0) } ?? 99) <= 60, "cursor at \(position): \(row ?? "-")")
        }
        model.prompt?.text = "Bonjour"
        _ = model.handle(.escape, at: F.now)
        #expect(model.handle(.other, at: F.now).isEmpty && model.confirmation == nil)
        _ = model.handle(.backTab, at: F.now)
        #expect(model.current?.candidate == "hugo")
    }

    /// Someone who leaves takes their raised hand and their "ready" with them.
    @Test func handsGoWithThoseWhoLeave() {
        var view = F.view()
        view.apply(line("EVENT mspr-a1 40 2026-12-01T08:20:00.000Z signal lea ready"))
        #expect(view.raisedHands == ["hugo"] && view.ready == ["lea"])
        view.apply(line("EVENT mspr-a1 41 2026-12-01T08:20:01.000Z left hugo candidate"))
        view.apply(line("EVENT mspr-a1 42 2026-12-01T08:20:02.000Z connection-lost lea candidate"))
        #expect(view.raisedHands.isEmpty && view.ready.isEmpty)
    }

    /// `c` comments the criterion just marked only while the cursor has not been moved since.
    @Test func aMovedCursorCommentsWhereItIs() {
        var model = F.juror(.en)
        let mark = Command.mark(room: "mspr-a1", candidate: "lea", criterion: "A1C1.3", mark: .met, comment: nil)
        _ = model.handle(.character("1"), at: F.now)
        model.view.apply(line("EVENT mspr-a1 30 2026-12-01T08:17:10.000Z mark camille lea A1C1.3 met"))
        model.replied(to: mark, refusal: nil)
        _ = model.handle(.down, at: F.now)
        _ = model.handle(.character("c"), at: F.now)
        #expect(model.prompt?.kind == .comment(candidate: "lea", criterion: "A1C1.5"))
    }

    /// Clearing a commented mark clears its comment: it asks first.
    @Test func clearingACommentedMarkAsks() {
        var model = F.juror(.en)
        model.cursor.criterion = 0
        #expect(model.handle(.character("0"), at: F.now).isEmpty)
        #expect(model.confirmation?.question.hasPrefix("Clear the mark of A1C1.1 and its comment") == true)
        #expect(model.handle(.character("y"), at: F.now) == [.send(.mark(room: "mspr-a1", candidate: "lea", criterion: "A1C1.1", mark: nil, comment: nil))])
    }

    /// PgUp stops at the oldest message, so PgDn comes back at once.
    @Test func theHistoryStopsAtItsTop() {
        var model = F.candidate(.en)
        let context = F.context(width: 80, height: 24)
        let limit = RoomScreen.frame(model, context).maxScroll
        #expect(limit == 0, "every message fits")
        for index in 0..<30 { model.view.apply(line("EVENT mspr-a1 \(40 + index) 2026-12-01T08:18:00.000Z message camille room :message \(index)")) }
        let more = RoomScreen.frame(model, context).maxScroll
        #expect(more > 0)
        model.historyScroll = more
        #expect(RoomScreen.render(model, context).contains { $0.contains("Nous passons aux questions") }, "the top is the oldest message")
        model.historyScroll = more + 20
        #expect(RoomScreen.frame(model, context).rows == RoomScreen.render({ var top = model; top.historyScroll = more; return top }(), context), "beyond the top, the same rows")
    }

    @Test func disagreementsAreOnlyWhereTheJurorsDiffer() {
        var view = F.view()
        view.apply(line("EVENT mspr-a1 40 2026-12-01T08:31:00.000Z proposal camille lea A1C1 acquis"))
        view.apply(line("EVENT mspr-a1 41 2026-12-01T08:31:00.000Z proposal paul lea A1C1 non-acquis"))
        view.apply(line("EVENT mspr-a1 42 2026-12-01T08:31:00.000Z proposal camille hugo A1C1 acquis"))
        view.apply(line("EVENT mspr-a1 43 2026-12-01T08:31:00.000Z proposal paul hugo A1C1 acquis"))
        #expect(RoomScreen.disagreements(view) == ["lea A1C1: camille acquis / paul non-acquis"], "agreed, or proposed by nobody: none")
        view.apply(line("EVENT mspr-a1 44 2026-12-01T08:32:00.000Z decision by=camille lea A1C1 acquis"))
        #expect(RoomScreen.disagreements(view).isEmpty, "decided: settled")
    }

    /// A console started after the decisions and signatures sees them (from PROGRESS), not only later ones.
    @Test func decisionsAndSignaturesComeFromProgress() {
        var view = F.view()
        view.applyProgress([
            line("@id=p DECISION lea A1C1 non-acquis by=camille :incomplet"),
            line("@id=p SIGNATURE paul 2026-12-01T08:40:00.000Z abc"),
        ])
        #expect(view.decisions["lea A1C1"] == "non-acquis" && view.signed == ["paul"])
        #expect(RoomScreen.columns("⏳ a") == 4 && RoomScreen.columns("✋") == 2 && RoomScreen.columns("é◌✔") == 3)
    }

    /// A restarted console does not bring back the hand of someone who left since.
    @Test func historyKnowsWhoLeft() {
        var view = RoomView(room: "r1")
        view.applyHistory([
            line("@id=h PAST r1 5 2026-12-01T08:10:00.000Z signal zoe hand"),
            line("@id=h PAST r1 6 2026-12-01T08:10:30.000Z left zoe candidate"),
            line("@id=h PAST r1 7 2026-12-01T08:11:00.000Z signal lea hand"),
        ])
        #expect(view.raisedHands == ["lea"])
    }

    @Test func helpIsBehindTheQuestionMark() {
        var model = F.juror(.en)
        _ = model.handle(.character("?"), at: F.now)
        let rows = RoomScreen.render(model, F.context(width: 80, height: 24))
        #expect(rows.contains { $0.contains("[x] president's decisions") })
        _ = model.handle(.escape, at: F.now)
        #expect(!model.showHelp)
        #expect(model.handle(.character("q"), at: F.now) == [.quit])
    }

    /// HISTORY's lines fill the messages of a console that starts again, each once.
    @Test func historyRestoresMessagesOnce() {
        var view = RoomView(room: "r1")
        view.apply(line("EVENT r1 7 2026-12-01T08:11:00.000Z message camille room :Bonjour"))
        view.applyHistory([
            line("@id=h PAST r1 5 2026-12-01T08:10:00.000Z message camille room :Avant"),
            line("@id=h PAST r1 6 2026-12-01T08:10:30.000Z signal lea hand"),
            line("@id=h PAST r1 7 2026-12-01T08:11:00.000Z message camille room :Bonjour"),
            line("@id=h PAST r2 8 2026-12-01T08:11:00.000Z message camille room :Autre salle"),
        ])
        #expect(view.notes.map(\.text) == ["Avant", "Bonjour"])
        #expect(view.raisedHands == ["lea"])
    }
}
