import DefenceProtocol
import Foundation

/// A room's procès-verbal: every element the certification needs, in French or English, with local times, so that
/// the printed page stands on its own as the jury's record.
public struct ProcesVerbal: Sendable {
    /// The document.
    public let document: RecordDocument

    /// Builds the PV of a room.
    ///
    /// - Parameters:
    ///   - state: the room, folded from its events.
    ///   - events: the room's events, in order.
    ///   - referential: the referential version the room was created with.
    ///   - people: the accounts of the room's participants and of whoever acted on it, by id.
    ///   - earlier: for each candidate and competence, the decision already signed in another room (shown beside
    ///     a final defence's competences).
    ///   - fingerprint: the last link of the room's event hash chain.
    ///   - generatedAt: when the document is produced.
    ///   - language: the document's language.
    ///   - timeZone: the zone times are written in.
    public init(
        state: RoomState, events: [RoomEvent], referential: Referential, people: [String: User],
        earlier: [String: [String: SignedDecision]] = [:], fingerprint: String, generatedAt: Date, language: RecordLanguage,
        timeZone: TimeZone
    ) {
        let l = language
        let clock = RecordClock(timeZone: timeZone, language: language)
        let plan = state.plan
        let records = state.records
        func name(_ id: String?) -> String {
            guard let id else { return l.text("serveur", "server") }
            guard let user = people[id] else { return id }
            return "\(user.recordName) (\(id))"
        }
        func time(_ date: Date?) -> String { clock.time(date) }
        // French puts a space before a colon; English does not.
        let colon = l.text(" : ", ": ")
        func decided(_ decision: Decision) -> String { decision == .acquis ? l.text("ACQUIS", "ACQUIRED") : l.text("NON ACQUIS", "NOT ACQUIRED") }
        let epreuve = referential.epreuve(plan.epreuve)
        let kind: String = switch plan.kind {
        case .team: l.text("soutenance par équipe (MSPR)", "team defence (MSPR)")
        case .individual: l.text("soutenance individuelle (dossier professionnel)", "individual defence (professional dossier)")
        case .final: l.text("soutenance finale (rapport d’activité / dossier professionnel)", "final defence (activity report / professional dossier)")
        }
        let title = l.text("Procès-verbal de soutenance", "Defence report (procès-verbal)")
        let heading = plan.kind == .final
            ? (referential.finalAssessment?.title ?? l.text("Soutenance finale", "Final defence"))
            : epreuve.map { l.text("Épreuve \($0.number) : \($0.title)", "Assessment (épreuve) \($0.number): \($0.title)") } ?? "Épreuve \(plan.epreuve)"
        // What the events say that the state does not keep: the clock that counted after a restart, the day the
        // defence was held, the decisions signed before a reopening, the extensions granted.
        let starts = events.compactMap { event -> Date? in if case .timerStarted = event.kind { return event.at } else { return nil } }
        let countedStart = starts.last
        var heldDay = ""
        if let countedStart, clock.day(countedStart) != clock.day(plan.start) {
            heldDay = l.text(" (prévue) ; tenue le ", " (planned); held on ") + clock.day(countedStart)
        }
        var actual = l.text("Horaires réels : début ", "Actual: start ") + time(countedStart) + l.text(", fin ", ", end ") + time(state.endedAt)
        if starts.count > 1, let first = starts.first {
            actual += l.text(" (reprise à zéro ; premier départ \(time(first)))", " (restarted from zero; first start \(time(first)))")
        }
        var blocks: [RecordDocument.Block] = [
            .heading(1, title),
            .paragraph("\(referential.title) — \(heading)"),
            .list([
                l.text("Salle : ", "Room: ") + plan.id + (plan.title.map { " — \($0)" } ?? ""),
                l.text("Type : ", "Kind: ") + kind,
                l.text("Date : ", "Date: ") + clock.day(plan.start) + heldDay,
                l.text("Horaires prévus : ", "Planned: ") + "\(time(plan.start)) – \(time(plan.end)) (\(plan.durationSeconds / 60) min\(colon)"
                    + plan.phases.map { "\($0.name) \($0.seconds / 60) min" }.joined(separator: ", ") + ")",
                actual,
                l.text("Heures en heure locale : ", "Times are local: ") + clock.zone(at: plan.start),
                l.text("Visibilité des notes : ", "Scoring visibility: ") + (plan.visibility == .live ? l.text("en direct", "live") : l.text("à l’aveugle", "blind")),
                l.text("État : ", "State: ") + Self.state(state.lifecycle, l),
                l.text("Référentiel (SHA-256) : ", "Referential (SHA-256): ") + plan.referentialHash,
            ]),
            .heading(2, l.text("Jury", "Jury")),
            .list(plan.jurors.map { juror in
                name(juror) + (people[juror]?.fields.capacity.map { " — \($0)" } ?? "")
                    + (juror == plan.president ? l.text(" — président(e) du jury", " — president of the jury") : "")
            }),
            .heading(2, l.text("Candidats", "Candidates")),
            .table(
                header: [l.text("Nom", "Name"), l.text("Identifiant", "User id"), l.text("N° de candidat", "Candidate number"), l.text("Filière", "Track")],
                rows: plan.candidates.map { candidate in
                    let user = people[candidate]
                    let track = user?.fields.track.flatMap { referential.specialisation(track: $0) }
                    return [user?.recordName ?? candidate, candidate, user?.fields.number ?? "—", track.map { "\($0.title) (\($0.trackID))" } ?? "—"]
                }
            ),
        ]

        // Timeline: the clock, what changed it, and the president's decisions.
        var timeline: [[String]] = []
        var postponed = false
        var plannedStart: Date?
        let compensated = Set(events.compactMap { event -> Int? in if case .outageCompensated(let id, _, _) = event.kind { return id } else { return nil } })
        var decisionsSoFar: [GridKey: Decision] = [:]
        var signedBeforeReopening: [(at: Date, decisions: [GridKey: Decision])] = []
        var extensions: [(at: Date, by: String, id: Int, seconds: Int)] = []
        for event in events {
            let at = time(event.at)
            switch event.kind {
            case .scheduled(let scheduled): plannedStart = scheduled.start
            case .decided(_, let candidate, let competence, let decision, _): decisionsSoFar[GridKey(candidate: candidate, item: competence)] = decision
            case .outageCompensated(let id, let by, let seconds): extensions.append((event.at, by, id, seconds))
            default: break
            }
            switch event.kind {
            case .timerStarted(let by, _): timeline.append([at, l.text("Début", "Start"), name(by), ""])
            case .timerPaused(let by, _, let reason): timeline.append([at, l.text("Pause", "Pause"), name(by), reason ?? ""])
            case .timerResumed(let by, _): timeline.append([at, l.text("Reprise", "Resume"), name(by), ""])
            case .timeAdjusted(let by, let seconds, let reason):
                let what = seconds > 0 ? l.text("Temps ajouté : \(seconds) s", "Time added: \(seconds) s") : l.text("Temps retiré : \(-seconds) s", "Time removed: \(-seconds) s")
                // The server names an extension for an outage "outage <id>": said in the record's language.
                var why = reason ?? ""
                if let reason, reason.hasPrefix("outage "), let id = Int(reason.dropFirst(7)), compensated.contains(id) {
                    why = l.text("compensation de la coupure n°\(id)", "compensation of outage #\(id)")
                }
                timeline.append([at, what, name(by), why])
            case .overtime: timeline.append([at, l.text("Temps prévu écoulé", "Planned time over"), "", ""])
            case .deliberationStarted(let by): timeline.append([at, l.text("Fin de la soutenance, délibération", "End of the defence, deliberation"), name(by), ""])
            case .cancelled(let by, let reason): timeline.append([at, l.text("Annulation", "Cancelled"), name(by), reason ?? ""])
            case .reopened(let by, let reason):
                signedBeforeReopening.append((event.at, decisionsSoFar))
                timeline.append([at, l.text("Réouverture", "Reopened"), name(by), reason])
            case .restarted(let by, let reason):
                timeline.append([at, l.text("Soutenance reprise à zéro (nouveau chrono)", "Defence restarted (new clock)"), name(by), reason])
            case .postponed(let by, let reason):
                postponed = true
                timeline.append([at, l.text("Soutenance reportée", "Defence postponed"), name(by), reason])
            case .updated(let newPlan) where postponed:
                // A postponed defence given its new date, by the staff (ROOM-UPDATE is an admin's).
                postponed = false
                let before = plannedStart.map { l.text(" (au lieu de \(time($0)))", " (instead of \(time($0)))") } ?? ""
                timeline.append([at, l.text("Nouvelle date : début ", "New date: start ") + time(newPlan.start) + before, l.text("administration", "staff"), ""])
                plannedStart = newPlan.start
            case .updated(let newPlan):
                plannedStart = newPlan.start
            default: break
            }
        }
        blocks.append(.heading(2, l.text("Déroulement", "Timeline")))
        blocks.append(timeline.isEmpty
            ? .paragraph(l.text("Aucun événement d’horloge.", "No clock event."))
            : .table(header: [l.text("Heure", "Time"), l.text("Événement", "Event"), l.text("Par", "By"), l.text("Motif", "Reason")], rows: timeline))

        blocks.append(.heading(2, l.text("Incidents de connexion", "Connection incidents")))
        if state.outages.isEmpty {
            blocks.append(.paragraph(l.text("Aucune coupure pendant la soutenance.", "No outage during the defence.")))
        } else {
            let declined = Dictionary(records.decisions.filter { $0.kind == .declinedOutage }.compactMap { decision in decision.outage.map { ($0, decision) } }, uniquingKeysWith: { $1 })
            blocks.append(.table(
                header: [l.text("N°", "No."), l.text("Personne", "Person"), l.text("Début", "From"), l.text("Fin", "To"), l.text("Durée (s)", "Length (s)"), l.text("Décision du président", "President's decision")],
                rows: state.outages.map { outage in
                    let decision: String
                    if let seconds = outage.compensatedSeconds {
                        decision = l.text("temps prolongé de \(seconds) s", "time extended by \(seconds) s")
                    } else if let refusal = declined[outage.id] {
                        decision = l.text("pas de prolongation (\(time(refusal.at))) : \(refusal.reason)", "no extension (\(time(refusal.at))): \(refusal.reason)")
                    } else {
                        decision = outage.to == nil ? l.text("coupure en cours", "outage under way") : l.text("aucune décision", "no decision")
                    }
                    return [String(outage.id), outage.user.map(name) ?? l.text("arrêt du serveur", "server down"), time(outage.from), time(outage.to), outage.seconds.map(String.init) ?? "—", decision]
                }
            ))
        }

        // Every decision of the president, extensions included, in the order taken.
        var presidentDecisions: [(at: Date, text: String)] = records.decisions.map { decision in
            let what: String = switch decision.kind {
            case .declinedOutage: l.text("ne pas prolonger le temps pour la coupure n°\(decision.outage ?? 0)", "not to extend the time for outage #\(decision.outage ?? 0)")
            case .restarted: l.text("reprendre la soutenance à zéro", "to restart the defence")
            case .postponed: l.text("reporter la soutenance", "to postpone the defence")
            }
            return (decision.at, "\(time(decision.at)) — \(name(decision.by))\(colon)\(what) — \(l.text("motif", "reason"))\(colon)\(decision.reason)")
        }
        presidentDecisions += extensions.map { granted in
            (granted.at, "\(time(granted.at)) — \(name(granted.by))\(colon)" + l.text("prolonger le temps de \(granted.seconds) s pour la coupure n°\(granted.id)", "to extend the time by \(granted.seconds) s for outage #\(granted.id)"))
        }
        if !presidentDecisions.isEmpty {
            blocks.append(.heading(2, l.text("Décisions du président du jury", "Decisions of the jury's president")))
            blocks.append(.list(presidentDecisions.sorted { $0.at < $1.at }.map(\.text)))
        }

        if !records.evidence.isEmpty {
            blocks.append(.heading(2, l.text("Épreuves écrites individuelles (MSPR)", "Individual written parts (MSPR)")))
            blocks.append(.table(
                header: [l.text("Candidat", "Candidate"), l.text("Partie", "Part"), l.text("Constat du jury", "Jury's record"), l.text("Noté par", "By")],
                rows: plan.candidates.flatMap { candidate in
                    EvidencePart.allCases.compactMap { part -> [String]? in
                        guard let evidence = records.evidence.first(where: { $0.candidate == candidate && $0.part == part }) else { return nil }
                        let label = part == .written ? l.text("production écrite individuelle", "individual written production") : l.text("test écrit individuel (1 h)", "individual written test (1 h)")
                        return [name(candidate), label, evidence.text, "\(name(evidence.by)), \(time(evidence.at))"]
                    }
                }
            ))
        }

        blocks.append(.heading(2, l.text("Décisions", "Decisions")))
        for candidate in plan.candidates {
            blocks.append(.heading(3, name(candidate)))
            for code in plan.competences {
                let competence = referential.competence(code)
                blocks.append(.heading(4, "\(code) — \(competence?.title ?? "")"))
                let key = GridKey(candidate: candidate, item: code)
                if let decision = state.decisions[key] {
                    blocks.append(.paragraph(l.text("Décision : ", "Decision: ") + decided(decision.value) + (decision.comment.map { " — \($0)" } ?? "")))
                } else {
                    blocks.append(.paragraph(l.text("Décision : non prise", "Decision: not taken")))
                }
                if let before = earlier[candidate]?[code] {
                    blocks.append(.paragraph(
                        l.text("Décision déjà signée : ", "Decision already signed: ") + decided(before.decision)
                            + l.text(" (salle \(before.room), signée le \(time(before.signedAt)))", " (room \(before.room), signed \(time(before.signedAt)))")
                    ))
                }
                var proposals: [String] = []
                for juror in plan.jurors {
                    if let proposal = state.proposals[juror]?[key] {
                        let value = proposal.value == .acquis ? l.text("acquis", "acquired") : l.text("non acquis", "not acquired")
                        proposals.append(l.text("Proposition de ", "Proposal of ") + name(juror) + colon + value + (proposal.comment.map { " — \($0)" } ?? ""))
                    }
                }
                if !proposals.isEmpty { blocks.append(.list(proposals)) }
                let rows = (competence?.criteria ?? []).map { criterion -> [String] in
                    [criterion.id, criterion.text] + plan.jurors.map { juror in
                        guard let mark = state.marks[juror]?[GridKey(candidate: candidate, item: criterion.id)] else { return "—" }
                        let label: String = switch mark.value {
                        case .met: l.text("atteint", "met")
                        case .partlyMet: l.text("partiellement atteint", "partly met")
                        case .notMet: l.text("non atteint", "not met")
                        }
                        return label + (mark.comment.map { " — \($0)" } ?? "")
                    }
                }
                blocks.append(.table(header: [l.text("Critère", "Criterion"), l.text("Texte", "Text")] + plan.jurors.map(name), rows: rows))
            }
        }

        blocks.append(.heading(2, l.text("Observations du jury", "The jury's observations")))
        if let observations = records.observations {
            blocks.append(.paragraph(observations.text))
            blocks.append(.paragraph(l.text("Rédigées par ", "Written by ") + name(observations.by) + l.text(" le ", ", ") + time(observations.at)))
        } else {
            blocks.append(.paragraph(l.text("Aucune observation.", "No observation.")))
        }

        if !state.reopenings.isEmpty {
            blocks.append(.heading(2, l.text("Réouvertures", "Reopenings")))
            blocks.append(.list(state.reopenings.map { "\(time($0.at)) — \(name($0.by))\(colon)\($0.reason)" }))
            // What the reopening changed: the decisions signed before it that differ now.
            var changes: [String] = []
            for reopening in signedBeforeReopening {
                for (key, before) in reopening.decisions.sorted(by: { ($0.key.candidate, $0.key.item) < ($1.key.candidate, $1.key.item) }) {
                    let now = state.decisions[key]?.value
                    guard now != before else { continue }
                    changes.append(l.text("\(name(key.candidate)), \(key.item) : signée \(decided(before)) avant la réouverture du \(time(reopening.at)), maintenant ", "\(name(key.candidate)), \(key.item): signed \(decided(before)) before the reopening of \(time(reopening.at)), now ")
                        + (now.map(decided) ?? l.text("non prise", "not taken")))
                }
            }
            if !changes.isEmpty {
                blocks.append(.paragraph(l.text("Décisions modifiées après réouverture :", "Decisions changed after a reopening:")))
                blocks.append(.list(changes))
            }
        }

        blocks.append(.heading(2, l.text("Signatures", "Signatures")))
        if state.signatures.isEmpty {
            blocks.append(.paragraph(l.text("Non signé.", "Not signed.")))
        } else {
            blocks.append(.list(plan.jurors.compactMap { juror in
                state.signatures[juror].map { name(juror) + l.text(" — signé le ", " — signed ") + time($0.at) + l.text(" (grille ", " (grid ") + $0.gridHash + ")" }
            }))
        }
        let withdrawn = state.signatureHistory.filter { old in state.signatures[old.juror] != old }
        if !withdrawn.isEmpty {
            blocks.append(.paragraph(
                l.text("Signatures retirées (grille modifiée ou salle rouverte) : ", "Signatures withdrawn (the grid changed or the room was reopened): ")
                    + withdrawn.map { "\(name($0.juror)) (\(time($0.at)))" }.joined(separator: ", ")
            ))
        }

        blocks.append(.heading(2, l.text("Empreinte du journal", "Log fingerprint")))
        blocks.append(.paragraph(l.text(
            "Journal de la salle : \(state.lastSeq) événements ; empreinte SHA-256 du dernier maillon : \(fingerprint). Vérification : defence-server audit verify --room \(plan.id) --at \(state.lastSeq)",
            "The room's log: \(state.lastSeq) events; SHA-256 fingerprint of the last link: \(fingerprint). To check it: defence-server audit verify --room \(plan.id) --at \(state.lastSeq)"
        )))
        blocks.append(.paragraph(l.text("Document produit le ", "Produced ") + time(generatedAt) + "."))
        document = RecordDocument(title: title, language: language, blocks: blocks)
    }

    /// The PV as Markdown.
    public var markdown: String { document.markdown }

    /// The PV as a self-contained, print-ready HTML page.
    public var html: String { document.html }

    /// A room's state in the record's language.
    public static func state(_ state: RoomLifecycle, _ l: RecordLanguage) -> String {
        switch state {
        case .scheduled: l.text("planifiée", "scheduled")
        case .open: l.text("ouverte", "open")
        case .running: l.text("en cours", "running")
        case .paused: l.text("en pause", "paused")
        case .deliberation: l.text("en délibération", "deliberating")
        case .signed: l.text("signée et verrouillée", "signed and locked")
        case .cancelled: l.text("annulée", "cancelled")
        case .postponed: l.text("reportée", "postponed")
        }
    }
}
