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
    private var done = false
    private let outbox: RequestOutbox
    /// What was dropped from the outbox on start, for a notice.
    private var dropped = 0

    init(session: LiveSession, room: String, me: String, role: String, language: Language, outboxFile: OutboxFile) {
        var stored = outboxFile.load()
        dropped = stored.dropUnreadable().count
        self.outbox = RequestOutbox(session: session, outbox: stored) { try outboxFile.save($0) }
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
        if let failure = joined.failure { throw ConsoleError(ErrorText.refusal(code: failure.code, serverText: failure.text, language: language)) }
        let shown = try await session.request(.roomShow(room: room))
        guard let plan = shown.data.lazy.compactMap(RoomLine.init).first(where: { $0.room == room }) else {
            throw ConsoleError("the server described no room \(room)")
        }
        view.applyPlan(plan)
        // Messages and signals from before this console started (a restart, or another device).
        if let history = try? await session.request(.history(room: room, limit: nil)), history.failure == nil {
            view.applyHistory(history.data)
        }
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

    /// After the room was prepared: what a killed console left in its outbox goes now, unless the room is over.
    private func resumeOutbox() async -> [String] {
        var notes: [String] = []
        if view.state == "signed" || view.state == "cancelled" {
            let left = await outbox.current.items.count
            if left > 0 {
                try? await outbox.discardAll()
                notes.append(language.text("\(left) requête(s) en attente abandonnée(s) : la salle est terminée.", "\(left) waiting request(s) dropped: the room is over."))
            }
        }
        if dropped > 0 { notes.append(language.text("\(dropped) requête(s) illisible(s) abandonnée(s).", "\(dropped) unreadable request(s) dropped.")) }
        notes += await flushOutbox()
        return notes
    }

    /// Sends what waits in the outbox, in order; returns a sentence per refusal, naming the request it concerns.
    private func flushOutbox() async -> [String] {
        guard let outcomes = try? await outbox.flush() else { return [] }
        var notes: [String] = []
        var short: [String] = []
        for case .answered(let command, let reply) in outcomes {
            let failure = FailureLine(reply.terminal)
            let refusal = failure.map { ErrorText.refusal(code: $0.code, serverText: $0.text, language: language) }
            model?.replied(to: command, refusal: refusal.map { about(command) + " — " + $0 })
            if let refusal, let failure {
                notes.append(about(command) + " — " + refusal)
                short.append(about(command) + " (\(failure.code))")
            }
        }
        model?.pending = await outbox.waiting
        // Said until the next key, whatever was answered after: a refused request must not pass for taken.
        if !short.isEmpty {
            model?.notice = language.text("⚠ Non pris après le retour de la connexion : ", "⚠ Not taken after the connection came back: ") + short.joined(separator: " ; ")
        }
        return notes
    }

    /// The summary of a request that waits in the outbox.
    static let waiting = "WAITING"

    /// A request as the person typed it, without the room (it is this one), to say which one a refusal concerns.
    private func about(_ command: Command) -> String {
        var message = command.message(id: nil)
        message.parameters.removeAll { $0 == room }
        return message.serialized
    }

    /// How many requests still wait in the outbox.
    func waitingCount() async -> Int { await outbox.waiting.count }

    /// Sends a command and returns a one-line account of the answer, in the console's language. A room command
    /// goes through the outbox: kept on disk until answered, sent with its key, sent again after a drop.
    private func send(_ command: Command) async -> (summary: String, data: [Message]) {
        if Verb.keyed.contains(command.verb) {
            do {
                let outcome = try await outbox.send(command)
                switch outcome {
                case .queued:
                    let count = await outbox.waiting.count
                    model?.queued(command)
                    model?.pending = await outbox.waiting
                    return (Self.waiting, ["\(count)"].map { Message(verb: "WAITING", parameters: [$0]) })
                case .answered(_, let reply):
                    model?.pending = await outbox.waiting
                    if let failure = FailureLine(reply.terminal) {
                        return (ErrorText.refusal(code: failure.code, serverText: failure.text, language: language), reply.data)
                    }
                    return ("OK", reply.data)
                }
            } catch {
                return (language.text("Pas enregistré : \(error)", "Not recorded: \(error)"), [])
            }
        }
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
        // Ctrl-C leaves cleanly (QUIT): the room records `left`, not a lost connection.
        let session = self.session
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler {
            Task {
                await session.close()
                Foundation.exit(130)
            }
        }
        interrupt.resume()
        defer { interrupt.cancel() }
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
                case .resumed:
                    // What was typed during the drop goes now, in order, once.
                    for note in await flushOutbox() { emit(note) }
                    let left = await outbox.waiting.count
                    if left > 0 { emit(language.text("\(left) requête(s) encore en attente.", "\(left) request(s) still waiting.")) }
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
        for note in await resumeOutbox() { emit(note) }
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
                var (summary, data) = await send(command)
                if summary == Self.waiting {
                    let count = data.first?.parameters.first ?? "1"
                    summary = language.text("En attente (\(count)) : envoyé dès le retour de la connexion.", "Waiting (\(count)): sent as soon as the connection is back.")
                    data = []
                } else if summary != "OK" {
                    failed = true
                }
                for item in data {
                    // HISTORY's lines read as the sentences their events were.
                    if let past = EventLine(past: item), let sentence = narrator.sentence(past.message) {
                        emit("  " + sentence)
                        continue
                    }
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
        // End of input (or quit): leave cleanly. What still waits stays on disk for the next start.
        let left = await outbox.waiting.count
        if left > 0 {
            failed = true
            emit(language.text("\(left) requête(s) sans réponse, gardée(s) pour le prochain démarrage de la console.", "\(left) request(s) without an answer, kept for the console's next start."))
        }
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
        var model = ConsoleModel(view: view, me: me, role: role, language: language)
        model.status = language.text("Bienvenue — [?] affiche toutes les touches.", "Welcome — [?] shows every key.")
        self.model = model
        let notes = await resumeOutbox()
        if !notes.isEmpty { self.model?.status = notes.joined(separator: " · ") }
        let terminal = Terminal()
        terminal.enter()
        defer { terminal.leave() }
        let events = Task {
            for await event in session.events {
                switch event {
                case .room(let line): await run(self.applyLine(line))
                case .connected: setConnected(true)
                case .resumed: _ = await flushOutbox()
                case .disconnected: setConnected(false)
                case .ended(let reason):
                    endSession(reason)
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
            let serverNow = Date().addingTimeInterval(await session.clockOffset)
            guard var current = self.model else { break }
            let effects = current.handle(key, at: serverNow)
            self.model = current
            await draw(terminal)
            await run(effects)
            await draw(terminal)
        }
        // A clean leave: the session says QUIT, and the room records `left`, not an outage.
        await session.close()
    }

    private var model: ConsoleModel?

    /// The full-screen console's room lives in its model from the start; `view` is the plain console's.
    private func applyLine(_ line: Message) -> [ConsoleEffect] {
        guard var current = model else { return [] }
        let effects = current.apply(line)
        model = current
        return effects
    }

    private func setConnected(_ up: Bool) {
        connected = up
        model?.connected = up
    }

    private func endSession(_ reason: String) {
        model?.status = reason
        done = true
    }

    /// Executes the model's effects, one after the other, and tells it each answer.
    private func run(_ effects: [ConsoleEffect]) async {
        for effect in effects {
            switch effect {
            case .quit:
                done = true
            case .reloadProgress:
                if let progress = try? await session.request(.progress(room: room)) { model?.applyProgress(progress.data) }
            case .send(let command):
                let (summary, _) = await send(command)
                if summary != Self.waiting { model?.replied(to: command, refusal: summary == "OK" ? nil : summary) }
            }
        }
    }

    private func draw(_ terminal: Terminal) async {
        guard let model else { return }
        let size = terminal.size()
        let context = ScreenContext(
            now: Date(), offset: await session.clockOffset, lastSync: await session.lastSync, connected: connected,
            width: size.columns, height: size.rows, color: ProcessInfo.processInfo.environment["NO_COLOR"].map { $0.isEmpty } ?? true
        )
        // One render per frame; PgUp stops at the oldest message, so that PgDn comes back at once.
        let frame = RoomScreen.frame(model, context)
        if model.historyScroll > frame.maxScroll { self.model?.historyScroll = frame.maxScroll }
        terminal.show(frame.rows)
    }
}

struct ConsoleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
