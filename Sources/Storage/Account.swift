import Foundation
import KoblingCore

/// Who is calling: a signed-in account, its role, and the person profile it owns.
public struct Caller: Sendable, Equatable {
    public enum Role: String, Sendable, Codable {
        case member, organiser
    }

    public var accountId: String
    public var email: String
    public var role: Role
    public var personId: String?
    /// Whether the owner has shown, by an emailed link, that the address is theirs. Until then
    /// the account reaches only what it made itself.
    public var emailVerified: Bool
    public var language: PreferredLanguage?

    public init(accountId: String, email: String, role: Role, personId: String?, emailVerified: Bool, language: PreferredLanguage?) {
        self.accountId = accountId
        self.email = email
        self.role = role
        self.personId = personId
        self.emailVerified = emailVerified
        self.language = language
    }

    public var isOrganiser: Bool { role == .organiser }
}

/// An account as its owner sees it.
public struct Account: Sendable, Codable, Equatable {
    public var id: String
    public var email: String
    public var role: Caller.Role
    public var personId: String?
    public var emailVerified: Bool
    /// An address the owner asked to change to, which takes effect once its link is opened.
    public var pendingEmail: String?
    /// The language Kobling writes to the owner in; `null` for the hub's default.
    public var language: PreferredLanguage?
    public var createdAt: String

    public init(
        id: String, email: String, role: Caller.Role, personId: String?, emailVerified: Bool, pendingEmail: String?,
        language: PreferredLanguage?, createdAt: String
    ) {
        self.id = id
        self.email = email
        self.role = role
        self.personId = personId
        self.emailVerified = emailVerified
        self.pendingEmail = pendingEmail
        self.language = language
        self.createdAt = createdAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(email, forKey: .email)
        try container.encode(role, forKey: .role)
        try container.encode(personId, forKey: .personId)
        try container.encode(emailVerified, forKey: .emailVerified)
        try container.encode(pendingEmail, forKey: .pendingEmail)
        try container.encode(language, forKey: .language)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

/// An account as organisers see it in the list of accounts.
public struct AccountSummary: Sendable, Encodable, Equatable {
    public var id: String
    public var email: String
    public var name: String?
    public var role: Caller.Role
    public var emailVerified: Bool
    public var createdAt: String
}

/// A link that verifies an address, and the email that carries it, to be stored together.
public struct AddressVerificationRequest: Sendable {
    public var tokenHash: String
    public var email: EmailAddress
    public var lifetime: TimeInterval
    public var mail: OutboxMail

    public init(tokenHash: String, email: EmailAddress, lifetime: TimeInterval, mail: OutboxMail) {
        self.tokenHash = tokenHash
        self.email = email
        self.lifetime = lifetime
        self.mail = mail
    }
}

/// The stored password hash of an account, for checking a log-in.
public struct Credentials: Sendable {
    public var accountId: String
    public var passwordHash: String
    public var language: PreferredLanguage?
}
