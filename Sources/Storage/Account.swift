/// Who is calling: a signed-in account, its role, and the person profile it owns.
public struct Caller: Sendable, Equatable {
    public enum Role: String, Sendable, Codable {
        case member, organiser
    }

    public var accountId: String
    public var email: String
    public var role: Role
    public var personId: String?

    public init(accountId: String, email: String, role: Role, personId: String?) {
        self.accountId = accountId
        self.email = email
        self.role = role
        self.personId = personId
    }

    public var isOrganiser: Bool { role == .organiser }
}

/// An account as its owner sees it.
public struct Account: Sendable, Codable, Equatable {
    public var id: String
    public var email: String
    public var role: Caller.Role
    public var personId: String?
    public var createdAt: String
}

/// The stored password hash of an account, for checking a log-in.
public struct Credentials: Sendable {
    public var accountId: String
    public var passwordHash: String
}
