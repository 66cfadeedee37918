import Foundation

/// The admins' live board of many rooms, as a pure function: one row per room.
public enum RoomBoard {
    /// Renders the board.
    /// - Parameters:
    ///   - views: the rooms.
    ///   - serverNow: the current server time (local time plus the measured offset).
    ///   - language: the language.
    public static func render(_ views: [RoomView], serverNow: Date, language: Language) -> [String] {
        let l = language
        let narrator = Narrator(language: l)
        let header = [
            l.text("salle", "room"), l.text("état", "state"), "phase", l.text("reste", "left"), l.text("présents", "present"),
            l.text("notes", "marks"), l.text("signé", "signed"),
        ]
        let rows = views.map { view -> [String] in
            let participants = view.candidates.count + view.jurors.count
            let marks = view.marks.values.reduce(0) { $0 + $1.count }
            return [
                view.room, narrator.state(view.state), view.phaseName.isEmpty ? "—" : view.phaseName,
                view.remaining(serverNow: serverNow).map(Narrator.clock) ?? "—",
                "\(view.present.count)/\(participants)", String(marks),
                view.state == "signed" ? l.text("oui", "yes") : "\(view.signed.count)/2",
            ]
        }
        let table = [header] + rows
        let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        return table.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
    }
}
