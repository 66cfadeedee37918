import DefenceClient
import DefenceConsole
import DefenceProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The `--plain` console's end when a typed line was refused, not answered or not understood: exit status 1.
struct PlainConsoleFailure: Error {}

/// Runs a room console over a live session.
actor RoomConsole {
    let session: LiveSession
    let room: String
    let me: String
    let role: String
    let language: Language
    private var view: RoomView
    private var connected = true
    private var status: String?
    private var cursor = (candidate: 0, competence: 0, criterion: 0)
    private var done = false
    private enum PromptKind {
        case comment, roomMessage, juryMessage, observations, restart, postpone
        case evidence(candidate: String, part: EvidencePart)
        case decline(outage: Int)
    }
    /// Whether the president's menu (`x`) is open: the next key picks a decision.
    private var presidentMenu = false
    private var prompt: (kind: PromptKind, text: String)?

    init(session: LiveSession, room: String, me: String, role: String, language: Language) {
        self.session = session
        self.room = room
        self.me = me
        self.role = role
        self.language = language
        self.view = RoomView(room: room)
    }

    // MARK: Shared

    /// Joins the room and loads its plan and, for jurors and admins, its checklist.
    private func prepare() async throws {
        let joined = try await session.join(room)
        if let failure = joined.failure { throw ConsoleError(failure.text.isEmpty ? failure.code : failure.text) }
        let shown = try await session.request(.roomShow(room: room))
        guard let plan = shown.data.lazy.compactMap(RoomLine.init).first(where: { $0.room == room }) else {
            throw ConsoleError("the server described no room \(room)")
        }
        view.applyPlan(plan)
        guard role != "candidate" else { return }
        guard let details = plan.details else { throw ConsoleError("the server did not give the checklist of room \(room)") }
        var checklist: [RoomView.ChecklistItem] = []
        for code in details.competences {
            let reply = try await session.request(.competenceShow(code: code, ref: details.referential))
            let title = reply.data.lazy.compactMap(CompetenceLine.init).first?.title ?? ""
            let criteria = reply.data.compactMap(CriterionLine.init).map { (id: $0.id, text: $0.text) }
            checklist.append(RoomView.ChecklistItem(competence: code, title: title, criteria: criteria))
        }
        view.checklist = checklist
        // Marks, proposals, evidence and earlier decisions made before we arrived.
        let progress = try await session.request(.progress(room: room))
        view.applyProgress(progress.data)
    }

    /// Sends a command and returns a one-line account of the answer, in the console's language.
    private func send(_ command: Command) async -> (summary: String, data: [Message]) {
        do {
            let reply = try await session.request(command)
            if let failure = FailureLine(reply.terminal) {
                return (ErrorText.refusal(code: failure.code, serverText: failure.text, language: language), reply.data)
            }
            return ("OK", reply.data)
        } catch {
            return (language.text("Pas de réponse : \(error)", "No answer: \(error)"), [])
        }
    }

    // MARK: Plain

    func runPlain() async throws {
        let narrator = Narrator(language: language)
        try await prepare()
        let events = Task {
            var connections = 0
            for await event in session.events {
                switch event {
                case .room(let line):
                    view.apply(line)
                    if let sentence = narrator.sentence(line) { emit(sentence) }
                case .connected:
                    connections += 1
                    if connections > 1 { emit(language.text("Reconnecté ; la salle reprend.", "Reconnected; resuming the room.")) }
                case .disconnected(let reason, let attempt):
                    emit(language.text("Connexion perdue (\(reason)) ; nouvelle tentative n°\(attempt)…", "Connection lost (\(reason)); retry #\(attempt)…"))
                case .ended(let reason):
                    emit(language.text("Session terminée : \(reason)", "Session ended: \(reason)"))
                    return
                case .clock:
                    break
                }
            }
        }
        emit(language.text("Salle \(room) — tapez help pour les commandes.", "Room \(room) — type help for commands."))
        // Standard input is read on its own thread, so that events keep flowing while nobody types.
        let input = AsyncStream<String> { continuation in
            Thread.detachNewThread {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
                continuation.finish()
            }
        }
        // A script learns from the exit status whether every line it sent was taken.
        var failed = false
        inputLoop: for await line in input {
            switch ConsoleInput.parse(line, room: room, language: language) {
            case .nothing: continue
            case .help: ConsoleInput.help(language).forEach(emit)
            case .quit:
                break inputLoop
            case .problem(let text):
                failed = true
                emit(text)
            case .send(let command):
                let (summary, data) = await send(command)
                if summary != "OK" { failed = true }
                for item in data {
                    var shown = item
                    shown.tags = []
                    emit("  " + shown.serialized)
                }
                if case .time = command, summary == "OK", let remaining = view.remaining(serverNow: Date().addingTimeInterval(await session.clockOffset)) {
                    emit(language.text("Temps restant : \(Narrator.clock(remaining))", "Time left: \(Narrator.clock(remaining))"))
                }
                emit(summary)
            }
        }
        // End of input (or quit): leave cleanly.
        events.cancel()
        await session.close()
        if failed {
            emit(language.text("Au moins une commande a été refusée, est restée sans réponse ou n’a pas été comprise.", "At least one command was refused, not answered or not understood."))
            throw PlainConsoleFailure()
        }
    }

    private nonisolated func emit(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    // MARK: Full screen

    func runFullScreen() async throws {
        try await prepare()
        let terminal = Terminal()
        terminal.enter()
        defer { terminal.leave() }
        let events = Task {
            for await event in session.events {
                switch event {
                case .room(let line): view.apply(line)
                case .connected: connected = true
                case .disconnected: connected = false
                case .ended(let reason):
                    status = reason
                    done = true
                case .clock: break
                }
                await draw(terminal)
            }
        }
        let ticker = Task {
            while !Task.isCancelled {
                await draw(terminal)
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        defer {
            events.cancel()
            ticker.cancel()
        }
        while !done {
            guard let key = await terminal.readKey() else { break }
            await handle(key)
        }
        await session.close()
    }

    private func draw(_ terminal: Terminal) async {
        let size = terminal.size()
        let context = ScreenContext(
            now: Date(), offset: await session.clockOffset, lastSync: await session.lastSync, connected: connected, role: role,
            me: me, language: language, width: size.columns, height: size.rows,
            color: ProcessInfo.processInfo.environment["NO_COLOR"].map { $0.isEmpty } ?? true, cursor: cursor, status: status
        )
        var shown = context
        if let prompt {
            let label: String
            switch prompt.kind {
            case .comment: label = language.text("Commentaire", "Comment")
            case .roomMessage: label = language.text("Message à la salle", "Message to the room")
            case .juryMessage: label = language.text("Message au jury", "Message to the jury")
            case .observations: label = language.text("Observations du jury (PV)", "The jury's observations (PV)")
            case .restart: label = language.text("Reprendre à zéro — motif", "Restart from zero — reason")
            case .postpone: label = language.text("Reporter la soutenance — motif", "Postpone the defence — reason")
            case .decline(let id): label = language.text("Ne pas prolonger la coupure n°\(id) — motif", "Do not extend for outage #\(id) — reason")
            case .evidence(let candidate, let part):
                label = (part == .written ? language.text("Production écrite", "Written production") : language.text("Test écrit (1 h)", "Written test (1 h)")) + " — \(candidate)"
            }
            shown.prompt = (label + language.text(" (Entrée : envoyer, Échap : annuler)", " (Enter: send, Esc: cancel)"), prompt.text)
        } else if presidentMenu {
            shown.prompt = (
                language.text(
                    "Décision du président : [e] prolonger [k] ne pas prolonger [r] reprendre à zéro [p] reporter [o] observations [Échap] annuler",
                    "President's decision: [e] extend [k] do not extend [r] restart from zero [p] postpone [o] observations [Esc] cancel"
                ), ""
            )
        }
        terminal.show(RoomScreen.render(view, shown))
    }

    private func handle(_ key: Terminal.Key) async {
        if var current = prompt {
            switch key {
            case .enter:
                prompt = nil
                await submit(current)
            case .escape, .interrupt:
                prompt = nil
            case .backspace:
                if !current.text.isEmpty { current.text.removeLast() }
                prompt = current
            case .character(let c):
                current.text.append(c)
                prompt = current
            default: break
            }
            return
        }
        if presidentMenu {
            presidentMenu = false
            let lastEnded = view.outages.filter { $0.value.seconds != nil }.map(\.key).max()
            switch key {
            case .character("e"):
                if let id = lastEnded {
                    status = await send(.outageExtend(room: room, outage: id)).summary
                } else {
                    status = language.text("Aucune coupure terminée.", "No ended outage.")
                }
            case .character("k"):
                if let id = lastEnded { prompt = (.decline(outage: id), "") } else { status = language.text("Aucune coupure terminée.", "No ended outage.") }
            case .character("r"): prompt = (.restart, "")
            case .character("p"): prompt = (.postpone, "")
            case .character("o"): prompt = (.observations, view.observations ?? "")
            default: break
            }
            return
        }
        switch key {
        case .character("x") where role == "juror":
            if view.president == me {
                presidentMenu = true
            } else {
                status = language.text("Réservé au président ou à la présidente du jury.", "For the jury's president only.")
            }
        case .character("w") where role == "juror", .character("t") where role == "juror":
            guard view.kind == "team" else {
                status = language.text("Les épreuves écrites individuelles se notent dans les salles d’équipe (MSPR).", "The individual written parts are recorded in team rooms (MSPR).")
                return
            }
            guard let (candidate, _) = currentCell() else { return }
            let part: EvidencePart = key == .character("w") ? .written : .test
            prompt = (.evidence(candidate: candidate, part: part), view.evidence["\(candidate) \(part.rawValue)"] ?? "")
        case .character("c") where role == "juror": prompt = (.comment, "")
        case .character("m") where role != "candidate": prompt = (.roomMessage, "")
        case .character("j") where role != "candidate": prompt = (.juryMessage, "")
        case .character("e") where role == "juror":
            let ended = view.outages.filter { $0.value.seconds != nil }.map(\.key).max()
            if let id = ended {
                status = await send(.outageExtend(room: room, outage: id)).summary
            } else {
                status = language.text("Aucune coupure terminée à compenser.", "No ended outage to compensate.")
            }
        case .character("D") where role == "juror":
            // Decide the current competence as the jury's consensus of the proposals (or mine when they differ).
            guard let (candidate, item) = currentCell() else { return }
            let key = "\(candidate) \(item.competence)"
            if let mine = view.proposals[me]?[key].flatMap(Decision.init(rawValue:)) {
                status = await send(.decide(room: room, candidate: candidate, competence: item.competence, decision: mine, comment: nil)).summary
            } else {
                status = language.text("Proposez d'abord (a/n).", "Propose first (a/n).")
            }
        case .character("q"), .interrupt: done = true
        case .character("r") where role == "candidate": status = await send(.signal(room: room, kind: .ready)).summary
        case .character("h") where role == "candidate": status = await send(.signal(room: room, kind: .hand)).summary
        case .character("s") where role != "candidate": status = await send(.timerStart(room: room)).summary
        case .character("p") where role != "candidate":
            status = await send(view.state == "paused" ? .timerResume(room: room) : .timerPause(room: room, reason: nil)).summary
        case .character("+") where role != "candidate": status = await send(.timerAdjust(room: room, seconds: 60, reason: nil)).summary
        case .character("-") where role != "candidate": status = await send(.timerAdjust(room: room, seconds: -60, reason: nil)).summary
        case .character("d") where role != "candidate": status = await send(.deliberate(room: room)).summary
        case .character("S") where role == "juror": status = await send(.sign(room: room)).summary
        case .up: cursor.criterion = max(0, cursor.criterion - 1)
        case .down:
            let count = view.checklist.isEmpty ? 1 : view.checklist[min(cursor.competence, view.checklist.count - 1)].criteria.count
            cursor.criterion = min(max(0, count - 1), cursor.criterion + 1)
        case .left:
            cursor.competence = max(0, cursor.competence - 1)
            cursor.criterion = 0
        case .right:
            cursor.competence = min(max(0, view.checklist.count - 1), cursor.competence + 1)
            cursor.criterion = 0
        case .tab:
            cursor.candidate = view.candidates.isEmpty ? 0 : (cursor.candidate + 1) % view.candidates.count
        case .character(let c) where role == "juror" && "1230an".contains(c):
            guard !view.checklist.isEmpty, !view.candidates.isEmpty else { return }
            let candidate = view.candidates[min(cursor.candidate, view.candidates.count - 1)]
            let item = view.checklist[min(cursor.competence, view.checklist.count - 1)]
            if c == "a" || c == "n" {
                status = await send(.propose(room: room, candidate: candidate, competence: item.competence, decision: c == "a" ? .acquis : .nonAcquis, comment: nil)).summary
            } else if !item.criteria.isEmpty {
                let criterion = item.criteria[min(cursor.criterion, item.criteria.count - 1)].id
                let keys: [Character: Mark?] = ["1": .met, "2": .partlyMet, "3": .notMet, "0": nil]
                guard let mark = keys[c] else { return }
                status = await send(.mark(room: room, candidate: candidate, criterion: criterion, mark: mark, comment: nil)).summary
                if c != "0" { cursor.criterion = min(item.criteria.count - 1, cursor.criterion + 1) }
            }
        default: break
        }
    }

    private func currentCell() -> (String, RoomView.ChecklistItem)? {
        guard !view.checklist.isEmpty, !view.candidates.isEmpty else { return nil }
        return (view.candidates[min(cursor.candidate, view.candidates.count - 1)], view.checklist[min(cursor.competence, view.checklist.count - 1)])
    }

    private func submit(_ prompt: (kind: PromptKind, text: String)) async {
        let text = prompt.text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return }
        switch prompt.kind {
        case .roomMessage: status = await send(.say(room: room, audience: .room, text: text)).summary
        case .juryMessage: status = await send(.say(room: room, audience: .jury, text: text)).summary
        case .observations: status = await send(.observations(room: room, text: text)).summary
        case .restart: status = await send(.restart(room: room, reason: text)).summary
        case .postpone: status = await send(.postpone(room: room, reason: text)).summary
        case .decline(let id): status = await send(.outageDecline(room: room, outage: id, reason: text)).summary
        case .evidence(let candidate, let part): status = await send(.evidence(room: room, candidate: candidate, part: part, text: text)).summary
        case .comment:
            guard let (candidate, item) = currentCell(), !item.criteria.isEmpty else { return }
            let criterion = item.criteria[min(cursor.criterion, item.criteria.count - 1)].id
            guard let mark = view.marks[me]?["\(candidate) \(criterion)"].flatMap(Mark.init(rawValue:)) else {
                status = language.text("Notez d'abord le critère (1/2/3).", "Mark the criterion first (1/2/3).")
                return
            }
            status = await send(.mark(room: room, candidate: candidate, criterion: criterion, mark: mark, comment: text)).summary
        }
    }
}

struct ConsoleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
