import ArgumentParser
import DefenceClient
import DefenceConsole
import DefenceProtocol
import Foundation

/// `defence room ROOM`: the live room console.
struct RoomCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "room",
        abstract: L("Rejoindre une salle : la console en direct des candidats et des jurés (plein écran, ou --plain).", "Join a room: the live console for candidates and jurors (full screen, or --plain)."),
        discussion: L(
            """
            Plein écran : une grande horloge avec la phase, les alertes et le dépassement, les présents, les \
            messages de la salle, l’état de la connexion et de l’heure ; les jurés ont aussi les commandes du \
            chrono et la grille. L’écran s’adapte à la fenêtre (au moins 60×16 ; confortable en 80×24) ; ? affiche \
            toutes les touches, PgUp/PgDn l’historique des messages. d, S, u et les décisions qui retirent une \
            signature demandent confirmation. Dans une salle d’équipe, w et t notent la production écrite et le \
            test écrit individuels du candidat courant ; x ouvre les décisions du président (prolonger ou non \
            après une coupure, reprendre à zéro, reporter, observations du PV). q ou Ctrl-C : départ propre, \
            qui n’est pas une coupure.
            --plain écrit chaque événement en phrase et lit les commandes sur l’entrée standard (tapez help) : \
            pour les lecteurs d’écran, les journaux et les scripts. La console se reconnecte seule et reprend la \
            salle sans perdre un événement. NO_COLOR désactive les couleurs.
            En --plain, le code de sortie vaut 0 si chaque ligne a été acceptée, 1 si une ligne a été refusée, est \
            restée sans réponse ou n’a pas été comprise : un script peut le vérifier.
            """,
            """
            Full screen: a large clock with the phase, warnings and overtime, who is present, the room's messages, \
            and the connection and clock health; jurors also get the clock controls and the checklist. Keys are \
            shown at the bottom of the screen. The screen adapts to the window (at least 60×16; comfortable at \
            80×24); ? shows every key, PgUp/PgDn the message history. d, S, u and decisions that withdraw a \
            signature ask for confirmation. In a team room, w and t record the current candidate's individual \
            written production and written test; x opens the president's decisions (extend or not after an \
            outage, restart from zero, postpone, the PV's observations). q or Ctrl-C leaves cleanly, which is \
            not an outage.
            --plain prints every event as a sentence and reads commands from standard input (type 'help'): for \
            screen readers, logs and scripts. The console reconnects by itself and resumes the room without \
            losing an event. NO_COLOR disables colours.
            In --plain mode the exit status is 0 when every line was taken, and 1 when a line was refused, not \
            answered or not understood, so that a script can tell.
            """
        )
    )

    @ParentCommand var root: DefenceCommand

    @Argument(help: H("La salle (par défaut : votre seule salle, si vous n’en avez qu’une).", "The room id (default: your only room, if you have exactly one)."))
    var room: String?

    @Flag(help: H("Mode ligne : des phrases en sortie, des commandes en entrée, ni curseur ni couleur.", "Line mode: sentences out, commands in, no cursor movement or colour."))
    var plain = false

    @Option(help: H("fr ou en (par défaut : selon la locale).", "fr or en (default: from the locale)."))
    var lang: String?

    func run() async throws {
        let language = Language.resolve(lang)
        let session = LiveSession(endpoint: try root.endpoint(), token: try root.readToken())
        // A juror may open the console before the server is back (a restart, a home network coming up): it waits
        // and says so, rather than leaving.
        var attempt = 0
        while true {
            do {
                try await session.start()
                break
            } catch let error as ClientError {
                guard case .unreachable = error else { throw error }
                attempt += 1
                let reason = ClientErrorText.sentence(error) ?? "\(error)"
                FileHandle.standardError.write(Data((language.text(
                    "Serveur injoignable (essai \(attempt)) ; nouvel essai dans 2 s — Ctrl-C pour arrêter. \(reason)\n",
                    "Server unreachable (attempt \(attempt)); trying again in 2 s — Ctrl-C to stop. \(reason)\n"
                )).utf8))
                try await Task.sleep(for: .seconds(2))
            }
        }
        let who = try await session.request(.whoami).terminal
        guard let identity = WhoamiReply(who) else {
            throw ValidationError(language.text("réponse inattendue du serveur : \(who.serialized)", "unexpected answer from the server: \(who.serialized)"))
        }
        let me = identity.user
        let role = identity.role
        let roomID = try await chooseRoom(session, language: language)
        let endpoint = try root.endpoint()
        let file = OutboxFile(profilePath: root.profile ?? Profile.defaultPath, server: "\(endpoint.host):\(endpoint.port)", room: roomID, user: me)
        let console = RoomConsole(session: session, room: roomID, me: me, role: role, language: language, outboxFile: file)
        if plain {
            do {
                try await console.runPlain()
            } catch is PlainConsoleFailure {
                throw ExitCode(1)
            }
        } else {
            try await console.runFullScreen()
            let waiting = await console.waitingCount()
            if waiting > 0 {
                print(language.text(
                    "\(waiting) requête(s) sans réponse gardée(s) : elles partiront au prochain lancement de « defence room \(roomID) ».",
                    "\(waiting) request(s) without an answer kept: they go at the next 'defence room \(roomID)'."
                ))
            }
        }
    }

    private func chooseRoom(_ session: LiveSession, language: Language) async throws -> String {
        if let room { return room }
        let rooms = try await session.request(.roomList(day: nil, state: nil)).data.compactMap { RoomLine($0)?.room }
        guard rooms.count == 1, let only = rooms.first else {
            throw ValidationError(language.text(
                "précisez la salle : defence room <salle> (vos salles : \(rooms.joined(separator: ", ")))",
                "name the room: defence room <room> (your rooms: \(rooms.joined(separator: ", ")))"
            ))
        }
        return only
    }
}
