import Foundation
import GRDB
import KoblingCore

extension AppDatabase {
    /// Signs up a member: an account and the person profile it owns, in one transaction, with the
    /// link that verifies its address and the email that carries it. An account made `verified`
    /// (an organiser an operator made) needs no link.
    public func createAccount(
        email: EmailAddress, passwordHash: String, name: String, role: Caller.Role = .member, language: PreferredLanguage? = nil,
        verified: Bool = false, verification: AddressVerificationRequest? = nil
    ) async throws -> Account {
        let accountId = ids.next("acc")
        let personId = ids.next("per")
        let now = self.now
        return try await write { db in
            guard try AccountRecord.filter(AccountRecord.Columns.email == email.value).fetchCount(db) == 0 else {
                throw KoblingError.conflict("An account with this email exists already.")
            }
            try AccountRecord(
                id: accountId, email: email.value, passwordHash: passwordHash, role: role.rawValue,
                createdAt: now, passwordChangedAt: now, emailVerifiedAt: verified ? now : nil, language: language?.rawValue
            ).insert(db)
            let person = Person(id: personId, name: name, createdAt: now, updatedAt: now)
            try self.insertPerson(person, accountId: accountId, db)
            if let verification { try self.storeVerification(verification, accountId: accountId, db) }
            return Account(
                id: accountId, email: email.value, role: role, personId: personId, emailVerified: verified, pendingEmail: nil,
                language: language, createdAt: now)
        }
    }

    public func credentials(email: EmailAddress) async throws -> Credentials? {
        try await read { db in
            try AccountRecord.filter(AccountRecord.Columns.email == email.value).fetchOne(db).map(Credentials.init)
        }
    }

    public func credentials(accountId: String) async throws -> Credentials? {
        try await read { db in
            try AccountRecord.fetchOne(db, key: accountId).map(Credentials.init)
        }
    }

    public func account(id: String) async throws -> Account? {
        try await read { db in try self.account(id: id, db) }
    }

    func account(id: String, _ db: Database) throws -> Account? {
        guard let record = try AccountRecord.fetchOne(db, key: id) else { return nil }
        let personId = try String.fetchOne(db, sql: "SELECT id FROM person WHERE accountId = ?", arguments: [id])
        let pending = try String.fetchOne(
            db, sql: """
                SELECT email FROM addressVerification
                WHERE accountId = ? AND usedAt IS NULL AND expiresAt > ? AND email <> ? ORDER BY createdAt DESC LIMIT 1
                """, arguments: [id, now, record.email])
        return Account(
            id: record.id, email: record.email, role: Caller.Role(rawValue: record.role) ?? .member,
            personId: personId, emailVerified: record.emailVerifiedAt != nil, pendingEmail: pending,
            language: record.language.flatMap(PreferredLanguage.init), createdAt: record.createdAt)
    }

    /// Makes an existing account an organiser, or creates one with the given password hash.
    /// Answers whether an account was created.
    public func ensureOrganiser(email: EmailAddress, passwordHash: String, name: String) async throws -> Bool {
        let exists = try await write { db in
            try db.execute(sql: "UPDATE account SET role = 'organiser' WHERE email = ?", arguments: [email.value])
            return db.changesCount > 0
        }
        if exists { return false }
        // The operator typed the address in: it needs no link.
        _ = try await createAccount(email: email, passwordHash: passwordHash, name: name, role: .organiser, verified: true)
        return true
    }

    // MARK: Sessions

    public func startSession(accountId: String, tokenHash: String, lifetime: TimeInterval) async throws -> String {
        let now = clock.now()
        let expiresAt = Timestamp.string(now + lifetime)
        try await write { db in
            try SessionRecord(tokenHash: tokenHash, accountId: accountId, createdAt: Timestamp.string(now), expiresAt: expiresAt).insert(db)
            // Expired sessions are swept as new ones start, so the table stays small.
            try SessionRecord.filter(SessionRecord.Columns.accountId == accountId && SessionRecord.Columns.expiresAt <= Timestamp.string(now)).deleteAll(db)
        }
        return expiresAt
    }

    /// The caller behind a bearer token, if the session exists and has not expired.
    public func caller(tokenHash: String) async throws -> Caller? {
        let now = self.now
        // Every signed-in request asks: one statement, compiled once.
        return try await readStatement { db in
            let statement = try db.cachedStatement(sql: """
                SELECT account.id, account.email, account.role, account.emailVerifiedAt, account.language, person.id AS personId
                FROM session JOIN account ON account.id = session.accountId
                LEFT JOIN person ON person.accountId = account.id
                WHERE session.tokenHash = ? AND session.expiresAt > ?
                """)
            let row = try Row.fetchOne(statement, arguments: [tokenHash, now])
            return row.map {
                Caller(
                    accountId: $0["id"], email: $0["email"], role: Caller.Role(rawValue: $0["role"]) ?? .member, personId: $0["personId"],
                    emailVerified: ($0["emailVerifiedAt"] as String?) != nil, language: ($0["language"] as String?).flatMap(PreferredLanguage.init))
            }
        }
    }

    public func endSession(tokenHash: String) async throws {
        _ = try await write { db in try SessionRecord.deleteOne(db, key: tokenHash) }
    }

    /// Sets a new password and ends every session of the account but `keeping`.
    public func changePassword(accountId: String, passwordHash: String, keeping tokenHash: String?) async throws {
        let now = self.now
        try await write { db in
            try db.execute(
                sql: "UPDATE account SET passwordHash = ?, passwordChangedAt = ? WHERE id = ?",
                arguments: [passwordHash, now, accountId])
            try db.execute(
                sql: "DELETE FROM session WHERE accountId = ? AND tokenHash IS NOT ?", arguments: [accountId, tokenHash])
        }
    }

    // MARK: Password reset

    /// Records a reset link and queues the email that carries it, in one transaction.
    public func createPasswordReset(accountId: String, tokenHash: String, lifetime: TimeInterval, mail: OutboxMail) async throws {
        let now = clock.now()
        try await write { db in
            try PasswordResetRecord(
                tokenHash: tokenHash, accountId: accountId, createdAt: Timestamp.string(now),
                expiresAt: Timestamp.string(now + lifetime), usedAt: nil
            ).insert(db)
            try enqueue(mail, db)
        }
    }

    /// Uses a reset link once: sets the new password, ends all sessions, and spends the link and
    /// any other open link of the account. The link reached the account's address, so the address
    /// is verified by it too.
    public func resetPassword(tokenHash: String, passwordHash: String) async throws {
        let now = self.now
        try await write { db in
            guard let reset = try PasswordResetRecord.fetchOne(db, key: tokenHash),
                reset.usedAt == nil, reset.expiresAt > now
            else {
                throw KoblingError.invalid("/token", "This link is unknown, used or expired; ask for a new one.")
            }
            try db.execute(
                sql: "UPDATE passwordReset SET usedAt = ? WHERE accountId = ? AND usedAt IS NULL",
                arguments: [now, reset.accountId])
            try db.execute(
                sql: "UPDATE account SET passwordHash = ?, passwordChangedAt = ?, emailVerifiedAt = COALESCE(emailVerifiedAt, ?) WHERE id = ?",
                arguments: [passwordHash, now, now, reset.accountId])
            try db.execute(sql: "DELETE FROM session WHERE accountId = ?", arguments: [reset.accountId])
        }
    }

    /// The number of reset links an account asked for since `since`, to limit how many are mailed.
    public func passwordResetCount(accountId: String, since: Date) async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM passwordReset WHERE accountId = ? AND createdAt > ?",
                arguments: [accountId, Timestamp.string(since)]) ?? 0
        }
    }
}

// MARK: Personal data (GDPR)

/// Everything Kobling holds about an account's owner, for a data export.
public struct PersonalData: Sendable, Encodable {
    public struct SessionInfo: Sendable, Encodable {
        public var createdAt: String
        public var expiresAt: String
    }

    public var account: Account
    public var personDocument: String?
    public var memberships: [Membership]
    public var sessions: [SessionInfo]
    public var passwordChangedAt: String
    /// Mailing-list subscriptions made from the account, and, once the address is verified, those
    /// made with its address, with the consent records.
    public var subscriptions: [ListSubscription]
    /// The pitches the person wrote (their documents), and those they said they are interested in.
    public var pitchDocuments: [String]
    public var interestedIn: [String]
    /// Proposals made to the person or about their pitches, the collaborations that came of
    /// them, and the conflicts of interest they declared.
    public var proposalDocuments: [String]
    public var collaborationDocuments: [String]
    public var conflicts: [String]
    /// Their meetings at matchmaking sessions.
    public var meetingDocuments: [String]
    /// The mentoring requests they made.
    public var mentoringRequestDocuments: [String]
}

/// One subscription as its owner sees it in an export.
public struct ListSubscription: Sendable, Encodable {
    public var listId: String
    public var listName: String
    public var subscriber: Subscriber
}

extension AppDatabase {
    public func personalData(accountId: String) async throws -> PersonalData? {
        try await read { db in
            guard let record = try AccountRecord.fetchOne(db, key: accountId), let account = try self.account(id: accountId, db) else {
                return nil
            }
            let personDocument = try String.fetchOne(db, sql: "SELECT documentFull FROM person WHERE accountId = ?", arguments: [accountId])
            let memberships = try account.personId.map { try self.memberships(personId: $0, db) } ?? []
            let sessions = try SessionRecord.filter(SessionRecord.Columns.accountId == accountId).order(SessionRecord.Columns.expiresAt).fetchAll(db)
                .map { PersonalData.SessionInfo(createdAt: $0.createdAt, expiresAt: $0.expiresAt) }
            let subscriptions = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.*, l.name AS listName FROM subscriber s JOIN mailingList l ON l.id = s.listId
                    WHERE s.accountId = ? OR (? AND s.email = ?) ORDER BY l.name, s.id
                    """,
                arguments: [accountId, account.emailVerified, account.email]
            ).map { ListSubscription(listId: $0["listId"], listName: $0["listName"], subscriber: Subscriber($0)) }
            let personId = account.personId ?? ""
            let pitches = try String.fetchAll(db, sql: "SELECT document FROM pitch WHERE authorId = ? AND kind = ? ORDER BY sortKey, id",
                                              arguments: [personId, RoundKind.pitches.rawValue])
            let mentoring = try PitchRecord.fetchAll(db, sql: "SELECT * FROM pitch WHERE authorId = ? AND kind = ? ORDER BY createdAt, id",
                                                     arguments: [personId, RoundKind.mentoring.rawValue])
                .map { JSONDocument.render(MentoringRequest(try $0.pitch())) }
            let interest = try String.fetchAll(db, sql: "SELECT pitchId FROM pitchInterest WHERE personId = ? ORDER BY createdAt, pitchId", arguments: [personId])
            let proposals = try String.fetchAll(db, sql: """
                SELECT document FROM proposal WHERE personId = ?1 OR authorId = ?1 ORDER BY createdAt, id
                """, arguments: [personId])
            let collaborations = try String.fetchAll(db, sql: """
                SELECT document FROM collaboration WHERE personId = ?1 OR authorId = ?1 ORDER BY createdAt, id
                """, arguments: [personId])
            let conflicts = try String.fetchAll(db, sql: "SELECT target FROM conflictOfInterest WHERE personId = ? ORDER BY target", arguments: [personId])
            let meetings = try String.fetchAll(db, sql: """
                SELECT document FROM sessionMeeting WHERE personId = ? ORDER BY startsAt, roundId, pitchId
                """, arguments: [personId])
            return PersonalData(
                account: account, personDocument: personDocument, memberships: memberships, sessions: sessions,
                passwordChangedAt: record.passwordChangedAt, subscriptions: subscriptions, pitchDocuments: pitches, interestedIn: interest,
                proposalDocuments: proposals, collaborationDocuments: collaborations, conflicts: conflicts,
                meetingDocuments: meetings, mentoringRequestDocuments: mentoring)
        }
    }

    /// Erases an account and the person it owns: profile, tags, memberships, sessions, reset
    /// links and mailing-list subscriptions made from the account go in one transaction; so do,
    /// when the address is verified, the subscriptions made with the address and its mail log and
    /// bounces (an unverified account reaches nothing others filed under the address). Refused while the person is the last admin of an organisation,
    /// which would be left with nobody to run it.
    public func eraseAccount(accountId: String) async throws {
        try await write { db in
            let personId = try String.fetchOne(db, sql: "SELECT id FROM person WHERE accountId = ?", arguments: [accountId])
            if let personId {
                let stranded = try String.fetchAll(db, sql: """
                    SELECT o.name FROM membership m JOIN organisation o ON o.id = m.organisationId
                    WHERE m.personId = ?1 AND m.role = 'admin'
                      AND NOT EXISTS (SELECT 1 FROM membership x WHERE x.organisationId = m.organisationId AND x.role = 'admin' AND x.personId <> ?1)
                    ORDER BY o.sortKey
                    """, arguments: [personId])
                if !stranded.isEmpty {
                    throw KoblingError.conflict(
                        "You are the last admin of \(stranded.joined(separator: ", ")); make someone else admin first.")
                }
                try SearchIndex.people.remove(id: personId, db)
                try self.removePitches(ofAuthor: personId, db)
                try self.forgetInSessions(personId, db)
                try db.execute(sql: "DELETE FROM person WHERE id = ?", arguments: [personId])
            }
            try db.execute(sql: "DELETE FROM subscriber WHERE accountId = ?", arguments: [accountId])
            if let email = try String.fetchOne(db, sql: "SELECT email FROM account WHERE id = ? AND emailVerifiedAt IS NOT NULL", arguments: [accountId]) {
                try db.execute(sql: "DELETE FROM subscriber WHERE email = ?", arguments: [email])
                try db.execute(sql: "DELETE FROM outbox WHERE recipient = ?", arguments: [email])
                try db.execute(sql: "DELETE FROM bounce WHERE email = ?", arguments: [email])
                try db.execute(sql: "DELETE FROM suppression WHERE email = ?", arguments: [email])
            }
            guard try AccountRecord.deleteOne(db, key: accountId) else { throw KoblingError.notFound() }
        }
    }
}

extension Credentials {
    init(_ record: AccountRecord) {
        self.init(accountId: record.id, passwordHash: record.passwordHash, language: record.language.flatMap(PreferredLanguage.init))
    }
}
