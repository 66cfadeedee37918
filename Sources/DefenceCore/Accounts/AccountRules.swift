import DefenceProtocol

/// Validation of account fields. Each failure names the field and the rule.
public enum AccountRules {
    /// The most characters in a display name.
    public static let maxDisplayNameLength = 128
    /// The most characters in an e-mail address.
    public static let maxEmailLength = 254

    /// A user identifier: 1 to 64 characters among `a-z 0-9 . _ -`, starting with a letter or digit.
    public static func validateUserID(_ id: String) throws(DomainError) {
        guard let first = id.unicodeScalars.first, id.unicodeScalars.count <= 64,
            isLowerAlnum(first),
            id.unicodeScalars.allSatisfy({ isLowerAlnum($0) || "._-".unicodeScalars.contains($0) })
        else {
            throw DomainError(
                .invalid,
                "user id '\(id.prefix(64))' must be 1 to 64 characters among a-z 0-9 . _ -, starting with a letter or digit"
            )
        }
    }

    /// A role name.
    public static func parseRole(_ text: String) throws(DomainError) -> Role {
        guard let role = Role(wire: text) else {
            throw DomainError(.invalid, "unknown role '\(text.prefix(32))'; roles are candidate, juror, admin")
        }
        return role
    }

    /// A display name: not blank, at most 128 characters, no control characters.
    public static func validateDisplayName(_ name: String, what: String = "display name", maxLength: Int = maxDisplayNameLength) throws(DomainError) {
        guard !FreeText.isBlank(name) else { throw DomainError(.invalid, "\(what) must not be blank") }
        guard name.count <= maxLength else {
            throw DomainError(.invalid, "\(what) is longer than \(maxLength) characters")
        }
        guard !name.unicodeScalars.contains(where: LineParser.isControl) else {
            throw DomainError(.invalid, "\(what) must not contain control characters")
        }
    }

    /// An e-mail address: one `@` with text on both sides, a dot in the domain, no spaces, at most 254 characters.
    public static func validateEmail(_ email: String) throws(DomainError) {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= maxEmailLength, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !email.contains(" ")
        else {
            throw DomainError(.invalid, "'\(email.prefix(64))' is not an e-mail address")
        }
    }

    /// The most characters in a juror's capacity.
    public static let maxCapacityLength = 200

    /// The certification fields of an account of `role`: a track, number and legal name for candidates only, a
    /// capacity for jurors only. A track must be one of `referential`'s (by its short id or its specialisation id)
    /// and is returned as its short id.
    /// - Throws: `INVALID` naming the field and the rule.
    public static func validate(_ fields: AccountFields, role: Role, referential: Referential) throws(DomainError) -> AccountFields {
        var valid = fields
        if role != .candidate {
            for (name, value) in [("track", fields.track), ("number", fields.number), ("legal-name", fields.legalName)] where value != nil {
                throw DomainError(.invalid, "\(name) is for candidates, not for \(role == .admin ? "an" : "a") \(role.rawValue) account")
            }
        }
        if role != .juror, fields.capacity != nil {
            throw DomainError(.invalid, "capacity is for jurors, not a \(role.rawValue) account")
        }
        if let track = fields.track {
            guard let specialisation = referential.specialisation(track: track) else {
                let known = referential.specialisations.map { $0.trackID }.joined(separator: ", ")
                throw DomainError(.invalid, context: [track], "unknown track '\(track.prefix(64))'; tracks are \(known)")
            }
            valid.track = specialisation.trackID
        }
        if let number = fields.number {
            guard !number.isEmpty, number.unicodeScalars.count <= 32,
                number.unicodeScalars.allSatisfy({ isLowerAlnum($0) || ("A"..."Z").contains($0) || "._-/".unicodeScalars.contains($0) })
            else {
                throw DomainError(.invalid, "a candidate number is 1 to 32 characters among A-Z a-z 0-9 . _ - /")
            }
        }
        if let legalName = fields.legalName {
            do {
                try validateDisplayName(legalName)
            } catch {
                throw DomainError(.invalid, error.text.replacingOccurrences(of: "display name", with: "legal name"))
            }
        }
        if let capacity = fields.capacity {
            guard !capacity.allSatisfy({ $0 == " " }), capacity.count <= maxCapacityLength,
                !capacity.unicodeScalars.contains(where: LineParser.isControl)
            else {
                throw DomainError(.invalid, "capacity is 1 to \(maxCapacityLength) characters, without control characters")
            }
        }
        return valid
    }

    /// A token label: 1 to 64 characters among `A-Z a-z 0-9 . _ -`.
    public static func validateTokenLabel(_ label: String) throws(DomainError) {
        guard !label.isEmpty, label.unicodeScalars.count <= 64,
            label.unicodeScalars.allSatisfy({ isLowerAlnum($0) || ("A"..."Z").contains($0) || "._-".unicodeScalars.contains($0) })
        else {
            throw DomainError(.invalid, "label must be 1 to 64 characters among A-Z a-z 0-9 . _ -")
        }
    }

    private static func isLowerAlnum(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

extension String {
    func trimmingCharacters(in character: Character) -> Substring {
        var slice = Substring(self)
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return slice
    }
}
