import DefenceProtocol
import Foundation

/// A room's procès-verbal: every element the certification needs, rendered as Markdown or print-ready HTML.
public struct ProcesVerbal: Sendable {
    /// A piece of the document.
    public enum Block: Sendable, Hashable {
        /// A heading of level 1 to 4.
        case heading(Int, String)
        /// A paragraph.
        case paragraph(String)
        /// A bulleted list.
        case list([String])
        /// A table with a header row.
        case table(header: [String], rows: [[String]])
    }

    /// The document's blocks, in order.
    public let blocks: [Block]

    /// Builds the PV of a room.
    ///
    /// - Parameters:
    ///   - state: the room, folded from its events.
    ///   - events: the room's events, in order.
    ///   - referential: the referential version the room was created with.
    ///   - names: display names by user id.
    ///   - fingerprint: the last link of the room's event hash chain.
    ///   - generatedAt: when the document is produced.
    public init(state: RoomState, events: [RoomEvent], referential: Referential, names: [String: String], fingerprint: String, generatedAt: Date) {
        let plan = state.plan
        func name(_ id: String?) -> String {
            guard let id else { return "serveur" }
            return names[id].map { "\($0) (\(id))" } ?? id
        }
        func time(_ date: Date?) -> String { date.map(WireTime.format) ?? "—" }
        let epreuve = referential.epreuve(plan.epreuve)
        var blocks: [Block] = [
            .heading(1, "Procès-verbal de soutenance"),
            .paragraph("\(referential.title) — \(epreuve.map { "Épreuve \($0.number) : \($0.title)" } ?? "Épreuve \(plan.epreuve)")"),
            .list([
                "Salle : \(plan.id)\(plan.title.map { " — \($0)" } ?? "")",
                "Type : \(plan.kind == .team ? "soutenance par équipe (MSPR)" : "soutenance individuelle")",
                "Date : \(String(WireTime.format(plan.start).prefix(10)))",
                "Horaires prévus : \(time(plan.start)) – \(time(plan.end)) (\(plan.durationSeconds / 60) min : \(plan.phases.map { "\($0.name) \($0.seconds / 60) min" }.joined(separator: ", ")))",
                "Horaires réels : début \(time(state.startedAt)), fin \(time(state.endedAt))",
                "Visibilité des notes : \(plan.visibility == .live ? "en direct" : "à l’aveugle")",
                "État : \(state.lifecycle.rawValue)",
                "Référentiel (SHA-256) : \(plan.referentialHash)",
            ]),
            .heading(2, "Jury"),
            .list(plan.jurors.map { "\(name($0))\($0 == plan.president ? " — président(e) du jury" : "")" }),
            .heading(2, "Candidats"),
            .list(plan.candidates.map(name)),
        ]

        // Timeline: the clock and what changed it.
        var timeline: [[String]] = []
        for event in events {
            switch event.kind {
            case .timerStarted(let by, _): timeline.append([time(event.at), "Début", name(by), ""])
            case .timerPaused(let by, _, let reason): timeline.append([time(event.at), "Pause", name(by), reason ?? ""])
            case .timerResumed(let by, _): timeline.append([time(event.at), "Reprise", name(by), ""])
            case .timeAdjusted(let by, let seconds, let reason):
                timeline.append([time(event.at), seconds > 0 ? "Temps ajouté : \(seconds) s" : "Temps retiré : \(-seconds) s", name(by), reason ?? ""])
            case .overtime: timeline.append([time(event.at), "Temps prévu écoulé", "", ""])
            case .deliberationStarted(let by): timeline.append([time(event.at), "Fin de la soutenance, délibération", name(by), ""])
            case .cancelled(let by, let reason): timeline.append([time(event.at), "Annulation", name(by), reason ?? ""])
            case .reopened(let by, let reason): timeline.append([time(event.at), "Réouverture", name(by), reason])
            default: break
            }
        }
        blocks.append(.heading(2, "Déroulement"))
        blocks.append(timeline.isEmpty ? .paragraph("Aucun événement d’horloge.") : .table(header: ["Heure (UTC)", "Événement", "Par", "Motif"], rows: timeline))

        blocks.append(.heading(2, "Incidents de connexion"))
        if state.outages.isEmpty {
            blocks.append(.paragraph("Aucune coupure pendant la soutenance."))
        } else {
            blocks.append(.table(
                header: ["N°", "Personne", "Début", "Fin", "Durée (s)", "Décision du jury"],
                rows: state.outages.map { outage in
                    [
                        String(outage.id), outage.user.map(name) ?? "arrêt du serveur", time(outage.from), time(outage.to),
                        outage.seconds.map(String.init) ?? "—",
                        outage.compensatedSeconds.map { "temps prolongé de \($0) s" } ?? "pas de prolongation",
                    ]
                }
            ))
        }

        blocks.append(.heading(2, "Décisions"))
        for candidate in plan.candidates {
            blocks.append(.heading(3, name(candidate)))
            for code in plan.competences {
                let competence = referential.competence(code)
                blocks.append(.heading(4, "\(code) — \(competence?.title ?? "")"))
                let key = GridKey(candidate: candidate, item: code)
                if let decision = state.decisions[key] {
                    blocks.append(.paragraph("Décision : \(decision.value == .acquis ? "ACQUIS" : "NON ACQUIS")\(decision.comment.map { " — \($0)" } ?? "")"))
                } else {
                    blocks.append(.paragraph("Décision : non prise"))
                }
                var proposals: [String] = []
                for juror in plan.jurors {
                    if let proposal = state.proposals[juror]?[key] {
                        proposals.append("Proposition de \(name(juror)) : \(proposal.value == .acquis ? "acquis" : "non acquis")\(proposal.comment.map { " — \($0)" } ?? "")")
                    }
                }
                if !proposals.isEmpty { blocks.append(.list(proposals)) }
                let rows = (competence?.criteria ?? []).map { criterion -> [String] in
                    [criterion.id, criterion.text] + plan.jurors.map { juror in
                        guard let mark = state.marks[juror]?[GridKey(candidate: candidate, item: criterion.id)] else { return "—" }
                        let label = mark.value == .met ? "atteint" : mark.value == .partlyMet ? "partiellement atteint" : "non atteint"
                        return label + (mark.comment.map { " — \($0)" } ?? "")
                    }
                }
                blocks.append(.table(header: ["Critère", "Texte"] + plan.jurors.map(name), rows: rows))
            }
        }

        if !state.reopenings.isEmpty {
            blocks.append(.heading(2, "Réouvertures"))
            blocks.append(.list(state.reopenings.map { "\(time($0.at)) — \(name($0.by)) : \($0.reason)" }))
        }

        blocks.append(.heading(2, "Signatures"))
        if state.signatures.isEmpty {
            blocks.append(.paragraph("Non signé."))
        } else {
            blocks.append(.list(plan.jurors.compactMap { juror in
                state.signatures[juror].map { "\(name(juror)) — signé le \(time($0.at)) (grille \($0.gridHash))" }
            }))
        }
        let withdrawn = state.signatureHistory.filter { old in state.signatures[old.juror] != old }
        if !withdrawn.isEmpty {
            blocks.append(.paragraph("Signatures retirées après modification de la grille : " + withdrawn.map { "\(name($0.juror)) (\(time($0.at)))" }.joined(separator: ", ")))
        }

        blocks.append(.heading(2, "Empreinte du journal"))
        blocks.append(.paragraph("Journal de la salle : \(state.lastSeq) événements ; empreinte SHA-256 du dernier maillon : \(fingerprint). Vérification : defence-server audit verify --room \(plan.id) --at \(state.lastSeq)"))
        blocks.append(.paragraph("Document produit le \(time(generatedAt))."))
        self.blocks = blocks
    }

    /// The PV as Markdown.
    public var markdown: String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
        var lines: [String] = []
        for block in blocks {
            switch block {
            case .heading(let level, let text): lines += [String(repeating: "#", count: level) + " " + text, ""]
            case .paragraph(let text): lines += [text, ""]
            case .list(let items): lines += items.map { "- " + $0 } + [""]
            case .table(let header, let rows):
                lines.append("| " + header.map(cell).joined(separator: " | ") + " |")
                lines.append("|" + String(repeating: " --- |", count: header.count))
                lines += rows.map { "| " + $0.map(cell).joined(separator: " | ") + " |" }
                lines.append("")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The PV as a self-contained, print-ready HTML page.
    public var html: String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var lines = [
            "<!DOCTYPE html>",
            "<html lang=\"fr\">",
            "<head>",
            "<meta charset=\"utf-8\">",
            "<title>Procès-verbal de soutenance</title>",
            "<style>",
            "body { font-family: Georgia, serif; font-size: 11pt; margin: 2cm; color: #000; }",
            "h1 { font-size: 18pt; } h2 { font-size: 14pt; border-bottom: 1px solid #000; margin-top: 1.5em; }",
            "h3 { font-size: 12pt; margin-top: 1.2em; } h4 { font-size: 11pt; }",
            "table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }",
            "th, td { border: 1px solid #444; padding: 3pt 5pt; vertical-align: top; text-align: left; }",
            "@page { size: A4; margin: 1.5cm; } @media print { body { margin: 0; } h2, h3 { break-after: avoid; } tr { break-inside: avoid; } }",
            "</style>",
            "</head>",
            "<body>",
        ]
        for block in blocks {
            switch block {
            case .heading(let level, let text): lines.append("<h\(level)>\(escape(text))</h\(level)>")
            case .paragraph(let text): lines.append("<p>\(escape(text))</p>")
            case .list(let items): lines.append("<ul>" + items.map { "<li>\(escape($0))</li>" }.joined() + "</ul>")
            case .table(let header, let rows):
                lines.append("<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>")
                lines += rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }
                lines.append("</tbody></table>")
            }
        }
        lines += ["</body>", "</html>"]
        return lines.joined(separator: "\n")
    }
}
