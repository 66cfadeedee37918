import DefenceProtocol
import Foundation

/// Everything the screen depends on besides the console's model: the clocks and the window.
public struct ScreenContext: Sendable {
    /// The local time.
    public var now: Date
    /// Server time minus local time, in seconds, from the last `PING`.
    public var offset: Double
    /// When the clock was last measured; nil if never.
    public var lastSync: Date?
    /// Whether the connection is up.
    public var connected: Bool
    /// The terminal's width, in columns.
    public var width: Int
    /// The terminal's height, in rows.
    public var height: Int
    /// Whether to use colours (false under `NO_COLOR`).
    public var color: Bool

    /// Creates a context.
    public init(now: Date, offset: Double, lastSync: Date?, connected: Bool, width: Int, height: Int, color: Bool) {
        self.now = now
        self.offset = offset
        self.lastSync = lastSync
        self.connected = connected
        self.width = width
        self.height = height
        self.color = color
    }

    /// The server's time now.
    public var serverNow: Date { now.addingTimeInterval(offset) }

    /// The clock is trusted when connected and measured less than 30 seconds ago.
    public var timeVerified: Bool {
        guard connected, let lastSync else { return false }
        return now.timeIntervalSince(lastSync) < 30
    }
}

/// The full-screen console as a pure function of its model and context: one string per row, never more rows
/// than the window has nor wider than it. The layout adapts: the big clock only when there is room, the checklist
/// as a viewport that always shows the cursor, the messages as a wrapped pane that scrolls, the header and the
/// status and hint rows always on screen.
public enum RoomScreen {
    /// The smallest window the console draws in; below it, a screen asks to enlarge the window.
    public static let minimumSize = (width: 60, height: 16)

    /// Digits five rows high, so that the time cannot be misread.
    static let font: [Character: [String]] = [
        "0": ["█████", "█   █", "█   █", "█   █", "█████"], "1": ["    █", "    █", "    █", "    █", "    █"],
        "2": ["█████", "    █", "█████", "█    ", "█████"], "3": ["█████", "    █", "█████", "    █", "█████"],
        "4": ["█   █", "█   █", "█████", "    █", "    █"], "5": ["█████", "█    ", "█████", "    █", "█████"],
        "6": ["█████", "█    ", "█████", "█   █", "█████"], "7": ["█████", "    █", "    █", "    █", "    █"],
        "8": ["█████", "█   █", "█████", "█   █", "█████"], "9": ["█████", "█   █", "█████", "    █", "█████"],
        ":": ["     ", "  █  ", "     ", "  █  ", "     "], "-": ["     ", "     ", "█████", "     ", "     "],
    ]

    /// The big rendering of `12:34`.
    static func big(_ text: String) -> [String] {
        (0..<5).map { row in text.map { font[$0]?[row] ?? "     " }.joined(separator: " ") }
    }

    /// Renders the screen.
    public static func render(_ model: ConsoleModel, _ context: ScreenContext) -> [String] {
        frame(model, context).rows
    }

    /// The screen's rows, and how far its message pane can scroll up in this window: PgUp stops there (the
    /// console clamps the model with it; the rows already show the history clamped).
    public static func frame(_ model: ConsoleModel, _ context: ScreenContext) -> (rows: [String], maxScroll: Int) {
        let l = model.language
        let width = context.width
        func paint(_ text: String, _ code: String) -> String {
            let text = clip(text, width)
            return context.color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
        }
        let view = model.view
        let header = "Defence Rooms — \(l.text("salle", "room")) \(view.room)\(view.title.map { " · \($0)" } ?? "")"
        guard context.width >= minimumSize.width, context.height >= minimumSize.height else {
            let rows = [
                clip(header, width), "",
                clip(l.text("Fenêtre trop petite (\(context.width)×\(context.height)).", "The window is too small (\(context.width)×\(context.height))."), width),
                clip(l.text("Agrandissez-la à au moins \(minimumSize.width)×\(minimumSize.height).", "Enlarge it to at least \(minimumSize.width)×\(minimumSize.height)."), width),
                "", clip(l.text("[q] quitter", "[q] quit"), width),
            ]
            return (Array(rows.prefix(max(1, context.height))), 0)
        }
        let narrator = Narrator(language: l)
        let jury = model.role != "candidate"

        // Pinned at the top: header, clock, health.
        var top: [String] = [paint(fit(header, narrator.state(displayedState(view, model.role)).uppercased(), width: width), "1")]
        let remaining = view.remaining(serverNow: context.serverNow)
        let clockText = remaining.map(Narrator.clock) ?? "--:--"
        let deliberating = view.state == "deliberation" || view.state == "signed"
        var style = "1"
        var note = ""
        if view.state == "signed" && jury {
            note = l.text("SIGNÉE — résultat verrouillé", "SIGNED — the result is locked")
        } else if deliberating {
            note = l.text("DÉLIBÉRATION — le jury délibère", "DELIBERATION — the jury is deliberating")
        } else if view.state == "postponed" {
            note = l.text("REPORTÉE — une nouvelle heure sera fixée", "POSTPONED — a new time will be set")
        } else if view.overtime || (remaining ?? 1) < 0 {
            style = "1;31"
            note = l.text("DÉPASSEMENT — le temps prévu est écoulé", "OVERTIME — the planned time is over")
        } else if view.state == "paused" {
            note = l.text("EN PAUSE", "PAUSED")
        } else if let warning = view.lastWarning, let left = remaining, left <= Double(warning) {
            style = "1;33"
            note = l.text("Attention : moins de \(max(1, warning / 60)) min", "Warning: under \(max(1, warning / 60)) min left")
        }
        let phase = l.text("Phase : ", "Phase: ") + (view.phaseName.isEmpty ? "—" : view.phaseName)
        // The big clock when the window leaves room for the rest: the checklist needs it more than the digits.
        let bigClock = !deliberating && context.height >= (jury ? 34 : 18) && width >= 40
        if bigClock {
            top.append(clip(phase, width))
            for line in big(clockText) { top.append("  " + paint(line, style)) }
            if !note.isEmpty { top.append(paint(note, style)) }
        } else {
            // Once the defence is over, the phase and the clock no longer matter: the note says where things are.
            top.append(paint(deliberating ? note : phase + "  ⏱ \(clockText)" + (note.isEmpty ? "" : "  " + note), style))
        }
        let health: String
        if context.timeVerified, let lastSync = context.lastSync {
            health = l.text("Heure vérifiée il y a \(Int(context.now.timeIntervalSince(lastSync))) s", "Time checked \(Int(context.now.timeIntervalSince(lastSync))) s ago")
        } else if !context.connected {
            health = l.text("⚠ CONNEXION PERDUE — reconnexion ; heure non vérifiée", "⚠ CONNECTION LOST — reconnecting; time not verified")
        } else {
            let age = context.lastSync.map { " (\(Int(context.now.timeIntervalSince($0))) s)" } ?? ""
            health = l.text("⚠ HEURE NON VÉRIFIÉE\(age)", "⚠ TIME NOT VERIFIED\(age)")
        }
        let present = l.text("Présents : ", "Present: ") + (view.present.isEmpty ? "—" : view.present.sorted().joined(separator: ", "))
        var healthRow = health + " · " + present
        if !model.pending.isEmpty {
            healthRow = l.text("⏳ \(model.pending.count) en attente · ", "⏳ \(model.pending.count) waiting · ") + healthRow
        }
        top.append(context.timeVerified && model.pending.isEmpty ? clip(healthRow, width) : paint(healthRow, "1;41;97"))
        if jury, !view.raisedHands.isEmpty || !view.ready.isEmpty {
            var parts: [String] = []
            if !view.raisedHands.isEmpty { parts.append("✋ " + view.raisedHands.joined(separator: ", ") + l.text(" ([k] vu)", " ([k] seen)")) }
            if !view.ready.isEmpty { parts.append(l.text("prêt·e : ", "ready: ") + view.ready.sorted().joined(separator: ", ")) }
            top.append(paint(parts.joined(separator: " · "), "33"))
        } else if !jury, model.handRaised {
            top.append(paint(l.text("✋ Votre main est levée ([h] pour la baisser)", "✋ Your hand is raised ([h] to lower it)"), "33"))
        }

        // Pinned at the bottom: the status (or prompt, question, menu, notice) and the key hint.
        let bottom = bottomRows(model, width: width)
        var middleHeight = context.height - top.count - bottom.count
        var middle: [String] = []
        var paneHeight = 0
        if model.showHelp {
            middle = Array(wrap(keys(model), width).prefix(middleHeight))
        } else if jury {
            // Messages get a third of the room, at least 2 rows; the checklist the rest.
            let messageRows = max(2, min(view.notes.isEmpty ? 2 : 6, middleHeight / 3))
            let list = checklist(model, width: width, height: middleHeight - messageRows, color: context.color)
            paneHeight = middleHeight - list.count
            middle = messages(model, width: width, height: paneHeight) + list
        } else {
            paneHeight = middleHeight
            middle = messages(model, width: width, height: paneHeight)
        }
        let maxScroll = max(0, messageLines(model, width: width).count - max(0, paneHeight - 1))
        middleHeight = max(0, middleHeight)
        middle = Array(middle.prefix(middleHeight))
        while middle.count < middleHeight { middle.append("") }
        return (Array((top + middle + bottom).prefix(context.height)), maxScroll)
    }

    /// The state as this viewer is told it (a candidate's signed room is in deliberation, PROTOCOL.md §12).
    static func displayedState(_ view: RoomView, _ role: String) -> String {
        role == "candidate" && view.state == "signed" ? "deliberation" : view.state
    }

    /// The status row(s) and the hint row.
    static func bottomRows(_ model: ConsoleModel, width: Int) -> [String] {
        let l = model.language
        var rows: [String] = []
        if let prompt = model.prompt {
            // The cursor is where the next character goes, and always in sight: a long text scrolls around it.
            let split = prompt.text.index(prompt.text.startIndex, offsetBy: min(prompt.cursor, prompt.text.count))
            let head = "\(label(prompt.kind, l)) › "
            var before = String(prompt.text[..<split])
            var after = String(prompt.text[split...])
            let room = max(8, width - columns(head) - 1)
            while columns(before) + columns(after) > room {
                // Keep the cursor about two thirds along: trim the far side first.
                if columns(before) > room * 2 / 3 { before = "…" + before.dropFirst(2) } else { after = String(after.dropLast(2)) + "…" }
            }
            rows.append(clip(head + before + "▏" + after, width))
            rows.append(clip(l.text("Entrée : envoyer · Échap : annuler", "Enter: send · Esc: cancel"), width))
            return rows
        }
        if let question = model.confirmation {
            rows += wrap(words: question.question, width).suffix(2)
        } else if model.presidentMenu {
            rows += wrap(words: l.text(
                "Décision du président : [e] prolonger [k] ne pas prolonger [r] reprendre à zéro [p] reporter [o] observations [Échap] annuler",
                "President's decision: [e] extend [k] do not extend [r] restart from zero [p] postpone [o] observations [Esc] cancel"
            ), width).prefix(2)
        } else if let notice = model.notice {
            rows += wrap(words: notice, width).prefix(2)
        } else if let status = model.status {
            // A refusal is wrapped, never cut: two rows at most.
            rows += wrap(words: status, width).prefix(2)
        } else {
            rows.append("")
        }
        rows.append(clip(hint(model), width))
        return rows
    }

    static func label(_ kind: ConsoleModel.PromptKind, _ l: Language) -> String {
        switch kind {
        case .comment(_, let criterion): return l.text("Commentaire \(criterion)", "Comment \(criterion)")
        case .roomMessage: return l.text("Message à la salle", "Message to the room")
        case .juryMessage: return l.text("Message au jury", "Message to the jury")
        case .observations: return l.text("Observations du jury (PV)", "The jury's observations (PV)")
        case .restart: return l.text("Reprendre à zéro — motif", "Restart from zero — reason")
        case .postpone: return l.text("Reporter — motif", "Postpone — reason")
        case .decline(let id): return l.text("Ne pas prolonger (coupure n°\(id)) — motif", "Do not extend (outage #\(id)) — reason")
        case .evidence(let candidate, let part):
            return (part == .written ? l.text("Production écrite", "Written production") : l.text("Test écrit (1 h)", "Written test (1 h)")) + " — \(candidate)"
        }
    }

    /// The one-line hint; the whole key map is behind `?`.
    public static func hint(_ model: ConsoleModel) -> String {
        let l = model.language
        switch model.role {
        case "candidate":
            return l.text("[?] aide  [q] quitter  [r] prêt·e  [h] main levée/baissée  [PgUp/PgDn] messages", "[?] help  [q] quit  [r] ready  [h] raise/lower hand  [PgUp/PgDn] messages")
        default:
            if model.showHelp { return l.text("[?] ou [Échap] fermer l’aide", "[?] or [Esc] close the help") }
            return l.text("[?] aide [q] quitter [1/2/3] noter [c] commenter [a/n] proposer [Tab] candidat", "[?] help [q] quit [1/2/3] mark [c] comment [a/n] propose [Tab] candidate")
        }
    }

    /// Every key, for the help (`?`).
    public static func keys(_ model: ConsoleModel) -> String {
        let l = model.language
        if model.role == "candidate" {
            return l.text(
                "[r] prêt·e [h] lever ou baisser la main [PgUp/PgDn] historique des messages [?] aide [q] quitter",
                "[r] ready [h] raise or lower your hand [PgUp/PgDn] message history [?] help [q] quit"
            )
        }
        var text = l.text(
            "[s] démarrer [p] pause/reprise [+/-] ±1 min [d] délibérer [↑↓] critère [←→] compétence [Tab] candidat·e suivant·e [1] atteint [2] partiel [3] non atteint [0] effacer [c] commenter [v] voir le commentaire [a/n] proposer acquis/non acquis [D] décider [S] signer [u] soumettre la grille (salle à l’aveugle) [w/t] écrit/test individuel (salle d’équipe) [e] prolonger (coupure) [x] décisions du président [m] message à la salle [j] au jury [k] main vue [PgUp/PgDn] messages [q] quitter",
            "[s] start [p] pause/resume [+/-] ±1 min [d] deliberate [↑↓] criterion [←→] competence [Tab] next candidate [1] met [2] partly [3] not met [0] clear [c] comment [v] view the comment [a/n] propose acquis/non-acquis [D] decide [S] sign [u] submit the grid (blind room) [w/t] individual written/test (team room) [e] extend (outage) [x] president's decisions [m] message to the room [j] to the jury [k] hand seen [PgUp/PgDn] messages [q] quit"
        )
        if model.role == "admin" { text = l.text("(observation) ", "(observing) ") + text }
        return text
    }

    // MARK: Messages

    /// The messages pane: a title row, then the latest messages wrapped to the width, scrolled back by
    /// `historyScroll` rows.
    /// Every message, wrapped to the width, oldest first.
    static func messageLines(_ model: ConsoleModel, width: Int) -> [String] {
        let l = model.language
        var lines: [String] = []
        for note in model.view.notes where model.role != "candidate" || note.audience == "room" {
            let who = note.audience == "jury" ? "\(note.from) → \(l.text("jury", "jury"))" : note.from
            let hour = Narrator.hour(WireTime.format(note.at)).prefix(5)
            lines += wrap(words: "\(hour) " + l.text("\(who) : ", "\(who): ") + note.text, width, indent: 6)
        }
        return lines
    }

    static func messages(_ model: ConsoleModel, width: Int, height: Int) -> [String] {
        guard height > 0 else { return [] }
        let l = model.language
        let lines = messageLines(model, width: width)
        let room = height - 1
        let scroll = min(model.historyScroll, max(0, lines.count - room))
        let end = lines.count - scroll
        let shown = Array(lines[max(0, end - room)..<max(0, end)])
        var title = l.text("Messages", "Messages")
        if scroll > 0 {
            title += l.text(" — historique, \(scroll) ligne(s) plus récentes en dessous ([PgDn])", " — history, \(scroll) newer row(s) below ([PgDn])")
        } else if lines.count > room {
            title += l.text(" ([PgUp] : plus anciens)", " ([PgUp]: older)")
        }
        var rows = [clip("── " + title + " ", width)]
        rows += shown.isEmpty ? ["  —"] : shown
        return Array(rows.prefix(height))
    }

    // MARK: Checklist

    /// The checklist of the candidate and competence under the cursor, as a viewport of `height` rows that
    /// always holds the cursor.
    static func checklist(_ model: ConsoleModel, width: Int, height: Int, color: Bool) -> [String] {
        let l = model.language
        let view = model.view
        guard height > 0 else { return [] }
        guard let (candidate, item) = model.current else {
            return [clip(l.text("Grille : chargement…", "Checklist: loading…"), width)]
        }
        let cursor = model.cursor
        let other = view.jurors.first { $0 != model.me }
        let mine = model.role == "juror" ? model.me : (view.jurors.first ?? "")
        var head = [
            clip("── " + l.text("Grille", "Checklist") + " — \(candidate) [\(cursor.candidate + 1)/\(view.candidates.count)] · \(item.competence) [\(cursor.competence + 1)/\(view.checklist.count)] · "
                + item.title, width),
        ]
        if let earlier = view.earlier["\(candidate) \(item.competence)"] {
            let word = earlier.decision == .acquis ? l.text("ACQUIS", "ACQUIRED") : l.text("NON ACQUIS", "NOT ACQUIRED")
            head.append(clip(l.text("  Déjà signé : \(word) (salle \(earlier.room), \(dayText(earlier.at)))", "  Already signed: \(word) (room \(earlier.room), \(dayText(earlier.at)))"), width))
        }
        // Below the criteria: the proposal line, and what else concerns this candidate.
        var foot: [String] = []
        let proposal = view.proposals[mine]?["\(candidate) \(item.competence)"]
        let decision = view.decisions["\(candidate) \(item.competence)"]
        let unassessed = item.criteria.filter { view.marks[mine]?["\(candidate) \($0.id)"] == nil }.count
        // The other juror's proposal beside one's own: D decides from one's own, knowing the other's.
        let theirs = other.flatMap { view.proposals[$0]?["\(candidate) \(item.competence)"] }
        foot.append(clip(l.text("  Ma proposition : ", "  My proposal: ") + (proposal ?? "—") + (other.map { " · \($0) : ".replacingOccurrences(of: " : ", with: l.text(" : ", ": ")) + (theirs ?? "—") } ?? "")
            + l.text(" · Décision : ", " · Decision: ") + (decision ?? "—") + l.text(" · Non évalués : \(unassessed)", " · Unassessed: \(unassessed)"), width))
        let criterion = model.currentCriterion
        // Both jurors' comments on the criterion under the cursor; `v` shows them whole.
        let comments = (criterion.map { id in view.jurors.compactMap { juror in view.comments[juror]?["\(candidate) \(id)"].map { (juror, $0) } } } ?? [])
        if let criterion, !comments.isEmpty {
            let text = comments.map { "\($0.0 == model.me ? l.text("moi", "me") : $0.0) — \($0.1)" }.joined(separator: " / ")
            let lead = "  ✎ \(criterion)" + l.text(" : ", ": ")
            if model.showComment {
                foot += wrap(words: lead + text, width, indent: 4).prefix(4)
            } else {
                foot.append(clip(lead + text, max(10, width - 12)) + l.text(" [v] tout", " [v] all"))
            }
        } else if model.showComment, let criterion {
            foot.append(clip(l.text("  ✎ \(criterion) : aucun commentaire", "  ✎ \(criterion): no comment"), width))
        }
        if view.kind == "team" {
            let written = view.evidence["\(candidate) \(EvidencePart.written.rawValue)"] ?? "—"
            let test = view.evidence["\(candidate) \(EvidencePart.test.rawValue)"] ?? "—"
            foot.append(clip(l.text("  Écrit individuel : \(written) · Test 1 h : \(test)", "  Individual written: \(written) · 1 h test: \(test)"), width))
        }
        if view.visibility == "blind" {
            let state = view.jurors.map { "\($0) " + (view.submitted.contains($0) ? "✔" : "·") }.joined(separator: ", ")
            foot.append(clip(l.text("  À l’aveugle — grilles soumises : \(state) ([u] soumettre)", "  Blind — grids submitted: \(state) ([u] submit)"), width))
        }
        if view.state == "deliberation" || view.state == "signed" {
            let differences = disagreements(view)
            foot.append(clip(l.text("  Désaccords : ", "  Disagreements: ") + (differences.isEmpty ? l.text("aucun", "none") : "\(differences.count) — " + differences.prefix(2).joined(separator: " ; ")), width))
            foot.append(clip(l.text("  Signatures : ", "  Signatures: ") + (view.signed.isEmpty ? "—" : view.signed.sorted().joined(separator: ", ")), width))
        }
        // The criteria: a viewport that keeps the cursor in sight, with a row saying what is above or below.
        let room = max(1, height - head.count - foot.count)
        var rows: [String] = []
        for (index, entry) in item.criteria.enumerated() {
            let my = view.marks[mine]?["\(candidate) \(entry.id)"]
            let theirs = other.flatMap { view.marks[$0]?["\(candidate) \(entry.id)"] }
            let pointer = index == cursor.criterion ? "▶" : " "
            let commented = view.comments[mine]?["\(candidate) \(entry.id)"] != nil ? "✎" : " "
            let pending = model.pendingComment.map { $0.candidate == candidate && $0.criterion == entry.id } == true ? "…" : " "
            // A mark typed while the connection was down shows as pending (◌) until the server took it.
            // A refused mark shows "!" until marked again: it must not pass for taken.
            let mine = model.pendingMark(candidate, entry.id) != nil ? "◌" : model.refusedMarks.contains("\(candidate) \(entry.id)") && my == nil ? "!" : symbol(my)
            var line = clip("\(pointer) \(mine) \(symbol(theirs))\(commented)\(pending)\(entry.id) \(entry.text)", width)
            if my == nil, view.lastWarning != nil, color { line = "\u{1B}[33m\(line)\u{1B}[0m" }
            rows.append(line)
        }
        if rows.count > room {
            let visible = max(1, room - 1)
            let start = min(max(0, cursor.criterion - visible / 2), rows.count - visible)
            let above = start
            let below = rows.count - start - visible
            var window = Array(rows[start..<(start + visible)])
            let more = (above > 0 ? l.text("↑ \(above) de plus", "↑ \(above) more") : "") + (above > 0 && below > 0 ? " · " : "") + (below > 0 ? l.text("↓ \(below) de plus", "↓ \(below) more") : "")
            window.append(clip("  " + more, width))
            rows = window
        }
        return head + rows + foot
    }

    /// Candidate × competence where the two jurors' proposals differ or one is missing, as text.
    public static func disagreements(_ view: RoomView) -> [String] {
        guard view.jurors.count == 2 else { return [] }
        var lines: [String] = []
        for candidate in view.candidates {
            for item in view.checklist {
                let key = "\(candidate) \(item.competence)"
                let first = view.proposals[view.jurors[0]]?[key]
                let second = view.proposals[view.jurors[1]]?[key]
                // Decided, or proposed by nobody yet: not a disagreement.
                guard view.decisions[key] == nil, first != nil || second != nil else { continue }
                if first != second {
                    lines.append("\(candidate) \(item.competence): \(view.jurors[0]) \(first ?? "—") / \(view.jurors[1]) \(second ?? "—")")
                }
            }
        }
        return lines
    }

    /// A day as `YYYY-MM-DD` in the terminal's time zone.
    static func dayText(_ date: Date) -> String {
        let components = Calendar(identifier: .gregorian).dateComponents(in: .current, from: date)
        return String(format: "%04d-%02d-%02d", components.year ?? 0, components.month ?? 0, components.day ?? 0)
    }

    static func symbol(_ mark: String?) -> String {
        switch mark.flatMap(Mark.init(rawValue:)) {
        case .met: return "✔"
        case .partlyMet: return "◐"
        case .notMet: return "✘"
        case nil: return "·"
        }
    }

    // MARK: Text

    /// Splits a key map into lines of at most `width` characters, at spaces before `[`.
    static func wrap(_ text: String, _ width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for part in text.components(separatedBy: " [").enumerated().map({ $0.offset == 0 ? $0.element : "[" + $0.element }) {
            if current.isEmpty {
                current = part
            } else if current.count + 1 + part.count <= width {
                current += " " + part
            } else {
                lines.append(clip(current, width))
                current = part
            }
        }
        if !current.isEmpty { lines.append(clip(current, width)) }
        return lines
    }

    /// Wraps text at spaces to `width` (a word longer than a line is cut across lines); lines after the first
    /// start with `indent` spaces.
    public static func wrap(words text: String, _ width: Int, indent: Int = 2) -> [String] {
        let width = max(indent + 4, width)
        var lines: [String] = []
        var current = ""
        func push() {
            lines.append(current)
            current = String(repeating: " ", count: indent)
        }
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            var word = String(word)
            let blank = current.allSatisfy { $0 == " " }
            if !blank, current.count + 1 + word.count > width { push() }
            while current.count + word.count > width {
                let room = width - current.count
                current += word.prefix(room)
                word = String(word.dropFirst(room))
                push()
            }
            current += (current.allSatisfy { $0 == " " } ? "" : " ") + word
        }
        if !current.allSatisfy({ $0 == " " }) || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// `left` and `right` on one row; when they do not fit, `left` is cut so that `right` (the state) stays.
    static func fit(_ left: String, _ right: String, width: Int) -> String {
        let room = max(1, width - columns(right) - 1)
        let shown = clip(left, room)
        return shown + String(repeating: " ", count: max(1, width - columns(shown) - columns(right))) + right
    }

    /// How many terminal columns `text` takes: two for wide characters (emoji such as ⏳ and ✋, CJK), one else.
    public static func columns(_ text: String) -> Int {
        text.reduce(0) { $0 + columns($1) }
    }

    static func columns(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        if scalar.properties.isEmojiPresentation || character.unicodeScalars.contains("\u{FE0F}") { return 2 }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x20000...0x3FFFD:
            return 2
        default: return 1
        }
    }

    /// `text` cut to `width` columns, with "…" when it was cut.
    static func clip(_ text: String, _ width: Int) -> String {
        guard columns(text) > width else { return text }
        var out = ""
        var used = 0
        for character in text {
            let size = columns(character)
            if used + size > max(0, width - 1) { break }
            out.append(character)
            used += size
        }
        return out + "…"
    }

    /// Clips from the left, so that the end of what is being typed stays in sight.
    static func clipLeft(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : "…" + String(text.suffix(max(1, width - 1)))
    }
}
