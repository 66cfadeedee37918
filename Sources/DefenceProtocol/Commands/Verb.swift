/// Every verb a client may send in protocol version 1.
public enum Verb: String, Sendable, CaseIterable, Hashable {
    /// Re-announce or negotiate the protocol version.
    case hello = "HELLO"
    /// Authenticate with an access token.
    case auth = "AUTH"
    /// Liveness and clock probe; answered by `PONG`.
    case ping = "PING"
    /// Answer to a server `PING`.
    case pong = "PONG"
    /// Close the session.
    case quit = "QUIT"
    /// Who the session is authenticated as.
    case whoami = "WHOAMI"
    /// Create a user (admin).
    case userCreate = "USER-CREATE"
    /// List users (admin).
    case userList = "USER-LIST"
    /// Disable a user: their tokens stop working and their sessions are closed (admin).
    case userDisable = "USER-DISABLE"
    /// Enable a disabled user again (admin).
    case userEnable = "USER-ENABLE"
    /// Issue an access token for a user (admin).
    case tokenIssue = "TOKEN-ISSUE"
    /// List access tokens (admin).
    case tokenList = "TOKEN-LIST"
    /// Revoke an access token; sessions using it are closed (admin).
    case tokenRevoke = "TOKEN-REVOKE"
    /// Which referential version new rooms use.
    case referential = "REFERENTIAL"
    /// The referential's blocks, tasks and sub-tasks.
    case blockList = "BLOCK-LIST"
    /// The referential's competences, optionally of one block and one épreuve.
    case competenceList = "COMPETENCE-LIST"
    /// One competence with its criteria.
    case competenceShow = "COMPETENCE-SHOW"

    /// The verbs accepted before authentication.
    public static let beforeAuthentication: Set<Verb> = [.hello, .auth, .ping, .pong, .quit]

    /// The syntax of the verb's parameters, as shown in `BAD_ARGUMENTS` texts and in PROTOCOL.md.
    public var usage: String {
        switch self {
        case .hello: return "HELLO defence/<version>"
        case .auth: return "AUTH <token>"
        case .ping: return "PING [token]"
        case .pong: return "PONG <token>"
        case .quit: return "QUIT"
        case .whoami: return "WHOAMI"
        case .userCreate: return "USER-CREATE <user> <role> [email=<address>] :<display name>"
        case .userList: return "USER-LIST [role=<role>] [state=active|disabled]"
        case .userDisable: return "USER-DISABLE <user> [:reason]"
        case .userEnable: return "USER-ENABLE <user>"
        case .tokenIssue: return "TOKEN-ISSUE <user> [expires=<RFC 3339 time> | ttl=<seconds>] [label=<word>]"
        case .tokenList: return "TOKEN-LIST [user]"
        case .tokenRevoke: return "TOKEN-REVOKE <token-id>"
        case .referential: return "REFERENTIAL [ref=<hash prefix>]"
        case .blockList: return "BLOCK-LIST [ref=<hash prefix>]"
        case .competenceList: return "COMPETENCE-LIST [block=<code>] [epreuve=<number>] [ref=<hash prefix>]"
        case .competenceShow: return "COMPETENCE-SHOW <competence> [ref=<hash prefix>]"
        }
    }
}
