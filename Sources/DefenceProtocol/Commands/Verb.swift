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
    /// Change a user's certification fields, e-mail or display name (admin).
    case userUpdate = "USER-UPDATE"
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
    /// Schedule a room (admin).
    case roomCreate = "ROOM-CREATE"
    /// Change a room's plan before it starts (admin).
    case roomUpdate = "ROOM-UPDATE"
    /// Cancel a room before it starts (admin).
    case roomCancel = "ROOM-CANCEL"
    /// List rooms: all of them for admins, one's own otherwise.
    case roomList = "ROOM-LIST"
    /// One room's plan and state.
    case roomShow = "ROOM-SHOW"
    /// Import a day of users and rooms from CSV lines that follow (admin).
    case dayImport = "DAY-IMPORT"
    /// Join a room: receive its events; participants appear present.
    case join = "JOIN"
    /// Leave a room.
    case leave = "LEAVE"
    /// Rejoin a room and receive the events missed since a sequence number.
    case resume = "RESUME"
    /// The room's clock: state, phase, remaining time, server time.
    case time = "TIME"
    /// Start the room's clock (jurors, admins).
    case timerStart = "TIMER-START"
    /// Pause the room's clock (jurors, admins).
    case timerPause = "TIMER-PAUSE"
    /// Resume the room's clock (jurors, admins).
    case timerResume = "TIMER-RESUME"
    /// Add or remove time (jurors, admins).
    case timerAdjust = "TIMER-ADJUST"
    /// Send a message to the room or to the jury (jurors, admins).
    case say = "SAY"
    /// Signal the jury: ready, hand raised (candidates).
    case signal = "SIGNAL"
    /// The room's outage ledger (jurors, admins).
    case outages = "OUTAGES"
    /// Extend the time by an outage's length (the jury president).
    case outageExtend = "OUTAGE-EXTEND"
    /// End the defence and start the deliberation (jurors, admins).
    case deliberate = "DELIBERATE"
    /// Mark a criterion for a candidate (jurors).
    case mark = "MARK"
    /// Propose acquis / non acquis for a candidate and competence (jurors).
    case propose = "PROPOSE"
    /// Submit one's grid (jurors; opens blind grids once both have).
    case submit = "SUBMIT"
    /// The grids: own, the other juror's when visible, decisions, what remains unassessed (jurors, admins).
    case progress = "PROGRESS"
    /// Where the two jurors' proposals differ (jurors, admins).
    case disagreements = "DISAGREEMENTS"
    /// Set the final decision for a candidate and competence (jurors, deliberation).
    case decide = "DECIDE"
    /// Sign the final grid (jurors).
    case sign = "SIGN"
    /// Reopen a signed room, with a reason (admin).
    case reopen = "REOPEN"
    /// Final decisions of a room or a day (admin).
    case results = "RESULTS"
    /// A room's procès-verbal as Markdown or HTML (admin).
    case pv = "PV"
    /// Check the rooms' event hash chains (admin).
    case audit = "AUDIT"
    /// A candidate's competences, blocks and certification from the signed rooms (admins, the candidate).
    case outcome = "OUTCOME"
    /// Every candidate's outcome line (admin).
    case outcomes = "OUTCOMES"
    /// A candidate's relevé (transcript) as Markdown or HTML (admin).
    case transcript = "TRANSCRIPT"
    /// Record a candidate's individual MSPR evidence (the room's jurors).
    case evidence = "EVIDENCE"
    /// The jury's observations for the PV (the president).
    case observations = "OBSERVATIONS"
    /// Decline to extend the time by an outage, with a reason (the president).
    case outageDecline = "OUTAGE-DECLINE"
    /// Restart the defence with a new clock (the president).
    case restart = "RESTART"
    /// Postpone the defence (the president); an admin reschedules it.
    case postpone = "POSTPONE"
    /// A juror saw a candidate's raised hand.
    case acknowledge = "ACKNOWLEDGE"
    /// The room's latest messages and signals, as the reader saw them (a console that starts again).
    case history = "HISTORY"

    /// The verbs accepted before authentication.
    public static let beforeAuthentication: Set<Verb> = [.hello, .auth, .ping, .pong, .quit]

    /// The syntax of the verb's parameters, as shown in `BAD_ARGUMENTS` texts and in PROTOCOL.md.
    public var usage: String {
        switch self {
        case .hello: return "HELLO defence/<version>"
        case .auth: return "AUTH <token>"
        case .ping: return "PING [token]"
        case .pong: return "PONG [token]"
        case .quit: return "QUIT"
        case .whoami: return "WHOAMI"
        case .userCreate:
            return "USER-CREATE <user> <role> [email=<address>] [track=<id>] [number=<text>] [legal-name=<text>] [capacity=<text>] :<display name>"
        case .userUpdate: return "USER-UPDATE <user> [track=<id>] [number=<text>] [legal-name=<text>] [email=<address>] [capacity=<text>] [:<display name>]"
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
        case .roomCreate:
            return "ROOM-CREATE <room> <team|individual|final> start=<time> candidates=<a,b> jurors=<x,y> president=<x> "
                + "[competences=<c,c>|block=<code>|specialisation=<id>] [phases=<name:minutes,…>] [warnings=<s,s>] "
                + "[visibility=live|blind] [:title]"
        case .roomUpdate: return "ROOM-UPDATE <room> [kind=<team|individual|final>] [options as ROOM-CREATE…] [:title]"
        case .roomCancel: return "ROOM-CANCEL <room> [:reason]"
        case .roomList: return "ROOM-LIST [day=<YYYY-MM-DD>] [state=<state>]"
        case .roomShow: return "ROOM-SHOW <room>"
        case .dayImport: return "DAY-IMPORT <number of CSV lines that follow>"
        case .join: return "JOIN <room>"
        case .leave: return "LEAVE <room>"
        case .resume: return "RESUME <room> <last-seq>"
        case .time: return "TIME <room>"
        case .timerStart: return "TIMER-START <room>"
        case .timerPause: return "TIMER-PAUSE <room> [:reason]"
        case .timerResume: return "TIMER-RESUME <room>"
        case .timerAdjust: return "TIMER-ADJUST <room> <+seconds|-seconds> [:reason]"
        case .say: return "SAY <room> <room|jury> :<text>"
        case .signal: return "SIGNAL <room> <ready|hand|lower>"
        case .outages: return "OUTAGES <room>"
        case .outageExtend: return "OUTAGE-EXTEND <room> <outage-id>"
        case .deliberate: return "DELIBERATE <room>"
        case .mark: return "MARK <room> <candidate> <criterion> <met|partly-met|not-met|clear> [:comment]"
        case .propose: return "PROPOSE <room> <candidate> <competence> <acquis|non-acquis|clear> [:comment]"
        case .submit: return "SUBMIT <room>"
        case .progress: return "PROGRESS <room>"
        case .disagreements: return "DISAGREEMENTS <room>"
        case .decide: return "DECIDE <room> <candidate> <competence> <acquis|non-acquis> [:comment]"
        case .sign: return "SIGN <room>"
        case .reopen: return "REOPEN <room> :<reason>"
        case .results: return "RESULTS [room=<room>] [day=<YYYY-MM-DD>]"
        case .pv: return "PV <room> [format=markdown|html] [lang=fr|en]"
        case .transcript: return "TRANSCRIPT <candidate> [format=markdown|html] [lang=fr|en]"
        case .evidence: return "EVIDENCE <room> <candidate> <written|test> :<text>"
        case .observations: return "OBSERVATIONS <room> :<text>"
        case .outageDecline: return "OUTAGE-DECLINE <room> <outage-id> :<reason>"
        case .restart: return "RESTART <room> :<reason>"
        case .postpone: return "POSTPONE <room> :<reason>"
        case .acknowledge: return "ACKNOWLEDGE <room> <candidate>"
        case .history: return "HISTORY <room> [limit=<1-500>]"
        case .audit: return "AUDIT [room=<room>]"
        case .outcome: return "OUTCOME <candidate>"
        case .outcomes: return "OUTCOMES [day=<YYYY-MM-DD>] [track=<id>] [state=certified|not-certified|incomplete]"
        }
    }
}

extension Verb {
    /// The room commands that may carry an idempotency key (PROTOCOL.md §4.4): those a client must send again
    /// after a drop, and that must not be carried out twice.
    public static let keyed: Set<Verb> = [
        .timerStart, .timerPause, .timerResume, .timerAdjust, .say, .signal, .acknowledge, .outageExtend, .outageDecline,
        .restart, .postpone, .deliberate, .mark, .propose, .submit, .decide, .sign, .evidence, .observations, .reopen,
    ]
}
