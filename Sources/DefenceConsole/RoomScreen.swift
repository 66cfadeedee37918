import DefenceProtocol
import Foundation

/// Everything the screen depends on besides the room itself.
public struct ScreenContext: Sendable {
    /// The local time.
    public var now: Date
    /// Server time minus local time, in seconds, from the last `PING`.
    public var offset: Double
    /// When the clock was last measured; nil if never.
    public var lastSync: Date?
    /// Whether the connection is up.
    public var connected: Bool
    /// The viewer's account role: `candidate`, `juror` or `admin`.
    public var role: String
    /// The viewer's user id.
    public var me: String
    /// The language.
    public var language: Language
    /// The terminal's size.
    public var width: Int
    /// The terminal's height.
    public var height: Int
    /// Whether to use colours (false under `NO_COLOR`).
    public var color: Bool
    /// The juror's cursor in the checklist: candidate, competence, criterion indices.
    public var cursor: (candidate: Int, competence: Int, criterion: Int)
    /// A one-line status (last reply or problem).
    public var status: String?
    /// Text being typed at the prompt (a comment or a message), with its label.
    public var prompt: (label: String, text: String)?

    /// Creates a context.
    public init(
        now: Date, offset: Double, lastSync: Date?, connected: Bool, role: String, me: String, language: Language,
        width: Int, height: Int, color: Bool, cursor: (candidate: Int, competence: Int, criterion: Int) = (0, 0, 0),
        status: String? = nil
    ) {
        self.now = now
        self.offset = offset
        self.lastSync = lastSync
        self.connected = connected
        self.role = role
        self.me = me
        self.language = language
        self.width = width
        self.height = height
        self.color = color
        self.cursor = cursor
        self.status = status
    }

    /// The clock is trusted when connected and measured less than 30 seconds ago.
    public var timeVerified: Bool {
        guard connected, let lastSync else { return false }
        return now.timeIntervalSince(lastSync) < 30
    }
}

/// The full-screen console, as a pure function of the room and the context: one string per screen row.
public enum RoomScreen {
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
    public static func render(_ view: RoomView, _ context: ScreenContext) -> [String] {
        let l = context.language
        let narrator = Narrator(language: l)
        func paint(_ text: String, _ code: String) -> String {
            let text = clip(text, context.width)
            return context.color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
        }
        var rows: [String] = []
        let header = "Defence Rooms — \(l.text("salle", "room")) \(view.room)\(view.title.map { " · \($0)" } ?? "")"
        let state = narrator.state(view.state).uppercased()
        rows.append(paint(fit(header, state, width: context.width), "1"))
        // (every row below is clipped to the terminal's width before it is coloured)
        rows.append(String(repeating: "─", count: max(10, min(context.width, 120))))

        // The clock.
        let serverNow = context.now.addingTimeInterval(context.offset)
        let remaining = view.remaining(serverNow: serverNow)
        rows.append(clip(l.text("Phase : ", "Phase: ") + (view.phaseName.isEmpty ? "—" : view.phaseName), context.width))
        let clockText = remaining.map(Narrator.clock) ?? "--:--"
        var style = "1"
        if view.overtime || (remaining ?? 1) < 0 { style = "1;31" } else if let left = remaining, let warning = view.lastWarning, left <= Double(warning) { style = "1;33" }
        for line in big(clockText) { rows.append("  " + paint(line, style)) }
        var clockNote = ""
        if view.overtime || (remaining ?? 1) < 0 {
            clockNote = l.text("DÉPASSEMENT — le temps prévu est écoulé", "OVERTIME — the planned time is over")
        } else if view.state == "paused" {
            clockNote = l.text("EN PAUSE", "PAUSED")
        } else if let warning = view.lastWarning, let left = remaining, left <= Double(warning) {
            clockNote = l.text("Attention : moins de \(max(1, warning / 60)) min", "Warning: under \(max(1, warning / 60)) min left")
        }
        if !clockNote.isEmpty { rows.append(paint(clockNote, style)) }

        // Honesty about time.
        if context.timeVerified, let lastSync = context.lastSync {
            let age = Int(context.now.timeIntervalSince(lastSync))
            rows.append(clip(l.text("Heure vérifiée avec le serveur il y a \(age) s", "Time checked with the server \(age) s ago"), context.width))
        } else if !context.connected {
            rows.append(paint(l.text("⚠ CONNEXION PERDUE — reconnexion en cours ; heure non vérifiée", "⚠ CONNECTION LOST — reconnecting; time not verified"), "1;41;97"))
        } else {
            let age = context.lastSync.map { " (\(Int(context.now.timeIntervalSince($0))) s)" } ?? ""
            rows.append(paint(l.text("⚠ HEURE NON VÉRIFIÉE\(age)", "⚠ TIME NOT VERIFIED\(age)"), "1;41;97"))
        }
        rows.append("")
        rows.append(clip(l.text("Présents : ", "Present: ") + (view.present.isEmpty ? "—" : view.present.sorted().joined(separator: ", ")), context.width))

        // Messages (candidates only ever receive room messages).
        rows.append(l.text("Messages :", "Messages:"))
        let shown = view.notes.suffix(context.role == "candidate" ? 6 : 3)
        if shown.isEmpty { rows.append("  —") }
        for note in shown {
            let who = note.audience == "jury" ? "\(note.from) → \(l.text("jury", "jury"))" : note.from
            rows.append(clip("  \(who) : \(note.text)", context.width))
        }

        if context.role == "juror" || context.role == "admin" {
            rows.append("")
            if !view.signals.isEmpty {
                let last = view.signals.suffix(3).map { "\($0.from) \($0.kind == "ready" ? l.text("prêt·e", "ready") : l.text("✋ main levée", "✋ hand raised"))" }
                rows.append(paint(l.text("Signaux : ", "Signals: ") + last.joined(separator: " · "), "33"))
            }
            rows += checklist(view, context)
        }

        rows.append("")
        if let prompt = context.prompt {
            rows.append(clip("\(prompt.label) › \(prompt.text)▏", context.width))
        } else if let status = context.status {
            rows.append(clip(status, context.width))
        }
        let keyRows = wrap(keys(context), context.width)
        rows += keyRows
        if rows.count > context.height {
            rows = Array(rows.prefix(max(1, context.height - keyRows.count))) + keyRows.suffix(max(1, min(keyRows.count, context.height - 1)))
        }
        return rows
    }

    static func checklist(_ view: RoomView, _ context: ScreenContext) -> [String] {
        let l = context.language
        guard !view.checklist.isEmpty, !view.candidates.isEmpty else {
            return [l.text("Grille : chargement…", "Checklist: loading…")]
        }
        let candidate = view.candidates[min(context.cursor.candidate, view.candidates.count - 1)]
        let item = view.checklist[min(context.cursor.competence, view.checklist.count - 1)]
        let other = view.jurors.first { $0 != context.me }
        var rows = [
            clip(l.text("Grille — candidat·e ", "Checklist — candidate ") + "\(candidate) [\(context.cursor.candidate + 1)/\(view.candidates.count)]"
                + " · \(item.competence) [\(context.cursor.competence + 1)/\(view.checklist.count)]", context.width),
            clip("  " + item.title, context.width),
        ]
        if let earlier = view.earlier["\(candidate) \(item.competence)"] {
            let word = earlier.decision == .acquis ? l.text("ACQUIS", "ACQUIRED") : l.text("NON ACQUIS", "NOT ACQUIRED")
            let day = dayText(earlier.at)
            rows.append(clip(l.text("  Déjà signé : \(word) (salle \(earlier.room), \(day))", "  Already signed: \(word) (room \(earlier.room), \(day))"), context.width))
        }
        let mine = context.role == "juror" ? context.me : (view.jurors.first ?? "")
        var unassessed = 0
        for (index, criterion) in item.criteria.enumerated() {
            let my = view.marks[mine]?["\(candidate) \(criterion.id)"]
            let theirs = other.flatMap { view.marks[$0]?["\(candidate) \(criterion.id)"] }
            if my == nil { unassessed += 1 }
            let pointer = index == context.cursor.criterion ? "▶" : " "
            let line = "\(pointer) \(symbol(my)) \(symbol(theirs)) \(criterion.id) \(criterion.text)"
            var rendered = clip(line, context.width)
            if my == nil, view.lastWarning != nil, context.color { rendered = "\u{1B}[33m\(rendered)\u{1B}[0m" }
            rows.append(rendered)
        }
        let proposal = view.proposals[mine]?["\(candidate) \(item.competence)"]
        let decision = view.decisions["\(candidate) \(item.competence)"]
        rows.append(clip(l.text("  Ma proposition : ", "  My proposal: ") + (proposal ?? "—") + l.text(" · Décision : ", " · Decision: ") + (decision ?? "—")
            + l.text(" · Non évalués : \(unassessed)", " · Unassessed: \(unassessed)"), context.width))
        if view.kind == "team" {
            let written = view.evidence["\(candidate) \(EvidencePart.written.rawValue)"] ?? "—"
            let test = view.evidence["\(candidate) \(EvidencePart.test.rawValue)"] ?? "—"
            rows.append(clip(l.text("  Écrit individuel : \(written) · Test 1 h : \(test)", "  Individual written: \(written) · 1 h test: \(test)"), context.width))
        }
        if view.state == "deliberation" || view.state == "signed" {
            let differences = disagreements(view)
            rows.append(l.text("  Désaccords : ", "  Disagreements: ") + (differences.isEmpty ? l.text("aucun", "none") : "\(differences.count)"))
            for line in differences.prefix(6) { rows.append(clip("    " + line, context.width)) }
            rows.append(l.text("  Signatures : ", "  Signatures: ") + (view.signed.isEmpty ? "—" : view.signed.sorted().joined(separator: ", ")))
        }
        return rows
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
                if first == nil || first != second {
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

    /// The key map shown at the bottom.
    public static func keys(_ context: ScreenContext) -> String {
        let l = context.language
        switch context.role {
        case "candidate":
            return l.text("[r] prêt·e  [h] lever la main  [q] quitter", "[r] ready  [h] raise hand  [q] quit")
        default:
            return l.text(
                "[s] démarrer [p] pause/reprise [+/-] ±1 min [e] prolonger (coupure) [↑↓] critère [←→] compétence [tab] candidat·e [1] atteint [2] partiel [3] non atteint [0] effacer [c] commenter [a/n] proposer [w/t] écrit/test individuel [m] message [j] au jury [d] délibérer [D] décider [S] signer [x] décisions du président [q] quitter",
                "[s] start [p] pause/resume [+/-] ±1 min [e] extend (outage) [↑↓] criterion [←→] competence [tab] candidate [1] met [2] partly [3] not met [0] clear [c] comment [a/n] propose [w/t] individual written/test [m] message [j] to jury [d] deliberate [D] decide [S] sign [x] president's decisions [q] quit"
            )
        }
    }

    /// Splits text into lines of at most `width` characters, at spaces before `[`.
    static func wrap(_ text: String, _ width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for part in text.components(separatedBy: " [") .enumerated().map({ $0.offset == 0 ? $0.element : "[" + $0.element }) {
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

    static func fit(_ left: String, _ right: String, width: Int) -> String {
        let space = max(1, width - left.count - right.count)
        return clip(left + String(repeating: " ", count: space) + right, width)
    }

    static func clip(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(max(1, width - 1))) + "…"
    }
}
