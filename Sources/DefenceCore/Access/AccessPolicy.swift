import DefenceProtocol

/// Who may use which verb: the verbs × roles table of PROTOCOL.md.
public enum AccessPolicy {
    /// The roles allowed to use `verb` once authenticated.
    public static func roles(for verb: Verb) -> Set<Role> {
        switch verb {
        case .hello, .auth, .ping, .pong, .quit, .whoami, .referential, .blockList, .competenceList, .competenceShow,
            .roomList, .roomShow, .join, .leave, .resume, .time, .history:
            return Set(Role.allCases)
        case .userCreate, .userUpdate, .userList, .userDisable, .userEnable, .tokenIssue, .tokenList, .tokenRevoke,
            .roomCreate, .roomUpdate, .roomCancel, .dayImport, .reopen, .results, .pv, .audit, .transcript:
            return [.admin]
        case .mark, .propose, .submit, .decide, .sign:
            return [.juror]
        case .progress, .disagreements:
            return [.juror, .admin]
        case .timerStart, .timerPause, .timerResume, .timerAdjust, .say, .outages, .deliberate, .acknowledge:
            return [.juror, .admin]
        case .outageExtend, .outageDecline, .restart, .postpone, .observations, .evidence:
            // The president's decisions and the jury's records: admins are refused at the role step.
            return [.juror]
        case .signal:
            return [.candidate]
        case .outcome:
            // A candidate reads their own only (CommandRouter).
            return [.candidate, .admin]
        case .outcomes:
            return [.admin]
        }
    }

    /// Whether `role` may use `verb`.
    public static func allows(_ role: Role, _ verb: Verb) -> Bool {
        roles(for: verb).contains(role)
    }
}
