import Foundation
import GRDB
import KoblingCore

/// What opening a verification link did.
public struct AddressVerified: Sendable {
    public var account: Account
    /// The address the account used before, when the link changed it.
    public var previousEmail: String?
}

extension AppDatabase {
    /// Links an account may ask for in an hour; more are refused with 429.
    public static let verificationsPerHour = 5

    /// Stores a verification link and queues its email. Any earlier open link of the account is
    /// spent, so that only the newest one works.
    func storeVerification(_ request: AddressVerificationRequest, accountId: String, _ db: Database) throws {
        let now = clock.now()
        try db.execute(
            sql: "UPDATE addressVerification SET usedAt = ? WHERE accountId = ? AND usedAt IS NULL",
            arguments: [Timestamp.string(now), accountId])
        try AddressVerificationRecord(
            tokenHash: request.tokenHash, accountId: accountId, email: request.email.value, createdAt: Timestamp.string(now),
            expiresAt: Timestamp.string(now + request.lifetime), usedAt: nil
        ).insert(db)
        try enqueue(request.mail, db)
    }

    /// Sends a new link: to the account's own address while it is unverified, or to the address
    /// the owner wants to change to. Refused when that address is already the account's and
    /// verified, when another account has it, or past the hourly limit.
    public func requestAddressVerification(accountId: String, _ request: AddressVerificationRequest) async throws -> Account {
        let now = clock.now()
        return try await write { db in
            guard let record = try AccountRecord.fetchOne(db, key: accountId) else { throw KoblingError.unauthenticated() }
            let taken = try AccountRecord.filter(AccountRecord.Columns.email == request.email.value && Column("id") != accountId).fetchCount(db) > 0
            _ = try AddressVerification.request(
                request.email.value, current: record.email, currentVerified: record.emailVerifiedAt != nil, takenByAnother: taken)
            // The hourly limit every other limit uses (a refusal rolls the attempt back with the rest).
            try self.takeAttempts(
                [("verify:" + accountId, Self.verificationsPerHour)], refusal: "Too many verification links; use the newest one", now: now, db)
            try self.storeVerification(request, accountId: accountId, db)
            guard let account = try self.account(id: accountId, db) else { throw KoblingError.notFound() }
            return account
        }
    }

    /// Opens a verification link once: the address it was sent to becomes the account's, verified.
    /// `notice` is the email that tells the previous address of a change, queued in the same
    /// transaction.
    public func verifyAddress(
        tokenHash: String, notice: @escaping @Sendable (_ account: Account, _ previousEmail: String) throws -> OutboxMail
    ) async throws -> AddressVerified {
        let now = self.now
        return try await write { db in
            guard let link = try AddressVerificationRecord.fetchOne(db, key: tokenHash),
                let record = try AccountRecord.fetchOne(db, key: link.accountId)
            else {
                throw KoblingError.invalid("/token", "This link is unknown, used or expired; ask for a new one.")
            }
            let taken = try AccountRecord.filter(AccountRecord.Columns.email == link.email && Column("id") != record.id).fetchCount(db) > 0
            let outcome = try AddressVerification.open(
                linkEmail: link.email, usedAt: link.usedAt, expiresAt: link.expiresAt, now: now, current: record.email, takenByAnother: taken)
            try db.execute(sql: "UPDATE addressVerification SET usedAt = ? WHERE tokenHash = ?", arguments: [now, tokenHash])
            try db.execute(
                sql: "UPDATE account SET email = ?, emailVerifiedAt = ? WHERE id = ?", arguments: [link.email, now, record.id])
            var previous: String?
            if case .changed(let old) = outcome { previous = old }
            guard let account = try self.account(id: record.id, db) else { throw KoblingError.notFound() }
            if let previous { try self.enqueue(try notice(account, previous), db) }
            return AddressVerified(account: account, previousEmail: previous)
        }
    }

    /// Sets the language the owner is written to in (`nil`: the hub's default).
    public func setLanguage(accountId: String, _ language: PreferredLanguage?) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE account SET language = ? WHERE id = ?", arguments: [language?.rawValue, accountId])
        }
    }

    /// Accounts by address, for organisers; `verified` keeps only verified or only unverified ones.
    public func accounts(verified: Bool?, page: PageRequest) async throws -> Page<AccountSummary> {
        try await read { db in
            var query = ListQuery()
            if let verified { query.require(verified ? "a.emailVerifiedAt IS NOT NULL" : "a.emailVerifiedAt IS NULL") }
            if let after = page.after, after.count == 2 { query.require("(a.email, a.id) > (?, ?)", after[0], after[1]) }
            let rows = try Row.fetchAll(
                db, sql: """
                    SELECT a.id, a.email, a.role, a.emailVerifiedAt, a.createdAt, p.name
                    FROM account a LEFT JOIN person p ON p.accountId = a.id
                    \(query.filterClause) ORDER BY a.email, a.id LIMIT \(page.limit + 1)
                    """, arguments: query.arguments)
            let items = rows.map {
                AccountSummary(
                    id: $0["id"], email: $0["email"], name: $0["name"], role: Caller.Role(rawValue: $0["role"]) ?? .member,
                    emailVerified: ($0["emailVerifiedAt"] as String?) != nil, createdAt: $0["createdAt"])
            }
            return Page(fetched: items, limit: page.limit) { [$0.email, $0.id] }
        }
    }
}
