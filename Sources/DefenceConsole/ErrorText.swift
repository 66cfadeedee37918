/// Explanations of the protocol's failure codes, in French and English: clients act on codes, and show people
/// a sentence in their language (the server's English text follows for the details).
public enum ErrorText {
    static let texts: [String: (fr: String, en: String)] = [
        "LINE_TOO_LONG": ("ligne trop longue", "line too long"),
        "INVALID_UTF8": ("texte non UTF-8", "text is not UTF-8"),
        "INVALID_CHARACTER": ("caractère de contrôle refusé", "control character refused"),
        "MALFORMED": ("ligne mal formée", "malformed line"),
        "UNKNOWN_VERB": ("commande inconnue du serveur", "command unknown to the server"),
        "BAD_ARGUMENTS": ("arguments manquants ou incorrects", "missing or wrong arguments"),
        "UNSUPPORTED_VERSION": ("version du protocole non prise en charge", "protocol version not supported"),
        "AUTH_REQUIRED": ("authentification nécessaire", "authentication required"),
        "ALREADY_AUTHENTICATED": ("déjà authentifié", "already authenticated"),
        "AUTH_FAILED": ("jeton inconnu, expiré ou révoqué, ou compte désactivé", "token unknown, expired or revoked, or account disabled"),
        "CLIENT_CERT_REQUIRED": ("les admins se connectent avec leur certificat client (--client-cert, --client-key)", "admins connect with their client certificate (--client-cert, --client-key)"),
        "AUTH_TIMEOUT": ("authentification trop tardive", "authentication too late"),
        "FORBIDDEN": ("action non autorisée pour votre rôle", "not allowed for your role"),
        "NOT_FOUND": ("introuvable", "not found"),
        "ALREADY_EXISTS": ("existe déjà", "already exists"),
        "INVALID": ("valeur refusée", "value refused"),
        "LAST_ADMIN": ("dernier administrateur actif", "last active administrator"),
        "TEAM_SIZE": ("nombre de candidats incorrect pour l’épreuve", "wrong number of candidates for the épreuve"),
        "JURY_COMPOSITION": ("il faut deux jurés distincts dont un président", "two distinct jurors, one presiding, are needed"),
        "DOUBLE_BOOKED": ("une personne est déjà dans une autre salle au même moment", "someone is already in another room at that time"),
        "ROLE_CONFLICT": ("une personne ne peut être à la fois juré et candidat", "nobody can be both juror and candidate"),
        "UNKNOWN_USER": ("utilisateur inconnu", "unknown user"),
        "WRONG_ROLE": ("le rôle du compte ne convient pas", "the account's role does not fit"),
        "UNKNOWN_COMPETENCE": ("compétence inconnue", "unknown competence"),
        "WRONG_EPREUVE": ("compétence d’une autre épreuve", "competence of another épreuve"),
        "BAD_PHASES": ("phases incorrectes", "wrong phases"),
        "WRONG_TRACK": ("compétence hors de la filière du candidat", "competence outside the candidate's track"),
        "RATE_LIMITED": ("trop de lignes à la fois ; réessayez dans un instant", "too many lines at once; try again in a moment"),
        "WRONG_STATE": ("impossible dans l’état actuel de la salle", "not possible in the room's current state"),
        "TEXT_TOO_LONG": ("texte trop long", "text too long"),
        "LOCKED": ("résultat signé et verrouillé", "result signed and locked"),
        "INCOMPLETE": ("des décisions manquent encore", "decisions are still missing"),
        "IMPORT_FAILED": ("import refusé, rien n’a été importé", "import refused, nothing was imported"),
        "IDLE_TIMEOUT": ("connexion inactive fermée", "idle connection closed"),
        "SLOW_CONSUMER": ("connexion trop lente fermée", "connection too slow, closed"),
        "REVOKED": ("accès révoqué", "access revoked"),
        "SHUTTING_DOWN": ("le serveur s’arrête", "the server is shutting down"),
        "INTERNAL": ("erreur du serveur, rien n’a changé", "server error, nothing changed"),
    ]

    /// "Refusé (CODE) : explanation — server text".
    public static func refusal(code: String, serverText: String, language: Language) -> String {
        let explanation = texts[code].map { language == .fr ? $0.fr : $0.en }
        let head = language.text("Refusé (\(code))", "Refused (\(code))")
        guard let explanation else { return head + language.text(" : ", ": ") + serverText }
        return language.text("\(head) : \(explanation) — \(serverText)", "\(head): \(explanation) — \(serverText)")
    }
}
