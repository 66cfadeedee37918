/// A client request decoded from a ``Message``: its verb and typed arguments.
///
/// Decoding checks the shape of the arguments (count, options, number formats). Whether a
/// value is acceptable (an existing user, a known role) is the domain's business.
public enum Command: Hashable, Sendable {
    /// `HELLO defence/<version>`.
    case hello(version: String)
    /// `AUTH <token>`.
    case auth(token: String)
    /// `PING [token]`.
    case ping(token: String?)
    /// `PONG <token>`.
    case pong(token: String)
    /// `QUIT`.
    case quit
    /// `WHOAMI`.
    case whoami
    /// `USER-CREATE <user> <role> [email=<address>] [track=<id>] [number=<text>] [legal-name=<text>]
    /// [capacity=<text>] :<display name>`.
    case userCreate(user: String, role: String, email: String?, fields: AccountFields = AccountFields(), displayName: String)
    /// `USER-UPDATE <user> [track=] [number=] [legal-name=] [email=] [capacity=] [:display name]`; `-` clears a field.
    case userUpdate(user: String, changes: AccountChanges)
    /// `USER-LIST [role=<role>] [state=active|disabled]`.
    case userList(role: String?, state: String?)
    /// `USER-DISABLE <user> [:reason]`.
    case userDisable(user: String, reason: String?)
    /// `USER-ENABLE <user>`.
    case userEnable(user: String)
    /// `TOKEN-ISSUE <user> [expires=<time> | ttl=<seconds>] [label=<word>]`.
    case tokenIssue(user: String, expiry: TokenExpiry?, label: String?)
    /// `TOKEN-LIST [user]`.
    case tokenList(user: String?)
    /// `TOKEN-REVOKE <token-id>`.
    case tokenRevoke(id: Int64)
    /// `REFERENTIAL [ref=<hash prefix>]`.
    case referential(ref: String?)
    /// `BLOCK-LIST [ref=<hash prefix>]`.
    case blockList(ref: String?)
    /// `COMPETENCE-LIST [block=<code>] [epreuve=<number>] [ref=<hash prefix>]`.
    case competenceList(block: String?, epreuve: Int?, ref: String?)
    /// `COMPETENCE-SHOW <competence> [ref=<hash prefix>]`.
    case competenceShow(code: String, ref: String?)
    /// `ROOM-CREATE <room> <kind> options… [:title]`.
    case roomCreate(room: String, kind: String, options: [String: String], title: String?)
    /// `ROOM-UPDATE <room> options… [:title]`.
    case roomUpdate(room: String, options: [String: String], title: String?)
    /// `ROOM-CANCEL <room> [:reason]`.
    case roomCancel(room: String, reason: String?)
    /// `ROOM-LIST [day=] [state=]`.
    case roomList(day: String?, state: String?)
    /// `ROOM-SHOW <room>`.
    case roomShow(room: String)
    /// `DAY-IMPORT <lines>`: the next `lines` lines are CSV.
    case dayImport(lines: Int)
    /// `JOIN <room>`.
    case join(room: String)
    /// `LEAVE <room>`.
    case leave(room: String)
    /// `RESUME <room> <last-seq>`.
    case resume(room: String, lastSeq: Int)
    /// `TIME <room>`.
    case time(room: String)
    /// `TIMER-START <room>`.
    case timerStart(room: String)
    /// `TIMER-PAUSE <room> [:reason]`.
    case timerPause(room: String, reason: String?)
    /// `TIMER-RESUME <room>`.
    case timerResume(room: String)
    /// `TIMER-ADJUST <room> <±seconds> [:reason]`.
    case timerAdjust(room: String, seconds: Int, reason: String?)
    /// `SAY <room> <room|jury> :<text>`.
    case say(room: String, audience: Audience, text: String)
    /// `SIGNAL <room> <ready|hand>`.
    case signal(room: String, kind: SignalKind)
    /// `OUTAGES <room>`.
    case outages(room: String)
    /// `OUTAGE-EXTEND <room> <outage-id>`.
    case outageExtend(room: String, outage: Int)
    /// `DELIBERATE <room>`.
    case deliberate(room: String)

    /// `MARK <room> <candidate> <criterion> <mark|clear> [:comment]`; `mark` is `nil` for `clear`.
    case mark(room: String, candidate: String, criterion: String, mark: Mark?, comment: String?)
    /// `PROPOSE <room> <candidate> <competence> <decision|clear> [:comment]`; `decision` is `nil` for `clear`.
    case propose(room: String, candidate: String, competence: String, decision: Decision?, comment: String?)
    /// `SUBMIT <room>`.
    case submit(room: String)
    /// `PROGRESS <room>`.
    case progress(room: String)
    /// `DISAGREEMENTS <room>`.
    case disagreements(room: String)
    /// `DECIDE <room> <candidate> <competence> <decision> [:comment]`.
    case decide(room: String, candidate: String, competence: String, decision: Decision, comment: String?)
    /// `SIGN <room>`.
    case sign(room: String)
    /// `REOPEN <room> :<reason>`.
    case reopen(room: String, reason: String)
    /// `RESULTS [room=] [day=]`.
    case results(room: String?, day: String?)
    /// `PV <room> [format=markdown|html] [lang=fr|en]`.
    case pv(room: String, format: String?, lang: String? = nil)
    /// `AUDIT [room=<room>]`.
    case audit(room: String?)
    /// `OUTCOME <candidate>`.
    case outcome(candidate: String)
    /// `TRANSCRIPT <candidate> [format=markdown|html] [lang=fr|en]`.
    case transcript(candidate: String, format: String?, lang: String?)
    /// `EVIDENCE <room> <candidate> <written|test> :<text>`.
    case evidence(room: String, candidate: String, part: EvidencePart, text: String)
    /// `OBSERVATIONS <room> :<text>`.
    case observations(room: String, text: String)
    /// `OUTAGE-DECLINE <room> <outage-id> :<reason>`.
    case outageDecline(room: String, outage: Int, reason: String)
    /// `RESTART <room> :<reason>`.
    case restart(room: String, reason: String)
    /// `POSTPONE <room> :<reason>`.
    case postpone(room: String, reason: String)
    /// `OUTCOMES [day=] [track=] [state=]`.
    case outcomes(day: String?, track: String?, state: String?)
    /// `ACKNOWLEDGE <room> <candidate>`.
    case acknowledge(room: String, candidate: String)
    /// `HISTORY <room> [limit=<n>]`.
    case history(room: String, limit: Int?)

    /// The most lines `HISTORY` returns, and its default.
    public static let maxHistory = 500
    /// `HISTORY`'s default limit.
    public static let defaultHistory = 100

    /// The options `ROOM-CREATE` and `ROOM-UPDATE` accept.
    public static let roomOptions: Set<String> = [
        "start", "candidates", "jurors", "president", "competences", "block", "specialisation", "phases", "warnings",
        "visibility",
    ]

    /// The most CSV lines one `DAY-IMPORT` may carry.
    public static let maxImportLines = 5000

    /// When a token issued by `TOKEN-ISSUE` expires.
    public enum TokenExpiry: Hashable, Sendable {
        /// At this RFC 3339 time, as written by the client.
        case at(String)
        /// This many seconds after issue.
        case after(seconds: Int64)
    }

    /// The verb of this command.
    public var verb: Verb {
        switch self {
        case .hello: return .hello
        case .auth: return .auth
        case .ping: return .ping
        case .pong: return .pong
        case .quit: return .quit
        case .whoami: return .whoami
        case .userCreate: return .userCreate
        case .userUpdate: return .userUpdate
        case .userList: return .userList
        case .userDisable: return .userDisable
        case .userEnable: return .userEnable
        case .tokenIssue: return .tokenIssue
        case .tokenList: return .tokenList
        case .tokenRevoke: return .tokenRevoke
        case .referential: return .referential
        case .blockList: return .blockList
        case .competenceList: return .competenceList
        case .competenceShow: return .competenceShow
        case .roomCreate: return .roomCreate
        case .roomUpdate: return .roomUpdate
        case .roomCancel: return .roomCancel
        case .roomList: return .roomList
        case .roomShow: return .roomShow
        case .dayImport: return .dayImport
        case .join: return .join
        case .leave: return .leave
        case .resume: return .resume
        case .time: return .time
        case .timerStart: return .timerStart
        case .timerPause: return .timerPause
        case .timerResume: return .timerResume
        case .timerAdjust: return .timerAdjust
        case .say: return .say
        case .signal: return .signal
        case .outages: return .outages
        case .outageExtend: return .outageExtend
        case .deliberate: return .deliberate
        case .mark: return .mark
        case .propose: return .propose
        case .submit: return .submit
        case .progress: return .progress
        case .disagreements: return .disagreements
        case .decide: return .decide
        case .sign: return .sign
        case .reopen: return .reopen
        case .results: return .results
        case .pv: return .pv
        case .audit: return .audit
        case .outcome: return .outcome
        case .outcomes: return .outcomes
        case .transcript: return .transcript
        case .evidence: return .evidence
        case .observations: return .observations
        case .outageDecline: return .outageDecline
        case .restart: return .restart
        case .postpone: return .postpone
        case .acknowledge: return .acknowledge
        case .history: return .history
        }
    }

    /// Looks up the verb of a message.
    /// - Throws: `UNKNOWN_VERB` when the verb is not part of the protocol.
    public static func verb(of message: Message) throws(WireError) -> Verb {
        guard let verb = Verb(rawValue: message.verb) else {
            throw WireError(.unknownVerb, verb: message.verb, requestID: message.id, "unknown verb \(message.verb)")
        }
        return verb
    }

    /// Decodes a message into a command.
    /// - Throws: `UNKNOWN_VERB` or `BAD_ARGUMENTS` with the verb's usage.
    public init(_ message: Message) throws(WireError) {
        let verb = try Self.verb(of: message)
        var args = ArgumentReader(message: message, verb: verb)
        switch verb {
        case .hello:
            self = .hello(version: try args.word("version"))
        case .auth:
            self = .auth(token: try args.word("token"))
        case .ping:
            self = .ping(token: try args.optionalWord())
        case .pong:
            self = .pong(token: try args.word("token"))
        case .quit:
            self = .quit
        case .whoami:
            self = .whoami
        case .userCreate:
            let user = try args.word("user")
            let role = try args.word("role")
            let displayName = try args.finalText("display name")
            let options = try args.options(allowed: AccountFields.optionNames.union(["email"]))
            self = .userCreate(user: user, role: role, email: options["email"], fields: AccountFields(options: options), displayName: displayName)
        case .userUpdate:
            let user = try args.word("user")
            let displayName = try args.remainingText("display name")
            let changes = AccountChanges(options: try args.options(allowed: AccountChanges.optionNames), displayName: displayName)
            guard !changes.isEmpty else { throw args.bad("nothing to change") }
            self = .userUpdate(user: user, changes: changes)
        case .userList:
            let options = try args.options(allowed: ["role", "state"])
            self = .userList(role: options["role"], state: options["state"])
        case .userDisable:
            let user = try args.word("user")
            self = .userDisable(user: user, reason: try args.remainingText())
        case .userEnable:
            self = .userEnable(user: try args.word("user"))
        case .tokenIssue:
            let user = try args.word("user")
            let options = try args.options(allowed: ["expires", "ttl", "label"])
            var expiry: TokenExpiry?
            switch (options["expires"], options["ttl"]) {
            case (let time?, nil):
                expiry = .at(time)
            case (nil, let ttl?):
                guard let seconds = Int64(ttl), seconds > 0 else {
                    throw args.bad("ttl must be a positive whole number of seconds")
                }
                expiry = .after(seconds: seconds)
            case (nil, nil):
                expiry = nil
            case (.some, .some):
                throw args.bad("give either expires= or ttl=, not both")
            }
            self = .tokenIssue(user: user, expiry: expiry, label: options["label"])
        case .tokenList:
            self = .tokenList(user: try args.optionalWord())
        case .tokenRevoke:
            let text = try args.word("token-id")
            guard let id = Int64(text), id > 0 else { throw args.bad("token-id must be a positive whole number") }
            self = .tokenRevoke(id: id)
        case .referential:
            self = .referential(ref: try args.options(allowed: ["ref"])["ref"])
        case .blockList:
            self = .blockList(ref: try args.options(allowed: ["ref"])["ref"])
        case .competenceList:
            let options = try args.options(allowed: ["block", "epreuve", "ref"])
            var epreuve: Int?
            if let text = options["epreuve"] {
                guard let number = Int(text), number > 0 else { throw args.bad("epreuve must be a positive whole number") }
                epreuve = number
            }
            self = .competenceList(block: options["block"], epreuve: epreuve, ref: options["ref"])
        case .competenceShow:
            let code = try args.word("competence")
            self = .competenceShow(code: code, ref: try args.options(allowed: ["ref"])["ref"])
        case .roomCreate:
            let room = try args.word("room")
            let kind = try args.word("kind")
            let title = try args.remainingText("title")
            self = .roomCreate(room: room, kind: kind, options: try args.options(allowed: Self.roomOptions), title: title)
        case .roomUpdate:
            let room = try args.word("room")
            let title = try args.remainingText("title")
            let options = try args.options(allowed: Self.roomOptions.union(["kind"]))
            guard !options.isEmpty || title != nil else { throw args.bad("nothing to change") }
            self = .roomUpdate(room: room, options: options, title: title)
        case .roomCancel:
            let room = try args.word("room")
            self = .roomCancel(room: room, reason: try args.remainingText())
        case .roomList:
            let options = try args.options(allowed: ["day", "state"])
            self = .roomList(day: options["day"], state: options["state"])
        case .roomShow:
            self = .roomShow(room: try args.word("room"))
        case .dayImport:
            let text = try args.word("lines")
            guard let lines = Int(text), (1...Self.maxImportLines).contains(lines) else {
                throw args.bad("lines must be a whole number from 1 to \(Self.maxImportLines)")
            }
            self = .dayImport(lines: lines)
        case .join:
            self = .join(room: try args.word("room"))
        case .leave:
            self = .leave(room: try args.word("room"))
        case .resume:
            let room = try args.word("room")
            let text = try args.word("last-seq")
            guard let seq = Int(text), seq >= 0 else { throw args.bad("last-seq must be a whole number, 0 or more") }
            self = .resume(room: room, lastSeq: seq)
        case .time:
            self = .time(room: try args.word("room"))
        case .timerStart:
            self = .timerStart(room: try args.word("room"))
        case .timerPause:
            let room = try args.word("room")
            self = .timerPause(room: room, reason: try args.remainingText())
        case .timerResume:
            self = .timerResume(room: try args.word("room"))
        case .timerAdjust:
            let room = try args.word("room")
            let text = try args.word("seconds")
            // A sign, then digits; a number too large for any clock is kept as such, for the room to refuse (INVALID).
            guard let sign = text.unicodeScalars.first, sign == "+" || sign == "-", text.unicodeScalars.count > 1,
                text.unicodeScalars.dropFirst().allSatisfy({ ("0"..."9").contains($0) })
            else { throw args.bad("seconds must be a signed whole number such as +120 or -60") }
            let magnitude = Int(text.dropFirst()) ?? Int.max
            guard magnitude != 0 else { throw args.bad("seconds must not be zero") }
            let seconds = sign == "-" ? -magnitude : magnitude
            self = .timerAdjust(room: room, seconds: seconds, reason: try args.remainingText())
        case .say:
            let room = try args.word("room")
            guard let audience = Audience(rawValue: try args.word("audience")) else {
                throw args.bad("audience is \(Audience.words)")
            }
            let text = try args.finalText("text")
            self = .say(room: room, audience: audience, text: text)
        case .signal:
            let room = try args.word("room")
            guard let kind = SignalKind(rawValue: try args.word("signal")) else { throw args.bad("signal is \(SignalKind.words)") }
            self = .signal(room: room, kind: kind)
        case .outages:
            self = .outages(room: try args.word("room"))
        case .outageExtend:
            let room = try args.word("room")
            let text = try args.word("outage-id")
            guard let id = Int(text), id > 0 else { throw args.bad("outage-id must be a positive whole number") }
            self = .outageExtend(room: room, outage: id)
        case .deliberate:
            self = .deliberate(room: try args.word("room"))
        case .mark:
            let room = try args.word("room")
            let candidate = try args.word("candidate")
            let criterion = try args.word("criterion")
            let value = try args.word("mark")
            guard let mark = Mark.parse(clearable: value) else { throw args.bad("mark is \(Mark.words(or: Mark.clear))") }
            self = .mark(room: room, candidate: candidate, criterion: criterion, mark: mark, comment: try args.remainingText())
        case .propose, .decide:
            let room = try args.word("room")
            let candidate = try args.word("candidate")
            let competence = try args.word("competence")
            let value = try args.word("decision")
            let comment = try args.remainingText()
            if verb == .propose {
                guard let decision = Decision.parse(clearable: value) else {
                    throw args.bad("decision is \(Decision.words(or: Decision.clear))")
                }
                self = .propose(room: room, candidate: candidate, competence: competence, decision: decision, comment: comment)
            } else {
                guard let decision = Decision(rawValue: value) else { throw args.bad("decision is \(Decision.words)") }
                self = .decide(room: room, candidate: candidate, competence: competence, decision: decision, comment: comment)
            }
        case .submit:
            self = .submit(room: try args.word("room"))
        case .progress:
            self = .progress(room: try args.word("room"))
        case .disagreements:
            self = .disagreements(room: try args.word("room"))
        case .sign:
            self = .sign(room: try args.word("room"))
        case .reopen:
            let room = try args.word("room")
            guard let reason = try args.remainingText() else { throw args.bad("a reason is required") }
            self = .reopen(room: room, reason: reason)
        case .results:
            let options = try args.options(allowed: ["room", "day"])
            self = .results(room: options["room"], day: options["day"])
        case .pv:
            let room = try args.word("room")
            let (format, lang) = try Self.documentOptions(&args)
            self = .pv(room: room, format: format, lang: lang)
        case .transcript:
            let candidate = try args.word("candidate")
            let (format, lang) = try Self.documentOptions(&args)
            self = .transcript(candidate: candidate, format: format, lang: lang)
        case .evidence:
            let room = try args.word("room")
            let candidate = try args.word("candidate")
            let word = try args.word("part")
            guard let part = EvidencePart(rawValue: word) else { throw args.bad("part is \(EvidencePart.words)") }
            guard let text = try args.remainingText() else { throw args.bad("the evidence needs a text") }
            self = .evidence(room: room, candidate: candidate, part: part, text: text)
        case .observations:
            let room = try args.word("room")
            guard let text = try args.remainingText() else { throw args.bad("the observations need a text") }
            self = .observations(room: room, text: text)
        case .outageDecline:
            let room = try args.word("room")
            let word = try args.word("outage-id")
            guard let id = Int(word), id > 0 else { throw args.bad("outage-id must be a positive whole number") }
            guard let reason = try args.remainingText() else { throw args.bad("a reason is required") }
            self = .outageDecline(room: room, outage: id, reason: reason)
        case .restart, .postpone:
            let room = try args.word("room")
            guard let reason = try args.remainingText() else { throw args.bad("a reason is required") }
            self = verb == .restart ? .restart(room: room, reason: reason) : .postpone(room: room, reason: reason)
        case .audit:
            self = .audit(room: try args.options(allowed: ["room"])["room"])
        case .outcome:
            self = .outcome(candidate: try args.word("candidate"))
        case .outcomes:
            let options = try args.options(allowed: ["day", "track", "state"])
            self = .outcomes(day: options["day"], track: options["track"], state: options["state"])
        case .acknowledge:
            let room = try args.word("room")
            self = .acknowledge(room: room, candidate: try args.word("candidate"))
        case .history:
            let room = try args.word("room")
            let options = try args.options(allowed: ["limit"])
            var limit: Int?
            if let text = options["limit"] {
                guard let value = Int(text), value >= 1, value <= Self.maxHistory else { throw args.bad("limit is 1 to \(Self.maxHistory)") }
                limit = value
            }
            self = .history(room: room, limit: limit)
        }
        try args.finish()
    }

    /// `[format=markdown|html] [lang=fr|en]` of the documents (PV, TRANSCRIPT).
    private static func documentOptions(_ args: inout ArgumentReader) throws(WireError) -> (format: String?, lang: String?) {
        let options = try args.options(allowed: ["format", "lang"])
        if let format = options["format"], format != "markdown" && format != "html" { throw args.bad("format is markdown or html") }
        if let lang = options["lang"], lang != "fr" && lang != "en" { throw args.bad("lang is fr or en") }
        return (options["format"], options["lang"])
    }

    /// The message that carries this command, with an optional request id.
    public func message(id: String? = nil) -> Message {
        var params: [String] = []
        var text: String?
        switch self {
        case .hello(let version): params = [version]
        case .auth(let token): params = [token]
        case .ping(let token): params = token.map { [$0] } ?? []
        case .pong(let token): params = [token]
        case .quit, .whoami: params = []
        case .userCreate(let user, let role, let email, let fields, let displayName):
            params = [user, role] + (email.map { ["email=\($0)"] } ?? []) + fields.options
            text = displayName
        case .userUpdate(let user, let changes):
            params = [user] + changes.options
            text = changes.displayName
        case .userList(let role, let state):
            params = (role.map { ["role=\($0)"] } ?? []) + (state.map { ["state=\($0)"] } ?? [])
        case .userDisable(let user, let reason):
            params = [user]
            text = reason
        case .userEnable(let user): params = [user]
        case .tokenIssue(let user, let expiry, let label):
            params = [user]
            switch expiry {
            case .at(let time): params.append("expires=\(time)")
            case .after(let seconds): params.append("ttl=\(seconds)")
            case nil: break
            }
            if let label { params.append("label=\(label)") }
        case .tokenList(let user): params = user.map { [$0] } ?? []
        case .tokenRevoke(let id): params = [String(id)]
        case .referential(let ref), .blockList(let ref):
            params = ref.map { ["ref=\($0)"] } ?? []
        case .competenceList(let block, let epreuve, let ref):
            params = (block.map { ["block=\($0)"] } ?? []) + (epreuve.map { ["epreuve=\($0)"] } ?? [])
                + (ref.map { ["ref=\($0)"] } ?? [])
        case .competenceShow(let code, let ref):
            params = [code] + (ref.map { ["ref=\($0)"] } ?? [])
        case .roomCreate(let room, let kind, let options, let title):
            params = [room, kind] + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            text = title
        case .roomUpdate(let room, let options, let title):
            params = [room] + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            text = title
        case .roomCancel(let room, let reason):
            params = [room]
            text = reason
        case .roomList(let day, let state):
            params = (day.map { ["day=\($0)"] } ?? []) + (state.map { ["state=\($0)"] } ?? [])
        case .roomShow(let room), .join(let room), .leave(let room), .time(let room), .timerStart(let room),
            .timerResume(let room), .outages(let room), .deliberate(let room):
            params = [room]
        case .dayImport(let lines):
            params = [String(lines)]
        case .resume(let room, let lastSeq):
            params = [room, String(lastSeq)]
        case .timerPause(let room, let reason):
            params = [room]
            text = reason
        case .timerAdjust(let room, let seconds, let reason):
            params = [room, seconds > 0 ? "+\(seconds)" : String(seconds)]
            text = reason
        case .say(let room, let audience, let message):
            params = [room, audience.rawValue]
            text = message
        case .signal(let room, let kind):
            params = [room, kind.rawValue]
        case .outageExtend(let room, let outage):
            params = [room, String(outage)]
        case .mark(let room, let candidate, let criterion, let mark, let comment):
            params = [room, candidate, criterion, mark?.rawValue ?? Mark.clear]
            text = comment
        case .propose(let room, let candidate, let competence, let decision, let comment):
            params = [room, candidate, competence, decision?.rawValue ?? Decision.clear]
            text = comment
        case .decide(let room, let candidate, let competence, let decision, let comment):
            params = [room, candidate, competence, decision.rawValue]
            text = comment
        case .submit(let room), .progress(let room), .disagreements(let room), .sign(let room):
            params = [room]
        case .reopen(let room, let reason):
            params = [room]
            text = reason
        case .results(let room, let day):
            params = (room.map { ["room=\($0)"] } ?? []) + (day.map { ["day=\($0)"] } ?? [])
        case .pv(let room, let format, let lang):
            params = [room] + (format.map { ["format=\($0)"] } ?? []) + (lang.map { ["lang=\($0)"] } ?? [])
        case .transcript(let candidate, let format, let lang):
            params = [candidate] + (format.map { ["format=\($0)"] } ?? []) + (lang.map { ["lang=\($0)"] } ?? [])
        case .evidence(let room, let candidate, let part, let evidence):
            params = [room, candidate, part.rawValue]
            text = evidence
        case .observations(let room, let observations):
            params = [room]
            text = observations
        case .outageDecline(let room, let outage, let reason):
            params = [room, String(outage)]
            text = reason
        case .restart(let room, let reason), .postpone(let room, let reason):
            params = [room]
            text = reason
        case .outcome(let candidate):
            params = [candidate]
        case .outcomes(let day, let track, let state):
            params = (day.map { ["day=\($0)"] } ?? []) + (track.map { ["track=\($0)"] } ?? []) + (state.map { ["state=\($0)"] } ?? [])
        case .audit(let room):
            params = room.map { ["room=\($0)"] } ?? []
        case .acknowledge(let room, let candidate):
            params = [room, candidate]
        case .history(let room, let limit):
            params = [room] + (limit.map { ["limit=\($0)"] } ?? [])
        }
        return Message(id: id, verb: verb.rawValue, params, text: text)
    }
}

/// Reads a message's parameters left to right, producing `BAD_ARGUMENTS` errors with the verb's usage.
struct ArgumentReader {
    let message: Message
    let verb: Verb
    private var index = 0
    private var end: Int

    init(message: Message, verb: Verb) {
        self.message = message
        self.verb = verb
        self.end = message.parameters.count
    }

    func bad(_ problem: String) -> WireError {
        WireError(.badArguments, verb: verb.rawValue, requestID: message.id, "\(problem); usage: \(verb.usage)")
    }

    /// A required word: non-empty and without spaces.
    mutating func word(_ name: String) throws(WireError) -> String {
        guard index < end else { throw bad("missing \(name)") }
        let value = message.parameters[index]
        guard !value.isEmpty, !value.unicodeScalars.contains(" ") else { throw bad("\(name) must be one word") }
        index += 1
        return value
    }

    /// An optional word.
    mutating func optionalWord() throws(WireError) -> String? {
        guard index < end else { return nil }
        return try word("parameter")
    }

    /// The final parameter, required: free text that may contain spaces. A missing or empty text is
    /// `BAD_ARGUMENTS`; whether a blank one is acceptable is the verb's rule (`INVALID`, PROTOCOL.md §3).
    mutating func finalText(_ name: String) throws(WireError) -> String {
        guard let value = try text(name), !value.isEmpty else { throw bad("missing \(name)") }
        return value
    }

    /// The final free-text parameter, or `nil` when none is left: the parameter written after `:`, or else a
    /// last word without `=` (an option is never read as text). Several words without `:` are refused: the server
    /// never joins words into a text (PROTOCOL.md §3).
    private mutating func text(_ name: String) throws(WireError) -> String? {
        guard index < end else { return nil }
        let last = message.parameters[end - 1]
        if !message.hasText {
            guard !last.unicodeScalars.contains("=") else { return nil }
            // Options may stand before it; any other word means a text of several words, which needs the colon.
            guard message.parameters[index..<(end - 1)].allSatisfy({ $0.unicodeScalars.contains("=") }) else {
                throw bad("\(name) of more than one word must follow ':'")
            }
        }
        end -= 1
        return last
    }

    /// The optional final free text (as ``finalText(_:)``), or `nil`; an empty `:` text is `nil`.
    mutating func remainingText(_ name: String = "text") throws(WireError) -> String? {
        guard let value = try text(name) else { return nil }
        return value.isEmpty ? nil : value
    }

    /// `key=value` options, each at most once, keys among `allowed`.
    mutating func options(allowed: Set<String>) throws(WireError) -> [String: String] {
        var result: [String: String] = [:]
        while index < end {
            let item = message.parameters[index]
            let scalars = item.unicodeScalars
            guard let equals = scalars.firstIndex(of: "="), !scalars.contains(" ") else {
                throw bad("unexpected parameter '\(item.prefix(64))'")
            }
            let key = String(String.UnicodeScalarView(scalars[..<equals])).lowercased()
            let value = String(String.UnicodeScalarView(scalars[scalars.index(after: equals)...]))
            guard allowed.contains(key) else {
                throw bad("unknown option '\(key.prefix(32))'")
            }
            guard result[key] == nil else { throw bad("option '\(key)' given twice") }
            guard !value.isEmpty else { throw bad("option '\(key)' needs a value") }
            result[key] = value
            index += 1
        }
        return result
    }

    /// Fails when parameters are left over.
    func finish() throws(WireError) {
        if index < end {
            throw bad("\(end - index) extra parameter\(end - index == 1 ? "" : "s")")
        }
    }
}
