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
        // An event of a later version, or one whose words are not its type's, is named by its type only.
        guard let typed = event.body else { return "[\(at)] #\(event.seq) \(event.type)" }
        func reason(_ text: String?, _ french: Bool) -> String { text.map { french ? " : \($0)" : ": \($0)" } ?? "" }
        let body: String
        switch typed {
        case .scheduled: body = l.text("Salle planifiée.", "Room scheduled.")
        case .updated(_, let start, let end):
            let from = Self.hour(WireTime.format(start)), to = Self.hour(WireTime.format(end))
            let day = RoomScreen.dayText(start)
            body = l.text("Le planning de la salle a changé : le \(day) de \(from) à \(to).", "The room's plan changed: \(day), \(from) to \(to).")
        case .cancelled(_, let why): body = l.text("Salle annulée\(reason(why, true)).", "Room cancelled\(reason(why, false)).")
        case .opened: body = l.text("La salle est ouverte.", "The room is open.")
        case .joined(let user, let role): body = l.text("\(user) est arrivé·e (\(self.role(role))).", "\(user) joined (\(self.role(role))).")
        case .left(let user, _): body = l.text("\(user) est parti·e.", "\(user) left.")
        case .connectionLost(let user, _): body = l.text("\(user) a perdu la connexion.", "\(user) lost the connection.")
        case .timerStarted(let by, let endsAt):
            let end = Self.hour(WireTime.format(endsAt))
            body = l.text("Le chrono démarre (\(by)). Fin prévue à \(end).", "The clock starts (\(by)). Planned end at \(end).")
        case .timerPaused(let by, _, let why): body = l.text("Chrono en pause (\(by))\(reason(why, true)).", "Clock paused (\(by))\(reason(why, false)).")
        case .timerResumed(let by, _): body = l.text("Le chrono reprend (\(by)).", "The clock resumes (\(by)).")
        case .timeAdjusted(let by, let delta, _, let why):
            let signed = delta > 0 ? "+\(delta)" : String(delta)
            body = l.text("Temps modifié de \(signed) s (\(by))\(reason(why, true)).", "Time changed by \(signed) s (\(by))\(reason(why, false)).")
        case .phase(_, let name, _): body = l.text("Phase : \(name).", "Phase: \(name).")
        case .warning(let seconds):
            let minutes = seconds / 60
            body = minutes > 0
                ? l.text("Attention : plus que \(minutes) min.", "Warning: \(minutes) min left.")
                : l.text("Attention : plus que \(seconds) s.", "Warning: \(seconds) s left.")
        case .overtime: body = l.text("Temps écoulé : dépassement en cours.", "Time is up: overtime.")
        case .message(let from, let audience, let text):
            body = audience == .jury ? l.text("\(from) au jury : \(text)", "\(from) to the jury: \(text)") : l.text("\(from) : \(text)", "\(from): \(text)")
        case .signal(let from, let kind):
            switch kind {
            case .ready: body = l.text("\(from) est prêt·e.", "\(from) is ready.")
            case .hand: body = l.text("\(from) lève la main.", "\(from) raises a hand.")
            case .lower: body = l.text("\(from) baisse la main.", "\(from) lowers their hand.")
            }
        case .acknowledged(let juror, let candidate):
            body = l.text("\(juror) a vu la main levée de \(candidate).", "\(juror) saw \(candidate)'s raised hand.")
        case .outageStarted(let id, let user): body = l.text("Coupure n°\(id) : \(user).", "Outage #\(id): \(user).")
        case .outageEnded(let id, _, let seconds): body = l.text("Fin de la coupure n°\(id) (\(seconds) s).", "Outage #\(id) ended (\(seconds) s).")
        case .downtime(let id, _, let seconds):
            body = l.text("Le serveur a été indisponible \(seconds) s (coupure n°\(id)).", "The server was down for \(seconds) s (outage #\(id)).")
        case .outageCompensated(let id, _, let seconds):
            body = l.text("Coupure n°\(id) compensée : \(seconds) s ajoutées.", "Outage #\(id) compensated: \(seconds) s added.")
        case .deliberation: body = l.text("Le jury délibère.", "The jury is deliberating.")
        case .mark(let juror, let candidate, let criterion, let mark, _):
            let value = self.mark(mark?.rawValue ?? EventBody.cleared)
            body = l.text("\(juror) : \(candidate) \(criterion) → \(value).", "\(juror): \(candidate) \(criterion) → \(value).")
        case .proposal(let juror, let candidate, let competence, let decision, _):
            let value = self.decision(decision?.rawValue ?? EventBody.withdrawn)
            body = l.text("\(juror) propose \(candidate) \(competence) : \(value).", "\(juror) proposes \(candidate) \(competence): \(value).")
        case .gridSubmitted(let juror): body = l.text("\(juror) a soumis sa grille.", "\(juror) submitted their grid.")
        case .decision(_, let candidate, let competence, let decision, _):
            let value = self.decision(decision.rawValue)
            body = l.text("Décision \(candidate) \(competence) : \(value).", "Decision \(candidate) \(competence): \(value).")
        case .signed(let juror, _): body = l.text("\(juror) a signé.", "\(juror) signed.")
        case .signatureWithdrawn(let juror): body = l.text("Signature de \(juror) retirée (la grille a changé).", "\(juror)'s signature withdrawn (the grid changed).")
        case .locked: body = l.text("Résultat signé et verrouillé.", "Result signed and locked.")
        case .reopened(_, let why): body = l.text("Salle rouverte par un administrateur : \(why).", "Room reopened by an admin: \(why).")
        case .evidence(let juror, let candidate, let part, let text):
            let what = part == .written ? l.text("production écrite", "written production") : l.text("test écrit", "written test")
            body = l.text("\(juror) note la \(what) de \(candidate) : \(text)", "\(juror) records \(candidate)'s \(what): \(text)")
        case .observations(let by, let text): body = l.text("Observations du jury (\(by)) : \(text)", "The jury's observations (\(by)): \(text)")
        case .outageDeclined(let id, _, let why):
            body = l.text("Coupure n°\(id) : pas de prolongation — \(why).", "Outage #\(id): no extension — \(why).")
        case .restarted(_, let why): body = l.text("La soutenance reprend à zéro, nouveau chrono : \(why).", "The defence restarts with a new clock: \(why).")
        case .postponed(_, let why): body = l.text("Soutenance reportée : \(why).", "Defence postponed: \(why).")
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
        case "postponed": return language.text("reportée", "postponed")
        default: return name
        }
    }

    func role(_ name: String) -> String {
        switch name {
        case "juror": return language.text("jury", "juror")
        case "candidate": return language.text("candidat·e", "candidate")
        case "admin", "observer": return language.text("observation", "observer")
        default: return name
        }
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
