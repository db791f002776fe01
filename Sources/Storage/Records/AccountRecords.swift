import GRDB

struct AccountRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "account"
    var id: String
    var email: String
    var passwordHash: String
    var role: String
    var createdAt: String
    var passwordChangedAt: String
    var emailVerifiedAt: String?
    var language: String?

    enum Columns {
        static let email = Column(CodingKeys.email)
    }
}

struct AddressVerificationRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "addressVerification"
    var tokenHash: String
    var accountId: String
    var email: String
    var createdAt: String
    var expiresAt: String
    var usedAt: String?
}

struct SessionRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "session"
    var tokenHash: String
    var accountId: String
    var createdAt: String
    var expiresAt: String

    enum Columns {
        static let accountId = Column(CodingKeys.accountId)
        static let expiresAt = Column(CodingKeys.expiresAt)
        static let tokenHash = Column(CodingKeys.tokenHash)
    }
}

struct PasswordResetRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "passwordReset"
    var tokenHash: String
    var accountId: String
    var createdAt: String
    var expiresAt: String
    var usedAt: String?
}
