/// A stable, machine-readable failure code, as sent in `FAIL <verb> <CODE> …` lines.
///
/// Clients act on codes, never on the human text that follows them. The table in
/// `Protocol/PROTOCOL.md` lists every code and whether it closes the connection.
public enum ErrorCode: String, Sendable, CaseIterable, Hashable {
    /// The line exceeded the announced maximum length. Closes the connection.
    case lineTooLong = "LINE_TOO_LONG"
    /// The line was not valid UTF-8.
    case invalidUTF8 = "INVALID_UTF8"
    /// The line held a control character (NUL, C0 or C1 controls, DEL).
    case invalidCharacter = "INVALID_CHARACTER"
    /// The line's shape was wrong: malformed tags, no verb, a verb with odd characters, too many parameters.
    case malformed = "MALFORMED"
    /// The verb is not part of this protocol version.
    case unknownVerb = "UNKNOWN_VERB"
    /// The verb is known but its parameters are missing, extra or ill-formed.
    case badArguments = "BAD_ARGUMENTS"
    /// `HELLO` named a protocol version this server does not speak.
    case unsupportedVersion = "UNSUPPORTED_VERSION"
    /// The verb needs an authenticated session.
    case authRequired = "AUTH_REQUIRED"
    /// `AUTH` on a session that is already authenticated.
    case alreadyAuthenticated = "ALREADY_AUTHENTICATED"
    /// The token is unknown, expired or revoked, or its account is disabled.
    case authFailed = "AUTH_FAILED"
    /// The token is an admin's, and this server requires admins to present their client certificate (one whose
    /// subject common name is the admin's user id, issued by the server's admin client CA); none or another was given.
    case clientCertificateRequired = "CLIENT_CERT_REQUIRED"
    /// The session did not authenticate within the announced deadline. Closes the connection.
    case authTimeout = "AUTH_TIMEOUT"
    /// The session's role may not use this verb.
    case forbidden = "FORBIDDEN"
    /// The named object does not exist, or is not visible to this session.
    case notFound = "NOT_FOUND"
    /// An object with this identifier exists already.
    case alreadyExists = "ALREADY_EXISTS"
    /// A value was well-formed but refused (unknown role, bad e-mail address, expiry in the past…).
    case invalid = "INVALID"
    /// The operation would leave the server without any active administrator.
    case lastAdmin = "LAST_ADMIN"
    /// A room's candidates are too few or too many for its épreuve.
    case teamSize = "TEAM_SIZE"
    /// A room needs exactly two distinct jurors, one of them president.
    case juryComposition = "JURY_COMPOSITION"
    /// A participant already sits in another room whose slot overlaps.
    case doubleBooked = "DOUBLE_BOOKED"
    /// Somebody is both juror and candidate of the same room.
    case roleConflict = "ROLE_CONFLICT"
    /// A named user does not exist.
    case unknownUser = "UNKNOWN_USER"
    /// A user's account role does not fit their place in the room (a candidate as juror, an admin as candidate…).
    case wrongRole = "WRONG_ROLE"
    /// A competence is not in the room's referential.
    case unknownCompetence = "UNKNOWN_COMPETENCE"
    /// A competence is assessed through another épreuve than the room's.
    case wrongEpreuve = "WRONG_EPREUVE"
    /// A competence is not of a candidate's track.
    case wrongTrack = "WRONG_TRACK"
    /// Phases are malformed or do not add up to the épreuve's duration.
    case badPhases = "BAD_PHASES"
    /// The room's current state does not allow the command (e.g. pausing a timer that is not running).
    case wrongState = "WRONG_STATE"
    /// Free text is longer than allowed.
    case textTooLong = "TEXT_TOO_LONG"
    /// The room's result is signed and locked; marks, proposals and decisions can no longer change.
    case locked = "LOCKED"
    /// Signing needs a final decision for every candidate and competence.
    case incomplete = "INCOMPLETE"
    /// A CSV import was refused; the data lines list every faulty row.
    case importFailed = "IMPORT_FAILED"
    /// The connection sends lines faster than allowed; the line was not carried out.
    case rateLimited = "RATE_LIMITED"
    /// The peer stayed silent past the idle timeout. Closes the connection.
    case idleTimeout = "IDLE_TIMEOUT"
    /// The peer did not read its replies and events fast enough. Closes the connection.
    case slowConsumer = "SLOW_CONSUMER"
    /// The session's token was revoked or its account disabled while connected. Closes the connection.
    case revoked = "REVOKED"
    /// The server is shutting down. Closes the connection.
    case shuttingDown = "SHUTTING_DOWN"
    /// The server failed to carry out a valid request; nothing was changed.
    case `internal` = "INTERNAL"

    /// Whether the server closes the connection right after sending this code.
    public var closesConnection: Bool {
        switch self {
        case .lineTooLong, .authTimeout, .idleTimeout, .slowConsumer, .revoked, .shuttingDown:
            return true
        default:
            return false
        }
    }
}
