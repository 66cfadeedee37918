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
        [
            language.text("Commandes :", "Commands:"),
            "  time                                 " + language.text("état du chrono", "clock state"),
            "  start | pause [motif] | resume       " + language.text("chrono (jury)", "clock (jurors)"),
            "  +60 [motif] | -60 [motif]            " + language.text("ajouter / retirer du temps (jury)", "add / remove time (jurors)"),
            "  say <texte> | jury <texte>           " + language.text("message à la salle / au jury (jury)", "message to the room / to the jury (jurors)"),
            "  ready | hand                         " + language.text("signaler au jury (candidat·e)", "signal the jury (candidates)"),
            "  mark <candidat> <critère> <met|partly-met|not-met|clear> [commentaire]",
            "  propose <candidat> <compétence> <acquis|non-acquis|clear> [commentaire]",
            "  progress | submit | deliberate | disagreements",
            "  decide <candidat> <compétence> <acquis|non-acquis> [commentaire] | sign",
            "  outages | extend <n°>                " + language.text("coupures ; prolonger (président·e)", "outages; extend (president)"),
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
        switch first {
        case "help", "?", "aide": return .help
        case "quit", "exit", "quitter": return .quit
        case "time", "temps": return .send(.time(room: room))
        case "start": return .send(.timerStart(room: room))
        case "pause": return .send(.timerPause(room: room, reason: rest(from: 1)))
        case "resume", "reprise": return .send(.timerResume(room: room))
        case "say": return rest(from: 1).map { .send(.say(room: room, audience: .room, text: $0)) } ?? .problem(usage("say <texte>"))
        case "jury": return rest(from: 1).map { .send(.say(room: room, audience: .jury, text: $0)) } ?? .problem(usage("jury <texte>"))
        case "ready", "prêt", "pret": return .send(.signal(room: room, kind: .ready))
        case "hand", "main": return .send(.signal(room: room, kind: .hand))
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
