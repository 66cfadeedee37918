import DefenceProtocol
import Foundation

/// Turns room lines into sentences a person (or a screen reader) can follow, in French or English.
public struct Narrator: Sendable {
    /// The language.
    public var language: Language

    /// Creates a narrator.
    public init(language: Language) {
        self.language = language
    }

    /// `12:05` or `-03:20` for seconds left.
    public static func clock(_ seconds: Double) -> String {
        let total = Int(abs(seconds).rounded(seconds >= 0 ? .up : .down))
        let text = String(format: "%02d:%02d", total / 60, total % 60)
        return seconds < 0 ? "-" + text : text
    }

    /// The time of day of a wire time, `HH:MM:SS` UTC.
    static func hour(_ text: String) -> String {
        guard let date = WireTime.parse(text) else { return text }
        let components = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return String(format: "%02d:%02d:%02d", components.hour ?? 0, components.minute ?? 0, components.second ?? 0)
    }

    /// A sentence for a `SNAPSHOT` or `EVENT` line, or nil for lines that say nothing new.
    public func sentence(_ line: Message) -> String? {
        let l = language
        if let snapshot = SnapshotLine(line) {
            let remaining = snapshot.items["remaining-ms"].flatMap { Double($0) }.map { Self.clock($0 / 1000) } ?? "?"
            let phase = snapshot.items["phase-name"] ?? "?"
            return l.text("Salle \(snapshot.room) : \(state(snapshot.state)), phase \(phase), temps restant \(remaining).",
                          "Room \(snapshot.room): \(state(snapshot.state)), phase \(phase), time left \(remaining).")
        }
        guard let event = EventLine(line) else { return nil }
        let at = Self.hour(event.time)
        let a = event.arguments
        // A line short of the arguments its type has says "?" where they are missing, never traps.
        func arg(_ index: Int) -> String { index < a.count ? a[index] : "?" }
        func option(_ key: String) -> String? {
            a.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        let text = event.hasText ? a.last : nil
        func by() -> String { option("by") ?? "?" }
        let body: String
        switch event.type {
        case "scheduled": body = l.text("Salle planifiée.", "Room scheduled.")
        case "updated": body = l.text("Le planning de la salle a changé.", "The room's plan changed.")
        case "cancelled": body = l.text("Salle annulée\(text.map { " : \($0)" } ?? "").", "Room cancelled\(text.map { ": \($0)" } ?? "").")
        case "opened": body = l.text("La salle est ouverte.", "The room is open.")
        case "joined": body = l.text("\(arg(0)) est arrivé·e (\(role(arg(1)))).", "\(arg(0)) joined (\(role(arg(1)))).")
        case "left": body = l.text("\(arg(0)) est parti·e.", "\(arg(0)) left.")
        case "connection-lost": body = l.text("\(arg(0)) a perdu la connexion.", "\(arg(0)) lost the connection.")
        case "timer-started": body = l.text("Le chrono démarre (\(by())). Fin prévue à \(Self.hour(option("ends-at") ?? "")).", "The clock starts (\(by())). Planned end at \(Self.hour(option("ends-at") ?? "")).")
        case "timer-paused": body = l.text("Chrono en pause (\(by()))\(text.map { " : \($0)" } ?? "").", "Clock paused (\(by()))\(text.map { ": \($0)" } ?? "").")
        case "timer-resumed": body = l.text("Le chrono reprend (\(by())).", "The clock resumes (\(by())).")
        case "time-adjusted":
            let delta = option("delta") ?? "?"
            body = l.text("Temps modifié de \(delta) s (\(by()))\(text.map { " : \($0)" } ?? "").", "Time changed by \(delta) s (\(by()))\(text.map { ": \($0)" } ?? "").")
        case "phase": body = l.text("Phase : \(a.count > 1 ? arg(1) : "?").", "Phase: \(a.count > 1 ? arg(1) : "?").")
        case "warning":
            let minutes = (Int(a.first ?? "") ?? 0) / 60
            body = minutes > 0
                ? l.text("Attention : plus que \(minutes) min.", "Warning: \(minutes) min left.")
                : l.text("Attention : plus que \(a.first ?? "?") s.", "Warning: \(a.first ?? "?") s left.")
        case "overtime": body = l.text("Temps écoulé : dépassement en cours.", "Time is up: overtime.")
        case "message":
            body = a.count > 1 && arg(1) == "jury"
                ? l.text("\(arg(0)) au jury : \(text ?? "")", "\(arg(0)) to the jury: \(text ?? "")")
                : l.text("\(arg(0)) : \(text ?? "")", "\(arg(0)): \(text ?? "")")
        case "signal":
            body = a.count > 1 && arg(1) == "ready"
                ? l.text("\(arg(0)) est prêt·e.", "\(arg(0)) is ready.")
                : l.text("\(arg(0)) lève la main.", "\(arg(0)) raises a hand.")
        case "outage-started": body = l.text("Coupure n°\(arg(0)) : \(a.count > 1 ? arg(1) : "?").", "Outage #\(arg(0)): \(a.count > 1 ? arg(1) : "?").")
        case "outage-ended": body = l.text("Fin de la coupure n°\(arg(0)) (\(a.count > 2 ? arg(2) : "?") s).", "Outage #\(arg(0)) ended (\(a.count > 2 ? arg(2) : "?") s).")
        case "downtime": body = l.text("Le serveur a été indisponible \(a.count > 2 ? arg(2) : "?") s (coupure n°\(a.first ?? "?")).", "The server was down for \(a.count > 2 ? arg(2) : "?") s (outage #\(a.first ?? "?")).")
        case "outage-compensated": body = l.text("Coupure n°\(arg(0)) compensée : \(a.count > 2 ? arg(2) : "?") s ajoutées.", "Outage #\(arg(0)) compensated: \(a.count > 2 ? arg(2) : "?") s added.")
        case "deliberation": body = l.text("Le jury délibère.", "The jury is deliberating.")
        case "mark": body = l.text("\(arg(0)) : \(arg(1)) \(arg(2)) → \(mark(arg(3))).", "\(arg(0)): \(arg(1)) \(arg(2)) → \(mark(arg(3))).")
        case "proposal": body = l.text("\(arg(0)) propose \(arg(1)) \(arg(2)) : \(decision(arg(3))).", "\(arg(0)) proposes \(arg(1)) \(arg(2)): \(decision(arg(3))).")
        case "grid-submitted": body = l.text("\(arg(0)) a soumis sa grille.", "\(arg(0)) submitted their grid.")
        case "decision": body = l.text("Décision \(a.count > 2 ? arg(1) + " " + arg(2) : "") : \(decision(a.last ?? "")).", "Decision \(a.count > 2 ? arg(1) + " " + arg(2) : ""): \(decision(a.last ?? "")).")
        case "signed": body = l.text("\(arg(0)) a signé.", "\(arg(0)) signed.")
        case "signature-withdrawn": body = l.text("Signature de \(arg(0)) retirée (la grille a changé).", "\(arg(0))'s signature withdrawn (the grid changed).")
        case "locked": body = l.text("Résultat signé et verrouillé.", "Result signed and locked.")
        case "reopened": body = l.text("Salle rouverte par un administrateur : \(text ?? "").", "Room reopened by an admin: \(text ?? "").")
        default: body = event.type
        }
        return "[\(at)] #\(event.seq) \(body)"
    }

    func state(_ name: String) -> String {
        switch name {
        case "scheduled": return language.text("planifiée", "scheduled")
        case "open": return language.text("ouverte", "open")
        case "running": return language.text("en cours", "running")
        case "paused": return language.text("en pause", "paused")
        case "deliberation": return language.text("délibération", "deliberation")
        case "signed": return language.text("signée", "signed")
        case "cancelled": return language.text("annulée", "cancelled")
        default: return name
        }
    }

    func role(_ name: String) -> String {
        name == "juror" ? language.text("jury", "juror") : language.text("candidat·e", "candidate")
    }

    func mark(_ name: String) -> String {
        switch Mark(rawValue: name) {
        case .met: return language.text("atteint", "met")
        case .partlyMet: return language.text("partiellement atteint", "partly met")
        case .notMet: return language.text("non atteint", "not met")
        case nil: return language.text("effacé", "cleared")
        }
    }

    func decision(_ name: String) -> String {
        switch Decision(rawValue: name) {
        case .acquis: return language.text("acquis", "acquired")
        case .nonAcquis: return language.text("non acquis", "not acquired")
        case nil: return language.text("retirée", "withdrawn")
        }
    }
}
