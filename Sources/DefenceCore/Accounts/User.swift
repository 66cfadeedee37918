import DefenceProtocol
import Foundation

/// A person with an account.
public struct User: Hashable, Sendable {
    /// The login identifier (see ``UserID``).
    public var id: String
    /// What the user may do.
    public var role: Role
    /// The name shown to others, e.g. "Camille Martin".
    public var displayName: String
    /// An optional e-mail address.
    public var email: String?
    /// When the account was created.
    public var createdAt: Date
    /// When the account was disabled, if it is.
    public var disabledAt: Date?
    /// A candidate's certification fields (track, number, legal name), a juror's capacity.
    public var fields: AccountFields

    /// The name printed on records: the legal name when set, else the display name.
    public var recordName: String { fields.legalName ?? displayName }

    /// Creates a user value.
    public init(
        id: String,
        role: Role,
        displayName: String,
        email: String? = nil,
        createdAt: Date,
        disabledAt: Date? = nil,
        fields: AccountFields = AccountFields()
    ) {
        self.id = id
        self.role = role
        self.displayName = displayName
        self.email = email
        self.createdAt = createdAt
        self.disabledAt = disabledAt
        self.fields = fields
    }

    /// Whether the account may authenticate.
    public var isActive: Bool { disabledAt == nil }
}
