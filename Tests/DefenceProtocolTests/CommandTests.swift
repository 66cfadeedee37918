import DefenceProtocol
import Testing

@Suite struct CommandTests {
    func decode(_ line: String) throws -> Command {
        let message = try #require(try LineParser().parse(line))
        return try Command(message)
    }

    func error(_ line: String) -> WireError? {
        do {
            guard let message = try LineParser().parse(line) else { return nil }
            _ = try Command(message)
            return nil
        } catch {
            return error
        }
    }

    static let examples: [Command] = [
        .hello(version: "defence/1"),
        .auth(token: "drt_abc"),
        .ping(token: nil),
        .ping(token: "t1"),
        .acknowledge(room: "r1", candidate: "lea"),
        .history(room: "r1", limit: nil),
        .history(room: "r1", limit: 50),
        .signal(room: "r1", kind: .lower),
        .pong(token: "s1"),
        .quit,
        .whoami,
        .userCreate(user: "camille", role: "juror", email: nil, displayName: "Camille Martin"),
        .userCreate(user: "camille", role: "juror", email: "c@example.org", displayName: "Camille"),
        .userCreate(user: "lea", role: "candidate", email: nil, fields: AccountFields(track: "dev", number: "2026-0042", legalName: "DUPONT Léa Marie"), displayName: "Léa"),
        .userCreate(user: "paul", role: "juror", email: nil, fields: AccountFields(capacity: "Architecte SI, société X"), displayName: "Paul"),
        .userUpdate(user: "lea", changes: AccountChanges(track: .set("infra"), number: .clear, legalName: .set("DUPONT Léa"), email: .clear)),
        .userUpdate(user: "lea", changes: AccountChanges(displayName: "Léa D.")),
        .userUpdate(user: "paul", changes: AccountChanges(capacity: .set("Back\\slash; and space"))),
        .userList(role: nil, state: nil),
        .userList(role: "juror", state: "active"),
        .userDisable(user: "bob", reason: nil),
        .userDisable(user: "bob", reason: "left the jury"),
        .userEnable(user: "bob"),
        .tokenIssue(user: "bob", expiry: nil, label: nil),
        .tokenIssue(user: "bob", expiry: .after(seconds: 3600), label: "day1"),
        .tokenIssue(user: "bob", expiry: .at("2026-12-01T18:00:00Z"), label: nil),
        .tokenList(user: nil),
        .tokenList(user: "bob"),
        .tokenRevoke(id: 12),
        .referential(ref: nil),
        .referential(ref: "9caca729"),
        .blockList(ref: nil),
        .competenceList(block: nil, epreuve: nil, ref: nil),
        .competenceList(block: "A1", epreuve: 2, ref: "9caca729"),
        .competenceShow(code: "A1C2", ref: nil),
        .competenceShow(code: "A1C2", ref: "9caca7296747"),
        .roomCreate(room: "r1", kind: "team", options: ["start": "2026-12-01T09:00:00Z", "candidates": "a,b", "jurors": "x,y", "president": "x"], title: "Salle A"),
        .roomCreate(room: "r1", kind: "individual", options: ["start": "2026-12-01T09:00:00Z", "candidates": "a", "jurors": "x,y", "president": "x", "block": "A1"], title: nil),
        .roomUpdate(room: "r1", options: ["phases": "presentation:15,questions:15"], title: nil),
        .roomUpdate(room: "r1", options: [:], title: "Nouvelle salle"),
        .roomCancel(room: "r1", reason: nil),
        .roomCancel(room: "r1", reason: "jury absent"),
        .roomList(day: "2026-12-01", state: "running"),
        .roomList(day: nil, state: nil),
        .roomShow(room: "r1"),
        .dayImport(lines: 12),
        .join(room: "r1"),
        .leave(room: "r1"),
        .resume(room: "r1", lastSeq: 0),
        .resume(room: "r1", lastSeq: 42),
        .time(room: "r1"),
        .timerStart(room: "r1"),
        .timerPause(room: "r1", reason: nil),
        .timerPause(room: "r1", reason: "coupure son"),
        .timerResume(room: "r1"),
        .timerAdjust(room: "r1", seconds: 120, reason: nil),
        .timerAdjust(room: "r1", seconds: -60, reason: "retard"),
        .say(room: "r1", audience: .room, text: "Bonjour à tous"),
        .say(room: "r1", audience: .jury, text: "ok"),
        .signal(room: "r1", kind: .ready),
        .signal(room: "r1", kind: .hand),
        .outages(room: "r1"),
        .outageExtend(room: "r1", outage: 2),
        .deliberate(room: "r1"),
        .mark(room: "r1", candidate: "lea", criterion: "A1C1.2", mark: .met, comment: nil),
        .mark(room: "r1", candidate: "lea", criterion: "A1C1.2", mark: .partlyMet, comment: "sources peu variées"),
        .mark(room: "r1", candidate: "lea", criterion: "A1C1.2", mark: nil, comment: nil),
        .propose(room: "r1", candidate: "lea", competence: "A1C1", decision: .acquis, comment: nil),
        .propose(room: "r1", candidate: "lea", competence: "A1C1", decision: nil, comment: nil),
        .submit(room: "r1"),
        .progress(room: "r1"),
        .disagreements(room: "r1"),
        .decide(room: "r1", candidate: "lea", competence: "A1C1", decision: .nonAcquis, comment: "veille absente"),
        .sign(room: "r1"),
        .reopen(room: "r1", reason: "erreur de saisie"),
        .results(room: "r1", day: nil),
        .results(room: nil, day: "2026-12-01"),
        .pv(room: "r1", format: nil),
        .pv(room: "r1", format: "html"),
        .audit(room: nil),
        .outcome(candidate: "lea"),
        .transcript(candidate: "lea", format: nil, lang: nil),
        .transcript(candidate: "lea", format: "html", lang: "en"),
        .pv(room: "r1", format: "markdown", lang: "en"),
        .evidence(room: "r1", candidate: "lea", part: .test, text: "12/20, solide sur SQL"),
        .observations(room: "r1", text: "Équipe soudée"),
        .outageDecline(room: "r1", outage: 2, reason: "coupure brève"),
        .restart(room: "r1", reason: "micro du jury hors service"),
        .postpone(room: "r1", reason: "candidate souffrante"),
        .outcomes(day: nil, track: nil, state: nil),
        .outcomes(day: "2026-12-01", track: "dev", state: "certified"),
        .audit(room: "r1"),
    ]

    @Test(arguments: examples)
    func encodeThenDecode(_ command: Command) throws {
        let line = command.message(id: "r1").serialized
        #expect(try decode(line) == command, "\(line)")
    }

    @Test func everyVerbHasAnExample() {
        #expect(Set(Self.examples.map(\.verb)) == Set(Verb.allCases))
    }

    @Test func unknownVerb() {
        let failure = error("@id=3 FROBNICATE x")
        #expect(failure?.code == .unknownVerb)
        #expect(failure?.verb == "FROBNICATE")
        #expect(failure?.requestID == "3")
    }

    @Test(arguments: [
        "HELLO", "AUTH", "PONG", "USER-CREATE", "USER-CREATE alice", "USER-CREATE alice juror",
        "USER-DISABLE", "USER-ENABLE", "TOKEN-ISSUE", "TOKEN-REVOKE", "COMPETENCE-SHOW", "ROOM-CREATE r1",
        "ROOM-UPDATE", "ROOM-CANCEL", "ROOM-SHOW", "DAY-IMPORT", "JOIN", "RESUME r1", "TIME", "TIMER-ADJUST r1",
        "SAY r1", "SAY r1 room", "SIGNAL r1", "OUTAGE-EXTEND r1", "DELIBERATE", "MARK r1 lea A1C1.1", "PROPOSE r1 lea A1C1",
        "DECIDE r1 lea A1C1", "REOPEN r1", "PV", "SAY r1 room :", "USER-CREATE alice juror :", "RESTART r1 :",
    ])
    func missingArguments(_ line: String) {
        let failure = error(line)
        #expect(failure?.code == .badArguments, "\(line)")
        #expect(failure?.text.contains("usage:") == true)
    }

    @Test(arguments: [
        "HELLO defence/1 extra", "AUTH tok extra", "PING a b", "PONG a b", "QUIT now", "WHOAMI me",
        "USER-CREATE alice juror nickname=al :Alice", "USER-LIST juror", "USER-LIST role=juror role=admin",
        "USER-ENABLE a b", "TOKEN-ISSUE bob forever", "TOKEN-ISSUE bob ttl=1 expires=2026-12-01T00:00:00Z",
        "TOKEN-LIST a b", "TOKEN-REVOKE 1 2", "REFERENTIAL x", "BLOCK-LIST A1", "COMPETENCE-LIST A1",
        "COMPETENCE-LIST epreuve=0", "COMPETENCE-SHOW A1C1 A1C2", "COMPETENCE-SHOW A1C1 block=A1",
        "ROOM-CREATE r1 team colour=red", "ROOM-UPDATE r1", "ROOM-LIST r1", "DAY-IMPORT 0", "DAY-IMPORT 5001",
        "DAY-IMPORT many", "RESUME r1 -1", "RESUME r1 x", "TIMER-ADJUST r1 0", "TIMER-ADJUST r1 2min",
        "TIMER-ADJUST r1 60", "TIMER-ADJUST r1 +-5", "TIMER-ADJUST r1 ++5", "TIMER-ADJUST r1 +0", "TIMER-ADJUST r1 -",
        "SAY r1 everyone :hello", "SIGNAL r1 wave", "OUTAGE-EXTEND r1 0", "JOIN r1 r2", "TIME r1 now",
        "MARK r1 lea A1C1.1 good", "DECIDE r1 lea A1C1 clear", "PROPOSE r1 lea A1C1 maybe", "PV r1 format=pdf",
        "RESULTS r1", "SIGN r1 now",
    ])
    func extraOrUnknownArguments(_ line: String) {
        #expect(error(line)?.code == .badArguments, "\(line)")
    }

    /// Text values of the certification fields travel escaped as tag values (§3), and `-` clears a field.
    @Test func certificationFieldsTravelAsEscapedOptions() throws {
        let created = try decode("USER-CREATE lea candidate track=dev number=2026-0042 legal-name=DUPONT\\sLéa :Léa Dupont")
        #expect(created == .userCreate(user: "lea", role: "candidate", email: nil, fields: AccountFields(track: "dev", number: "2026-0042", legalName: "DUPONT Léa"), displayName: "Léa Dupont"))
        #expect(Command.userCreate(user: "lea", role: "candidate", email: nil, fields: AccountFields(legalName: "A B"), displayName: "x").message().serialized
            == "USER-CREATE lea candidate legal-name=A\\sB :x")
        #expect(try decode("USER-UPDATE lea email=- number=7") == .userUpdate(user: "lea", changes: AccountChanges(number: .set("7"), email: .clear)))
        #expect(error("USER-UPDATE lea")?.text.contains("nothing to change") == true)
        #expect(error("USER-UPDATE lea colour=blue")?.code == .badArguments)
    }

    @Test(arguments: ["TOKEN-REVOKE x", "TOKEN-REVOKE -1", "TOKEN-REVOKE 0", "TOKEN-ISSUE bob ttl=0", "TOKEN-ISSUE bob ttl=ten", "TOKEN-ISSUE bob label="])
    func malformedNumbersAndEmptyOptions(_ line: String) {
        #expect(error(line)?.code == .badArguments, "\(line)")
    }

    /// Free text is the parameter after `:`, or one last word without `=`: words are never joined, and an option is
    /// never taken for a text (`USER-CREATE bob candidate email=b@x.org` once created a user named "email=b@x.org").
    @Test func freeTextIsNeverJoinedFromWords() throws {
        #expect(error("USER-CREATE bob candidate email=b@x.org")?.text.contains("missing display name") == true)
        #expect(try decode("USER-CREATE bob candidate email=b@x.org Bob") == .userCreate(user: "bob", role: "candidate", email: "b@x.org", displayName: "Bob"))
        #expect(error("SAY r1 room hello world")?.code == .badArguments)
        #expect(error("SAY r1 room hello world")?.text.contains("must follow ':'") == true)
        #expect(try decode("SAY r1 room hello") == .say(room: "r1", audience: .room, text: "hello"))
        #expect(try decode("SAY r1 room :hello  world") == .say(room: "r1", audience: .room, text: "hello  world"))
        #expect(error("TIMER-PAUSE r1 extra :reason")?.code == .badArguments)
        #expect(error("TIMER-PAUSE r1 a=b")?.code == .badArguments)
        #expect(try decode("TIMER-PAUSE r1 :") == .timerPause(room: "r1", reason: nil))
        #expect(error("REOPEN r1 :")?.text.contains("a reason is required") == true)
        // Titles follow the same rule; a number of seconds too large for a clock is the room's to refuse (INVALID).
        #expect(try decode("ROOM-UPDATE r1 Salle") == .roomUpdate(room: "r1", options: [:], title: "Salle"))
        #expect(try decode("ROOM-UPDATE r1 warnings=60 :Salle B") == .roomUpdate(room: "r1", options: ["warnings": "60"], title: "Salle B"))
        #expect(try decode("TIMER-ADJUST r1 +99999999999999999999") == .timerAdjust(room: "r1", seconds: Int.max, reason: nil))
    }

    @Test func textWithSpacesIsOneArgument() throws {
        #expect(error("AUTH :two words")?.code == .badArguments)
    }

    /// Every word of the vocabulary reaches the command as its typed value, and back to the same word.
    @Test func everyVocabularyWordIsTyped() throws {
        for mark in Mark.allCases.map(Optional.some) + [nil] {
            let command = Command.mark(room: "r1", candidate: "lea", criterion: "A1C1.1", mark: mark, comment: nil)
            #expect(command.message(id: nil).serialized == "MARK r1 lea A1C1.1 \(mark?.rawValue ?? "clear")")
            #expect(try decode(command.message(id: nil).serialized) == command)
        }
        for decision in Decision.allCases {
            let propose = Command.propose(room: "r1", candidate: "lea", competence: "A1C1", decision: decision, comment: "c")
            let decide = Command.decide(room: "r1", candidate: "lea", competence: "A1C1", decision: decision, comment: nil)
            #expect(try decode(propose.message(id: nil).serialized) == propose)
            #expect(try decode(decide.message(id: nil).serialized) == decide)
        }
        #expect(try decode("PROPOSE r1 lea A1C1 clear") == .propose(room: "r1", candidate: "lea", competence: "A1C1", decision: nil, comment: nil))
        for audience in Audience.allCases {
            #expect(try decode("SAY r1 \(audience.rawValue) :x") == .say(room: "r1", audience: audience, text: "x"))
        }
        for kind in SignalKind.allCases {
            #expect(try decode("SIGNAL r1 \(kind.rawValue)") == .signal(room: "r1", kind: kind))
        }
        #expect(error("SAY r1 Room :x")?.text.contains("audience is room or jury") == true)
        #expect(error("MARK r1 lea A1C1.1 good")?.text.contains("mark is met, partly-met, not-met or clear") == true)
    }

    @Test func usageNamesTheVerb() {
        for verb in Verb.allCases {
            #expect(verb.usage.hasPrefix(verb.rawValue))
        }
    }
}
