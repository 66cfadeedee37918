import DefenceProtocol
import Foundation

/// A candidate's relevé (transcript): every block and competence of the track, its signed decision, the room, the
/// date and the jury; whether the certification is awarded. Computed from the signed rooms at the time it is made.
public struct CandidateTranscript: Sendable {
    /// The document.
    public let document: RecordDocument

    /// Builds a transcript.
    ///
    /// - Parameters:
    ///   - outcome: the candidate's outcome.
    ///   - candidate: the candidate's account.
    ///   - referential: the version the outcome was computed with.
    ///   - people: the accounts of the jurors, by id.
    ///   - generatedAt: when it is produced.
    ///   - language: its language.
    ///   - timeZone: the zone times are written in.
    public init(
        outcome: CandidateOutcome, candidate: User, referential: Referential, people: [String: User], generatedAt: Date,
        language: RecordLanguage, timeZone: TimeZone
    ) {
        let l = language
        let clock = RecordClock(timeZone: timeZone, language: language)
        func name(_ id: String) -> String { people[id]?.recordName ?? id }
        func jury(_ decision: SignedDecision) -> String {
            decision.jurors.map { juror in name(juror) + (juror == decision.president ? l.text(" (président·e)", " (president)") : "") }.joined(separator: ", ")
        }
        func decided(_ decision: Decision?) -> String {
            switch decision {
            case .acquis?: l.text("acquis", "acquired")
            case .nonAcquis?: l.text("non acquis", "not acquired")
            case nil: l.text("à évaluer", "to be assessed")
            }
        }
        let track = referential.specialisation(track: outcome.track)
        let title = l.text("Relevé de compétences", "Transcript of competences")
        var blocks: [RecordDocument.Block] = [
            .heading(1, title),
            .paragraph(referential.title),
            .list([
                l.text("Candidat : ", "Candidate: ") + "\(candidate.recordName) (\(candidate.id))",
                l.text("N° de candidat : ", "Candidate number: ") + (candidate.fields.number ?? "—"),
                l.text("Filière : ", "Track: ") + (track.map { "\($0.title) (\($0.trackID)) — " + l.text("blocs ", "blocks ") + $0.blocks.joined(separator: ", ") } ?? outcome.track),
                l.text("Heures en heure locale : ", "Times are local: ") + clock.zone(at: generatedAt),
            ]),
            .heading(2, l.text("Résultat", "Result")),
            .paragraph(Self.status(outcome.status, l) + l.text(
                " — \(outcome.validatedBlocks) bloc(s) validé(s) sur \(outcome.blocks.count) ; \(outcome.blocksNeeded) requis.",
                " — \(outcome.validatedBlocks) of \(outcome.blocks.count) blocks validated; \(outcome.blocksNeeded) needed."
            )),
        ]
        for block in outcome.blocks {
            let blockTitle = referential.block(block.code)?.title ?? ""
            blocks.append(.heading(2, "\(block.code) — \(blockTitle)"))
            blocks.append(.paragraph(Self.status(block.status, l) + l.text(
                " — \(block.acquired) compétence(s) acquise(s) sur \(block.total) ; \(block.needed) requise(s).",
                " — \(block.acquired) of \(block.total) competences acquired; \(block.needed) needed."
            )))
            let rows = outcome.competences.filter { $0.block == block.code }.map { result -> [String] in
                let title = referential.competence(result.code)?.title ?? ""
                let earlier = result.earlier.map { "\(decided($0.decision)) (\($0.room), \(clock.day($0.signedAt)))" }.joined(separator: " ; ")
                return [
                    result.code, title, decided(result.decision?.decision), result.decision?.room ?? "—",
                    result.decision.map { clock.time($0.signedAt) } ?? "—", result.decision.map(jury) ?? "—", earlier.isEmpty ? "—" : earlier,
                ]
            }
            blocks.append(.table(
                header: [
                    l.text("Compétence", "Competence"), l.text("Intitulé", "Title"), l.text("Décision", "Decision"), l.text("Salle", "Room"),
                    l.text("Signée le", "Signed"), l.text("Jury", "Jury"), l.text("Décisions antérieures", "Earlier decisions"),
                ],
                rows: rows
            ))
        }
        blocks.append(.paragraph(l.text(
            "Seules les décisions signées et verrouillées comptent ; pour une compétence évaluée plusieurs fois, la dernière signée fait foi. Relevé produit le \(clock.time(generatedAt)).",
            "Only signed and locked decisions count; for a competence assessed more than once, the last one signed stands. Produced \(clock.time(generatedAt))."
        )))
        document = RecordDocument(title: title, language: language, blocks: blocks)
    }

    /// The transcript as Markdown.
    public var markdown: String { document.markdown }

    /// The transcript as a print-ready HTML page.
    public var html: String { document.html }

    static func status(_ status: CandidateOutcome.Status, _ l: RecordLanguage) -> String {
        switch status {
        case .certified: l.text("CERTIFIÉ", "CERTIFIED")
        case .notCertified: l.text("NON CERTIFIÉ", "NOT CERTIFIED")
        case .incomplete: l.text("INCOMPLET (évaluation en cours)", "INCOMPLETE (assessment under way)")
        }
    }

    static func status(_ status: CandidateOutcome.BlockStatus, _ l: RecordLanguage) -> String {
        switch status {
        case .validated: l.text("Bloc validé", "Block validated")
        case .notValidated: l.text("Bloc non validé", "Block not validated")
        case .incomplete: l.text("Bloc incomplet", "Block incomplete")
        }
    }
}

extension CandidateOutcome {
    /// For each competence, the latest decision signed for `candidate` in a room other than `room`, by code: what a
    /// final defence's console and PV show beside each competence.
    public static func earlierDecisions(of candidate: String, before room: String, in rooms: [RoomState]) -> [String: SignedDecision] {
        var latest: [String: SignedDecision] = [:]
        for state in rooms where state.plan.id != room && state.lifecycle == .signed && state.plan.candidates.contains(candidate) {
            guard let signedAt = state.signedAt else { continue }
            for code in state.plan.competences {
                guard let decision = state.decisions[GridKey(candidate: candidate, item: code)] else { continue }
                let signed = SignedDecision(
                    room: state.plan.id, decision: decision.value, comment: decision.comment, signedAt: signedAt, jurors: state.plan.jurors,
                    president: state.plan.president
                )
                if let known = latest[code], (known.signedAt, known.room) > (signed.signedAt, signed.room) { continue }
                latest[code] = signed
            }
        }
        return latest
    }
}
