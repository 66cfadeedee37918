/// The certification fields of an account, as `USER-CREATE`, `USER-UPDATE`, `USER-LIST` and `WHOAMI` carry them
/// (PROTOCOL.md §9): a candidate's track, candidate number and legal name, a juror's capacity.
///
/// They travel as options. Text values (`legal-name=`, `capacity=`) may hold spaces: on the wire they are escaped
/// as tag values are (§3: a space is `\s`, a backslash `\\`), so that `legal-name=DUPONT\sLéa` is "DUPONT Léa".
public struct AccountFields: Hashable, Sendable {
    /// A candidate's track: `dev` or `infra` (a specialisation of the referential).
    public var track: String?
    /// A candidate's number, as the certification body issued it.
    public var number: String?
    /// A candidate's legal name, as printed on the records (the display name when unset).
    public var legalName: String?
    /// A juror's capacity, e.g. "Architecte SI, société X".
    public var capacity: String?

    /// Creates fields.
    public init(track: String? = nil, number: String? = nil, legalName: String? = nil, capacity: String? = nil) {
        self.track = track
        self.number = number
        self.legalName = legalName
        self.capacity = capacity
    }

    /// The option names these fields use.
    public static let optionNames: Set<String> = ["track", "number", "legal-name", "capacity"]

    /// Whether no field is set.
    public var isEmpty: Bool { track == nil && number == nil && legalName == nil && capacity == nil }

    /// Reads the fields from options (text values unescaped).
    public init(options: [String: String]) {
        track = options["track"]
        number = options["number"]
        legalName = options["legal-name"].map(TagEscaping.unescape)
        capacity = options["capacity"].map(TagEscaping.unescape)
    }

    /// The fields as options, text values escaped; unset fields are left out.
    public var options: [String] {
        (track.map { ["track=\($0)"] } ?? []) + (number.map { ["number=\($0)"] } ?? [])
            + (legalName.map { ["legal-name=\(TagEscaping.escape($0))"] } ?? [])
            + (capacity.map { ["capacity=\(TagEscaping.escape($0))"] } ?? [])
    }
}

/// A change to one optional field of an account (`USER-UPDATE`): a new value, or `-` to clear it.
public enum FieldChange: Hashable, Sendable {
    /// Set the field to this value.
    case set(String)
    /// Clear the field.
    case clear

    /// Reads an option's value: `-` clears.
    init(option value: String, escaped: Bool) {
        self = value == "-" ? .clear : .set(escaped ? TagEscaping.unescape(value) : value)
    }

    /// The option's value on the wire.
    func option(escaped: Bool) -> String {
        switch self {
        case .clear: "-"
        case .set(let value): escaped ? TagEscaping.escape(value) : value
        }
    }
}

/// What `USER-UPDATE` changes: each field that is given, and the display name when a text is given.
public struct AccountChanges: Hashable, Sendable {
    /// The candidate's track.
    public var track: FieldChange?
    /// The candidate's number.
    public var number: FieldChange?
    /// The candidate's legal name.
    public var legalName: FieldChange?
    /// The e-mail address.
    public var email: FieldChange?
    /// The juror's capacity.
    public var capacity: FieldChange?
    /// A new display name.
    public var displayName: String?

    /// Creates changes.
    public init(
        track: FieldChange? = nil, number: FieldChange? = nil, legalName: FieldChange? = nil, email: FieldChange? = nil,
        capacity: FieldChange? = nil, displayName: String? = nil
    ) {
        self.track = track
        self.number = number
        self.legalName = legalName
        self.email = email
        self.capacity = capacity
        self.displayName = displayName
    }

    /// The option names `USER-UPDATE` takes.
    public static let optionNames: Set<String> = AccountFields.optionNames.union(["email"])

    /// Whether nothing is changed.
    public var isEmpty: Bool {
        track == nil && number == nil && legalName == nil && email == nil && capacity == nil && displayName == nil
    }

    init(options: [String: String], displayName: String?) {
        track = options["track"].map { FieldChange(option: $0, escaped: false) }
        number = options["number"].map { FieldChange(option: $0, escaped: false) }
        legalName = options["legal-name"].map { FieldChange(option: $0, escaped: true) }
        email = options["email"].map { FieldChange(option: $0, escaped: false) }
        capacity = options["capacity"].map { FieldChange(option: $0, escaped: true) }
        self.displayName = displayName
    }

    var options: [String] {
        [("track", track, false), ("number", number, false), ("legal-name", legalName, true), ("email", email, false), ("capacity", capacity, true)]
            .compactMap { name, change, escaped in change.map { "\(name)=\($0.option(escaped: escaped))" } }
    }
}
