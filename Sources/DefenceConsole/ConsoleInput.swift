import DefenceProtocol

/// Reads what a person types in the plain console into protocol commands for the room.
public enum ConsoleInput {
    /// The outcome of a typed line.
    public enum Action: Equatable, Sendable {
        /// Send this command.
        case send(Command)
        /// Print the help.
        case help
        /// Leave the console.
        case quit
        /// Say this to the person (an unknown word, a missing argument).
        case problem(String)
        /// Nothing (blank line).
        case nothing
    }

    /// The commands, for `help`.
    public static func help(_ language: Language) -> [String] {
        let fr = language == .fr
        func w(_ french: String, _ english: String) -> String { fr ? french : english }
        return [
            w("Commandes :", "Commands:"),
            "  time                                 " + w("état du chrono", "clock state"),
            "  start | pause [\(w("motif", "reason"))] | resume" + (fr ? "        " : "       ") + w("chrono (jury)", "clock (jurors)"),
            "  +60 [\(w("motif", "reason"))] | -60 [\(w("motif", "reason"))]" + (fr ? "            " : "          ") + w("ajouter / retirer du temps (jury)", "add / remove time (jurors)"),
            "  say <\(w("texte", "text"))> | jury <\(w("texte", "text"))>" + (fr ? "         " : "           ") + w("message à la salle / au jury (jury)", "message to the room / to the jury (jurors)"),
            "  ready | hand | lower                 " + w("signaler au jury ; baisser la main (candidat·e)", "signal the jury; lower your hand (candidates)"),
            "  seen <\(w("candidat", "candidate"))>" + (fr ? "                      " : "                     ") + w("main levée vue (jury)", "raised hand seen (jurors)"),
            "  history [n]                          " + w("les derniers messages et signaux", "the latest messages and signals"),
            "  mark <\(w("candidat", "candidate"))> <\(w("critère", "criterion"))> <met|partly-met|not-met|clear> [\(w("commentaire", "comment"))]",
            "  propose <\(w("candidat", "candidate"))> <\(w("compétence", "competence"))> <acquis|non-acquis|clear> [\(w("commentaire", "comment"))]",
            "  evidence <\(w("candidat", "candidate"))> <written|test> <\(w("texte", "text"))>   " + w("épreuves écrites individuelles (salle d’équipe)", "individual written parts (team room)"),
            "  progress | submit | deliberate | disagreements",
            "  decide <\(w("candidat", "candidate"))> <\(w("compétence", "competence"))> <acquis|non-acquis> [\(w("commentaire", "comment"))] | sign",
            "  outages | extend <n°>                " + w("coupures ; prolonger (président·e)", "outages; extend (president)"),
            "  decline <n°> <\(w("motif", "reason"))>                " + w("ne pas prolonger (président·e)", "do not extend (president)"),
            "  restart <\(w("motif", "reason"))> | postpone <\(w("motif", "reason"))>" + (fr ? "    " : "  ") + w("reprendre à zéro / reporter (président·e)", "restart from zero / postpone (president)"),
            "  observations <\(w("texte", "text"))>" + (fr ? "                " : "                 ") + w("observations du jury pour le PV (président·e)", "the jury's observations for the PV (president)"),
            "  quit",
        ]
    }

    /// Parses one typed line for `room`.
    public static func parse(_ line: String, room: String, language: Language) -> Action {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let first = words.first?.lowercased() else { return .nothing }
        func rest(from index: Int) -> String? {
            guard words.count > index else { return nil }
            return words[index...].joined(separator: " ")
        }
        func usage(_ text: String) -> String { language.text("Usage : ", "Usage: ") + text }
        let reasonWord = language.text("motif", "reason")
        let textWord = language.text("texte", "text")
        switch first {
        case "help", "?", "aide": return .help
        case "quit", "exit", "quitter": return .quit
        case "time", "temps": return .send(.time(room: room))
        case "start": return .send(.timerStart(room: room))
        case "pause": return .send(.timerPause(room: room, reason: rest(from: 1)))
        case "resume", "reprise": return .send(.timerResume(room: room))
        case "say": return rest(from: 1).map { .send(.say(room: room, audience: .room, text: $0)) } ?? .problem(usage("say <\(textWord)>"))
        case "jury": return rest(from: 1).map { .send(.say(room: room, audience: .jury, text: $0)) } ?? .problem(usage("jury <\(textWord)>"))
        case "observations": return rest(from: 1).map { .send(.observations(room: room, text: $0)) } ?? .problem(usage("observations <\(textWord)>"))
        case "restart": return rest(from: 1).map { .send(.restart(room: room, reason: $0)) } ?? .problem(usage("restart <\(reasonWord)>"))
        case "postpone": return rest(from: 1).map { .send(.postpone(room: room, reason: $0)) } ?? .problem(usage("postpone <\(reasonWord)>"))
        case "decline":
            guard words.count >= 3, let id = Int(words[1]), let reason = rest(from: 2) else { return .problem(usage("decline <n°> <\(reasonWord)>")) }
            return .send(.outageDecline(room: room, outage: id, reason: reason))
        case "evidence":
            let text = "evidence <\(language.text("candidat", "candidate"))> <\(EvidencePart.allCases.map(\.rawValue).joined(separator: "|"))> <\(textWord)>"
            guard words.count >= 4, let part = EvidencePart(rawValue: words[2].lowercased()), let body = rest(from: 3) else { return .problem(usage(text)) }
            return .send(.evidence(room: room, candidate: words[1], part: part, text: body))
        case "ready", "prêt", "pret": return .send(.signal(room: room, kind: .ready))
        case "hand", "main": return .send(.signal(room: room, kind: .hand))
        case "lower", "baisser": return .send(.signal(room: room, kind: .lower))
        case "seen", "vu":
            guard words.count == 2 else { return .problem(usage("seen <\(language.text("candidat", "candidate"))>")) }
            return .send(.acknowledge(room: room, candidate: words[1]))
        case "history", "historique":
            guard words.count <= 2 else { return .problem(usage("history [n]")) }
            guard words.count == 2 else { return .send(.history(room: room, limit: nil)) }
            guard let limit = Int(words[1]), (1...Command.maxHistory).contains(limit) else { return .problem(usage("history [1-\(Command.maxHistory)]")) }
            return .send(.history(room: room, limit: limit))
        case "progress": return .send(.progress(room: room))
        case "submit": return .send(.submit(room: room))
        case "deliberate": return .send(.deliberate(room: room))
        case "disagreements": return .send(.disagreements(room: room))
        case "sign": return .send(.sign(room: room))
        case "outages": return .send(.outages(room: room))
        case "extend":
            guard words.count == 2, let id = Int(words[1]) else { return .problem(usage("extend <n°>")) }
            return .send(.outageExtend(room: room, outage: id))
        case "mark":
            let text = "mark <candidat> <critère> <\(Mark.allCases.map(\.rawValue).joined(separator: "|"))|\(Mark.clear)> [commentaire]"
            guard words.count >= 4, let mark = Mark.parse(clearable: words[3]) else { return .problem(usage(text)) }
            return .send(.mark(room: room, candidate: words[1], criterion: words[2], mark: mark, comment: rest(from: 4)))
        case "propose":
            let text = "propose <candidat> <compétence> <\(Decision.allCases.map(\.rawValue).joined(separator: "|"))|\(Decision.clear)> [commentaire]"
            guard words.count >= 4, let decision = Decision.parse(clearable: words[3]) else { return .problem(usage(text)) }
            return .send(.propose(room: room, candidate: words[1], competence: words[2], decision: decision, comment: rest(from: 4)))
        case "decide":
            let text = "decide <candidat> <compétence> <\(Decision.allCases.map(\.rawValue).joined(separator: "|"))> [commentaire]"
            guard words.count >= 4, let decision = Decision(rawValue: words[3]) else { return .problem(usage(text)) }
            return .send(.decide(room: room, candidate: words[1], competence: words[2], decision: decision, comment: rest(from: 4)))
        default:
            if let sign = first.first, sign == "+" || sign == "-", let seconds = Int(first.dropFirst()), seconds > 0 {
                return .send(.timerAdjust(room: room, seconds: sign == "+" ? seconds : -seconds, reason: rest(from: 1)))
            }
            return .problem(language.text("Commande inconnue « \(first) » ; tapez help.", "Unknown command '\(first)'; type help."))
        }
    }
}
