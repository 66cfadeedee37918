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

    /// Creates a user value.
    public init(
        id: String,
        role: Role,
        displayName: String,
        email: String? = nil,
        createdAt: Date,
        disabledAt: Date? = nil
    ) {
        self.id = id
        self.role = role
        self.displayName = displayName
        self.email = email
        self.createdAt = createdAt
        self.disabledAt = disabledAt
    }

    /// Whether the account may authenticate.
    public var isActive: Bool { disabledAt == nil }
}
