import DefenceProtocol
import Foundation

/// A key press, as the full-screen console reads it.
public enum ConsoleKey: Equatable, Sendable {
    case character(Character)
    case up, down, left, right, tab, backTab, enter, escape, backspace, pageUp, pageDown, interrupt, home, end, delete
    /// A key the console has no use for (Home, F1, Ctrl+←…): read whole, and ignored.
    case other

    /// The key of an escape sequence `ESC <introducer> <body>` (the body ends with its final byte, 0x40–0x7E);
    /// `.other` for every sequence the console does not use, so that none of its bytes acts as a key.
    public static func escapeSequence(introducer: UInt8, _ body: [UInt8]) -> ConsoleKey {
        let text = String(decoding: body, as: UTF8.self)
        switch (Character(Unicode.Scalar(introducer)), text) {
        case ("[", "A"), ("O", "A"): return .up
        case ("[", "B"), ("O", "B"): return .down
        case ("[", "C"), ("O", "C"): return .right
        case ("[", "D"), ("O", "D"): return .left
        case ("[", "Z"): return .backTab
        case ("[", "5~"): return .pageUp
        case ("[", "6~"): return .pageDown
        case ("[", "H"), ("O", "H"), ("[", "1~"), ("[", "7~"): return .home
        case ("[", "F"), ("O", "F"), ("[", "4~"), ("[", "8~"): return .end
        case ("[", "3~"): return .delete
        default: return .other
        }
    }
}

/// What the console's IO layer must do after a key or a line: the model itself never sends anything.
public enum ConsoleEffect: Equatable, Sendable {
    /// Send this request, then report its answer with ``ConsoleModel/replied(to:refusal:)``.
    case send(Command)
    /// Ask `PROGRESS` again and give it to ``ConsoleModel/applyProgress(_:)`` (both blind grids were submitted).
    case reloadProgress
    /// Leave the console (the session says `QUIT`: a clean leave, not an outage).
    case quit
}

/// The full-screen room console as a pure state machine: what the person sees besides the room (cursor, prompt,
/// confirmation, menus, scrolling, status), changed by keys, by replies and by the room's lines. The IO layer only
/// executes its effects and draws ``RoomScreen/render(_:_:)``.
public struct ConsoleModel: Sendable {
    /// Where the juror's cursor is in the checklist: indices of candidate, competence and criterion.
    public struct Cursor: Equatable, Sendable {
        public var candidate = 0
        public var competence = 0
        public var criterion = 0

        /// Creates a cursor.
        public init(candidate: Int = 0, competence: Int = 0, criterion: Int = 0) {
            self.candidate = candidate
            self.competence = competence
            self.criterion = criterion
        }
    }

    /// What a prompt's text is for.
    public enum PromptKind: Equatable, Sendable {
        case comment(candidate: String, criterion: String)
        case roomMessage, juryMessage, observations, restart, postpone
        case evidence(candidate: String, part: EvidencePart)
        case decline(outage: Int)
    }

    /// A line being typed, with the place the next character goes (in characters from the start).
    public struct Prompt: Equatable, Sendable {
        public var kind: PromptKind
        public var text: String {
            didSet { cursor = min(cursor, text.count) }
        }
        public var cursor: Int

        /// A prompt with `text` already in it, the cursor at its end.
        public init(kind: PromptKind, text: String) {
            self.kind = kind
            self.text = text
            cursor = text.count
        }

        mutating func insert(_ character: Character) {
            let index = text.index(text.startIndex, offsetBy: cursor)
            text.insert(character, at: index)
            cursor += 1
        }

        mutating func deleteBackward() {
            guard cursor > 0 else { return }
            let index = text.index(text.startIndex, offsetBy: cursor - 1)
            text.remove(at: index)
            cursor -= 1
        }

        mutating func deleteForward() {
            guard cursor < text.count else { return }
            text.remove(at: text.index(text.startIndex, offsetBy: cursor))
        }
    }

    /// A question that needs `y` before its request goes out.
    public struct Confirmation: Equatable, Sendable {
        public var question: String
        public var command: Command
    }

    /// The room as the console knows it.
    public var view: RoomView
    /// The person's user id.
    public let me: String
    /// Their account role: `candidate`, `juror` or `admin`.
    public let role: String
    /// The language of everything shown.
    public let language: Language
    /// The checklist cursor (jurors).
    public var cursor = Cursor()
    /// The line being typed, if any.
    public var prompt: Prompt?
    /// The question waiting for `y`, if any.
    public var confirmation: Confirmation?
    /// Whether the president's menu (`x`) waits for its key.
    public var presidentMenu = false
    /// Whether the key help (`?`) is shown.
    public var showHelp = false
    /// How many message rows the history pane is scrolled up from the latest.
    public var historyScroll = 0
    /// The answer to the last request, or a problem, for the status row.
    public var status: String?
    /// Something that happened to the person and must not go unnoticed (a withdrawn signature).
    public var notice: String?
    /// The criterion this juror marked last, which `c` comments.
    public var lastMarked: (candidate: String, criterion: String)?
    /// A comment typed before its criterion was marked: sent with the next mark of that criterion.
    public var pendingComment: (candidate: String, criterion: String, text: String)?
    /// Whether the full comment of the criterion under the cursor is shown (`v`).
    public var showComment = false
    /// A candidate's own raised hand (candidates do not receive the jury's signal events).
    public var handRaised = false
    /// Whether the connection is up (from the session).
    public var connected = true
    /// The requests typed that have no answer yet (the outbox), oldest first: pending marks show as such.
    public var pending: [Command] = []
    /// Marks refused by the server, by "candidate criterion": shown on their row until marked again.
    public var refusedMarks: Set<String> = []

    /// A console for `me` in `view`'s room.
    public init(view: RoomView, me: String, role: String, language: Language) {
        self.view = view
        self.me = me
        self.role = role
        self.language = language
    }

    private var isJuror: Bool { role == "juror" }
    private var isJury: Bool { role != "candidate" }
    private func t(_ fr: String, _ en: String) -> String { language.text(fr, en) }

    // MARK: Where the cursor is

    /// The candidate and checklist item under the cursor.
    public var current: (candidate: String, item: RoomView.ChecklistItem)? {
        guard !view.checklist.isEmpty, !view.candidates.isEmpty else { return nil }
        return (view.candidates[min(cursor.candidate, view.candidates.count - 1)], view.checklist[min(cursor.competence, view.checklist.count - 1)])
    }

    /// The criterion under the cursor.
    public var currentCriterion: String? {
        guard let (_, item) = current, !item.criteria.isEmpty else { return nil }
        return item.criteria[min(cursor.criterion, item.criteria.count - 1)].id
    }

    /// The criteria of the current candidate and competence that this juror has not marked.
    public var unassessed: [String] {
        guard let (candidate, item) = current else { return [] }
        return item.criteria.map(\.id).filter { view.marks[me]?["\(candidate) \($0)"] == nil }
    }

    /// Puts the cursor on the first criterion this juror has not marked (the first one when all are).
    private mutating func toFirstUnassessed() {
        lastMarked = nil
        guard let (candidate, item) = current else { return }
        cursor.criterion = item.criteria.firstIndex { view.marks[me]?["\(candidate) \($0.id)"] == nil } ?? 0
        showComment = false
    }

    // MARK: Keys

    /// Handles one key pressed at `serverNow` (the server's clock, for what a confirmation says); returns what to do.
    public mutating func handle(_ key: ConsoleKey, at serverNow: Date) -> [ConsoleEffect] {
        notice = nil
        if key == .interrupt { return [.quit] }
        if prompt != nil { return handlePrompt(key) }
        if let question = confirmation {
            confirmation = nil
            if key == .character("y") || key == .character("o") || key == .character("Y") || key == .character("O") {
                status = nil
                return [.send(question.command)]
            }
            status = t("Annulé.", "Cancelled.")
            return []
        }
        if presidentMenu { return handlePresidentMenu(key) }
        if showHelp, key == .escape || key == .character("?") {
            showHelp = false
            return []
        }
        switch key {
        case .character("?"): showHelp.toggle()
        case .character("q"): return [.quit]
        case .pageUp: historyScroll += 5
        case .pageDown: historyScroll = max(0, historyScroll - 5)
        case .escape:
            status = nil
            showComment = false
        default:
            return role == "candidate" ? handleCandidate(key) : handleJury(key, at: serverNow)
        }
        return []
    }

    private mutating func handleCandidate(_ key: ConsoleKey) -> [ConsoleEffect] {
        switch key {
        case .character("r"): return [.send(.signal(room: view.room, kind: .ready))]
        case .character("h"): return [.send(.signal(room: view.room, kind: handRaised ? .lower : .hand))]
        default: return []
        }
    }

    private mutating func handleJury(_ key: ConsoleKey, at serverNow: Date) -> [ConsoleEffect] {
        let room = view.room
        switch key {
        // The clock.
        case .character("s"): return [.send(.timerStart(room: room))]
        case .character("p"): return [.send(view.state == "paused" ? .timerResume(room: room) : .timerPause(room: room, reason: nil))]
        case .character("+"): return [.send(.timerAdjust(room: room, seconds: 60, reason: nil))]
        case .character("-"): return [.send(.timerAdjust(room: room, seconds: -60, reason: nil))]
        case .character("d"):
            let left = view.remaining(serverNow: serverNow).map { Narrator.clock($0) } ?? "--:--"
            confirmation = Confirmation(
                question: t("Terminer la soutenance et délibérer (temps restant \(left)) ? [o/n]", "End the defence now and deliberate (\(left) left)? [y/n]"),
                command: .deliberate(room: room)
            )
        // Messages and signals.
        case .character("m"): prompt = Prompt(kind: .roomMessage, text: "")
        case .character("j"): prompt = Prompt(kind: .juryMessage, text: "")
        case .character("k"):
            guard let first = view.raisedHands.first else {
                status = t("Aucune main levée.", "No raised hand.")
                return []
            }
            return [.send(.acknowledge(room: room, candidate: first))]
        // Moving.
        case .up:
            cursor.criterion = max(0, cursor.criterion - 1)
            showComment = false
            lastMarked = nil
        case .down:
            let count = current?.item.criteria.count ?? 1
            cursor.criterion = min(max(0, count - 1), cursor.criterion + 1)
            showComment = false
            lastMarked = nil
        case .left:
            cursor.competence = max(0, cursor.competence - 1)
            toFirstUnassessed()
        case .right:
            cursor.competence = min(max(0, view.checklist.count - 1), cursor.competence + 1)
            toFirstUnassessed()
        case .tab:
            cursor.candidate = view.candidates.isEmpty ? 0 : (cursor.candidate + 1) % view.candidates.count
            toFirstUnassessed()
        case .backTab:
            cursor.candidate = view.candidates.isEmpty ? 0 : (cursor.candidate + view.candidates.count - 1) % view.candidates.count
            toFirstUnassessed()
        case .character("v"): showComment.toggle()
        default:
            return isJuror ? handleJuror(key) : []
        }
        return []
    }

    private mutating func handleJuror(_ key: ConsoleKey) -> [ConsoleEffect] {
        let room = view.room
        switch key {
        case .character(let c) where "1230".contains(c):
            guard let (candidate, _) = current, let criterion = currentCriterion else { return [] }
            let marks: [Character: Mark?] = ["1": .met, "2": .partlyMet, "3": .notMet, "0": nil]
            guard let mark = marks[c] else { return [] }
            if mark == nil, let written = view.comments[me]?["\(candidate) \(criterion)"] {
                // Clearing a mark clears its comment too: say so before it goes.
                confirmation = Confirmation(
                    question: t("Effacer la note de \(criterion) et son commentaire « \(written.prefix(40)) » ? [o/n]", "Clear the mark of \(criterion) and its comment \"\(written.prefix(40))\"? [y/n]"),
                    command: .mark(room: room, candidate: candidate, criterion: criterion, mark: nil, comment: nil)
                )
                return []
            }
            var comment: String?
            if let pending = pendingComment, pending.candidate == candidate, pending.criterion == criterion, mark != nil {
                comment = pending.text
            } else if mark != nil {
                // Changing the mark keeps the comment already written.
                comment = view.comments[me]?["\(candidate) \(criterion)"]
            }
            return [.send(.mark(room: room, candidate: candidate, criterion: criterion, mark: mark, comment: comment))]
        case .character("c"):
            guard let (candidate, item) = current else { return [] }
            // The criterion just marked, if it is on screen: the cursor has already moved on.
            var criterion = currentCriterion
            if let last = lastMarked, last.candidate == candidate, item.criteria.contains(where: { $0.id == last.criterion }) {
                criterion = last.criterion
            }
            guard let criterion else { return [] }
            prompt = Prompt(kind: .comment(candidate: candidate, criterion: criterion), text: view.comments[me]?["\(candidate) \(criterion)"] ?? "")
        case .character("a"), .character("n"):
            guard let (candidate, item) = current else { return [] }
            let decision: Decision = key == .character("a") ? .acquis : .nonAcquis
            let command = Command.propose(room: room, candidate: candidate, competence: item.competence, decision: decision, comment: nil)
            let left = unassessed.count
            if decision == .acquis, left > 0 {
                confirmation = Confirmation(
                    question: t(
                        "\(left) critère(s) de \(item.competence) non évalué(s) pour \(candidate) : proposer ACQUIS quand même ? [o/n]",
                        "\(left) criteria of \(item.competence) not assessed for \(candidate): propose ACQUIS anyway? [y/n]"
                    ),
                    command: command
                )
                return []
            }
            return [.send(command)]
        case .character("D"):
            guard let (candidate, item) = current else { return [] }
            guard let mine = view.proposals[me]?["\(candidate) \(item.competence)"].flatMap(Decision.init(rawValue:)) else {
                status = t("Proposez d’abord (a/n).", "Propose first (a/n).")
                return []
            }
            let command = Command.decide(room: room, candidate: candidate, competence: item.competence, decision: mine, comment: nil)
            if !view.signed.isEmpty, view.decisions["\(candidate) \(item.competence)"] != mine.rawValue {
                let who = view.signed.sorted().joined(separator: ", ")
                confirmation = Confirmation(
                    question: t("Cette décision retire la signature de \(who). Décider quand même ? [o/n]", "This decision withdraws the signature of \(who). Decide anyway? [y/n]"),
                    command: command
                )
                return []
            }
            return [.send(command)]
        case .character("S"):
            confirmation = Confirmation(
                question: t("Signer la grille ? Quand les deux jurés ont signé, le résultat est verrouillé. [o/n]", "Sign the grid? Once both jurors have signed, the result is locked. [y/n]"),
                command: .sign(room: room)
            )
        case .character("u"):
            confirmation = Confirmation(
                question: t("Soumettre votre grille ? L’autre grille vous sera montrée quand les deux seront soumises. [o/n]", "Submit your grid? The other grid is shown once both are submitted. [y/n]"),
                command: .submit(room: room)
            )
        case .character("w"), .character("t"):
            guard view.kind == "team" else {
                status = t("Les épreuves écrites individuelles se notent dans les salles d’équipe (MSPR).", "The individual written parts are recorded in team rooms (MSPR).")
                return []
            }
            guard let (candidate, _) = current else { return [] }
            let part: EvidencePart = key == .character("w") ? .written : .test
            prompt = Prompt(kind: .evidence(candidate: candidate, part: part), text: view.evidence["\(candidate) \(part.rawValue)"] ?? "")
        case .character("e"):
            guard let id = lastEndedOutage else {
                status = t("Aucune coupure terminée à compenser.", "No ended outage to compensate.")
                return []
            }
            return [.send(.outageExtend(room: room, outage: id))]
        case .character("x"):
            guard view.president == me else {
                status = t("Réservé au président ou à la présidente du jury.", "For the jury's president only.")
                return []
            }
            presidentMenu = true
        default: break
        }
        return []
    }

    /// The latest outage that ended and awaits the president's decision.
    private var lastEndedOutage: Int? { view.outages.filter { $0.value.seconds != nil && !view.settledOutages.contains($0.key) }.map(\.key).max() }

    private mutating func handlePresidentMenu(_ key: ConsoleKey) -> [ConsoleEffect] {
        presidentMenu = false
        switch key {
        case .character("e"):
            guard let id = lastEndedOutage else {
                status = t("Aucune coupure terminée.", "No ended outage.")
                return []
            }
            return [.send(.outageExtend(room: view.room, outage: id))]
        case .character("k"):
            guard let id = lastEndedOutage else {
                status = t("Aucune coupure terminée.", "No ended outage.")
                return []
            }
            prompt = Prompt(kind: .decline(outage: id), text: "")
        case .character("r"): prompt = Prompt(kind: .restart, text: "")
        case .character("p"): prompt = Prompt(kind: .postpone, text: "")
        case .character("o"): prompt = Prompt(kind: .observations, text: view.observations ?? "")
        default: break
        }
        return []
    }

    private mutating func handlePrompt(_ key: ConsoleKey) -> [ConsoleEffect] {
        guard var current = prompt else { return [] }
        switch key {
        case .enter:
            prompt = nil
            return submit(current)
        case .escape:
            prompt = nil
            status = t("Annulé.", "Cancelled.")
        case .backspace: current.deleteBackward()
        case .delete: current.deleteForward()
        case .left: current.cursor = max(0, current.cursor - 1)
        case .right: current.cursor = min(current.text.count, current.cursor + 1)
        case .home: current.cursor = 0
        case .end: current.cursor = current.text.count
        case .character(let c): current.insert(c)
        default: break
        }
        if prompt != nil { prompt = current }
        return []
    }

    private mutating func submit(_ prompt: Prompt) -> [ConsoleEffect] {
        let text = prompt.text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else {
            status = t("Rien à envoyer.", "Nothing to send.")
            return []
        }
        let room = view.room
        switch prompt.kind {
        case .roomMessage: return [.send(.say(room: room, audience: .room, text: text))]
        case .juryMessage: return [.send(.say(room: room, audience: .jury, text: text))]
        case .observations: return [.send(.observations(room: room, text: text))]
        case .restart: return [.send(.restart(room: room, reason: text))]
        case .postpone: return [.send(.postpone(room: room, reason: text))]
        case .decline(let id): return [.send(.outageDecline(room: room, outage: id, reason: text))]
        case .evidence(let candidate, let part): return [.send(.evidence(room: room, candidate: candidate, part: part, text: text))]
        case .comment(let candidate, let criterion):
            guard let mark = view.marks[me]?["\(candidate) \(criterion)"].flatMap(Mark.init(rawValue:)) else {
                // Kept, never lost: it goes with the mark.
                pendingComment = (candidate, criterion, text)
                status = t("Commentaire gardé pour \(criterion) : notez-le (1/2/3) pour l’envoyer.", "Comment kept for \(criterion): mark it (1/2/3) to send it.")
                return []
            }
            return [.send(.mark(room: room, candidate: candidate, criterion: criterion, mark: mark, comment: text))]
        }
    }

    // MARK: Replies and lines

    /// A request that could not go now and waits in the outbox: the juror goes on as if it were taken (the cursor
    /// moves on), and the screen shows it as pending until it is answered.
    public mutating func queued(_ command: Command) {
        replied(to: command, refusal: nil)
        if !pending.contains(command) { pending.append(command) }
        status = t("En attente (\(pending.count)) : envoyé dès le retour de la connexion.", "Waiting (\(pending.count)): sent as soon as the connection is back.")
    }

    /// The mark this juror typed for `candidate` and `criterion` that waits in the outbox, if any (`.some(nil)`:
    /// a clear is waiting).
    public func pendingMark(_ candidate: String, _ criterion: String) -> Mark?? {
        for command in pending.reversed() {
            if case .mark(_, let c, let item, let mark, _) = command, c == candidate, item == criterion { return .some(mark) }
        }
        return nil
    }

    /// The answer to a request the model asked for: `refusal` is nil for `OK`, else the sentence to show.
    public mutating func replied(to command: Command, refusal: String?) {
        if case .mark(_, let candidate, let criterion, _, _) = command {
            if refusal == nil { refusedMarks.remove("\(candidate) \(criterion)") } else { refusedMarks.insert("\(candidate) \(criterion)") }
        }
        if let refusal {
            status = refusal
            return
        }
        status = t("OK", "OK")
        switch command {
        case .mark(_, let candidate, let criterion, let mark, let comment):
            if let pending = pendingComment, pending.candidate == candidate, pending.criterion == criterion, comment == pending.text {
                pendingComment = nil
            }
            guard mark != nil else { return }
            lastMarked = (candidate, criterion)
            // Move on to the next criterion this juror has not marked, after the one just marked.
            guard let (now, item) = current, now == candidate, let index = item.criteria.firstIndex(where: { $0.id == criterion }),
                index == cursor.criterion
            else { return }
            let after = item.criteria.indices.dropFirst(index + 1).first { view.marks[me]?["\(candidate) \(item.criteria[$0].id)"] == nil }
            cursor.criterion = after ?? min(index + 1, item.criteria.count - 1)
        case .signal(_, let kind):
            if kind == .hand { handRaised = true }
            if kind == .lower { handRaised = false }
            status = kind == .ready ? t("Le jury sait que vous êtes prêt·e.", "The jury knows you are ready.")
                : kind == .hand ? t("Main levée : [h] pour la baisser.", "Hand raised: [h] to lower it.") : t("Main baissée.", "Hand lowered.")
        default: break
        }
    }

    /// Applies one `SNAPSHOT` or `EVENT` line of the room; returns what to do (reload the grids when both blind
    /// grids are in).
    public mutating func apply(_ line: Message) -> [ConsoleEffect] {
        let submittedBefore = view.submitted.count
        view.apply(line)
        guard let event = EventLine(line), event.room == view.room, let body = event.body else { return [] }
        switch body {
        case .signatureWithdrawn(let juror) where juror == me:
            notice = t("⚠ Votre signature a été retirée : la grille a changé. Relisez-la et signez de nouveau (S).",
                       "⚠ Your signature was withdrawn: the grid changed. Read it again and sign again (S).")
        case .acknowledged(_, let candidate) where candidate == me:
            handRaised = false
            notice = t("Le jury a vu votre main levée.", "The jury saw your raised hand.")
        case .gridSubmitted where view.visibility == "blind" && view.submitted.count > submittedBefore && view.jurors.allSatisfy(view.submitted.contains):
            return [.reloadProgress]
        case .locked:
            notice = t("Résultat signé et verrouillé.", "Result signed and locked.")
        default: break
        }
        return []
    }

    /// Applies a `PROGRESS` reply (the grids, evidence, observations, earlier decisions).
    public mutating func applyProgress(_ lines: [Message]) {
        view.applyProgress(lines)
    }
}
