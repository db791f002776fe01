import Foundation
import GRDB
import KoblingCore

/// A mailing list people subscribe to (the monthly newsletter, event announcements).
public struct MailingList: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var description: String
    /// The wording a subscriber agrees to; recorded with each subscription.
    public var consentText: String
    public var createdAt: String
}

/// Where a subscription stands.
public enum SubscriptionStatus: String, Sendable, Codable, CaseIterable {
    /// Asked, not yet confirmed by the emailed link: receives nothing.
    case pending
    case confirmed
    case unsubscribed
    /// Hard-bounced or bounced too often: receives nothing until it confirms again.
    case suppressed
}

/// A subscription request as the caller makes it.
public struct SubscriptionRequest: Sendable {
    public var listId: String
    public var email: EmailAddress
    public var name: String?
    public var accountId: String?
    /// Where the consent was given: "web form from 203.0.113.7", "account".
    public var source: String
    /// Rate-limit keys ("email:…", "client:…") with the most requests allowed an hour for each.
    public var limits: [(key: String, perHour: Int)]
    public var confirmTokenHash: String
    public var confirmLifetime: TimeInterval
    /// The language the subscriber is written to in, when they chose one.
    public var language: PreferredLanguage?

    public init(listId: String, email: EmailAddress, name: String?, accountId: String?, source: String,
                limits: [(key: String, perHour: Int)], confirmTokenHash: String, confirmLifetime: TimeInterval,
                language: PreferredLanguage? = nil) {
        self.language = language
        self.listId = listId
        self.email = email
        self.name = name
        self.accountId = accountId
        self.source = source
        self.limits = limits
        self.confirmTokenHash = confirmTokenHash
        self.confirmLifetime = confirmLifetime
    }
}

/// What a confirmed or unsubscribed subscription looks like to its owner.
public struct SubscriptionState: Sendable, Equatable, Codable {
    public var listId: String
    public var listName: String
    public var email: String
    public var status: SubscriptionStatus
}

struct MailingListRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "mailingList"
    var id: String
    var name: String
    var description: String
    var consentText: String
    var createdAt: String
    /// The list as JSON, rendered when it is written.
    var document: String

    init(id: String, name: String, description: String, consentText: String, createdAt: String) {
        self.id = id
        self.name = name
        self.description = description
        self.consentText = consentText
        self.createdAt = createdAt
        document = JSONDocument.render(MailingList(id: id, name: name, description: description, consentText: consentText, createdAt: createdAt))
    }

    var model: MailingList {
        MailingList(id: id, name: name, description: description, consentText: consentText, createdAt: createdAt)
    }
}

extension AppDatabase {
    public func createList(name: String, description: String, consentText: String) async throws -> MailingList {
        let record = MailingListRecord(id: ids.next("list"), name: name, description: description, consentText: consentText, createdAt: now)
        try await write { db in try record.insert(db) }
        return record.model
    }

    /// Every list, by name, as their stored documents.
    public func lists() async throws -> DocumentList {
        try await documentPage(sql: "SELECT document FROM mailingList ORDER BY name, id", arguments: [], limit: .max)
    }

    public func list(id: String) async throws -> MailingList? {
        try await read { db in
            try MailingListRecord.fetchOne(db, key: id)?.model
        }
    }

    /// Records a request to subscribe, with the consent wording, and queues the confirmation email
    /// built by `mail` (given the list), all in one transaction. An address already confirmed gets
    /// no email; a suppressed or unsubscribed one starts over as pending. Answers whether an email
    /// was queued. Throws 429 past the hourly limits.
    public func requestSubscription(_ request: SubscriptionRequest, mail: @escaping @Sendable (MailingList) throws -> OutboxMail) async throws -> Bool {
        let now = clock.now()
        let stamp = Timestamp.string(now)
        return try await write { db in
            guard let list = try MailingListRecord.fetchOne(db, key: request.listId) else { throw KoblingError.notFound("No such list.") }
            try takeAttempts(request.limits, refusal: "Too many subscription requests", now: now, db)
            let existing = try Row.fetchOne(
                db, sql: "SELECT id, status FROM subscriber WHERE listId = ? AND email = ?", arguments: [list.id, request.email.value])
            if let existing, existing["status"] == SubscriptionStatus.confirmed.rawValue { return false }
            let expires = Timestamp.string(now + request.confirmLifetime)
            if let existing {
                try db.execute(
                    sql: """
                        UPDATE subscriber SET status = 'pending', confirmTokenHash = ?, confirmExpiresAt = ?, name = COALESCE(?, name),
                          accountId = COALESCE(?, accountId), consentText = ?, consentAt = ?, consentSource = ?, updatedAt = ?,
                          language = COALESCE(?, language)
                        WHERE id = ?
                        """,
                    arguments: [request.confirmTokenHash, expires, request.name, request.accountId, list.consentText, stamp,
                                request.source, stamp, request.language?.rawValue, existing["id"] as String])
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO subscriber (id, listId, email, name, accountId, status, confirmTokenHash, confirmExpiresAt,
                          unsubscribeToken, consentText, consentAt, consentSource, createdAt, updatedAt, language)
                        VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [ids.next("sub"), list.id, request.email.value, request.name, request.accountId, request.confirmTokenHash,
                                expires, SecretToken.generate(), list.consentText, stamp, request.source, stamp, stamp,
                                request.language?.rawValue])
            }
            try enqueue(try mail(list.model), db)
            return true
        }
    }

    /// Confirms a subscription by its emailed link; the link works once and until it expires.
    public func confirmSubscription(tokenHash: String) async throws -> SubscriptionState {
        let now = self.now
        return try await write { db in
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT s.id, s.email, s.confirmExpiresAt, l.id AS listId, l.name AS listName
                    FROM subscriber s JOIN mailingList l ON l.id = s.listId
                    WHERE s.confirmTokenHash = ? AND s.status = 'pending'
                    """,
                arguments: [tokenHash]),
                (row["confirmExpiresAt"] as String? ?? "") > now
            else {
                throw KoblingError.invalid("/token", "This link is unknown, used or expired; subscribe again for a new one.")
            }
            try db.execute(
                sql: "UPDATE subscriber SET status = 'confirmed', confirmTokenHash = NULL, confirmExpiresAt = NULL, confirmedAt = ?, updatedAt = ? WHERE id = ?",
                arguments: [now, now, row["id"] as String])
            // Confirming is the address answering: mail reaches it again.
            try liftSuppression(of: row["email"], db)
            return SubscriptionState(listId: row["listId"], listName: row["listName"], email: row["email"], status: .confirmed)
        }
    }

    /// The subscription an unsubscribe token belongs to.
    public func subscription(unsubscribeToken token: String) async throws -> SubscriptionState? {
        try await read { db in try subscription(unsubscribeToken: token, db) }
    }

    private func subscription(unsubscribeToken token: String, _ db: Database) throws -> SubscriptionState? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT s.email, s.status, l.id AS listId, l.name AS listName
                FROM subscriber s JOIN mailingList l ON l.id = s.listId WHERE s.unsubscribeToken = ?
                """,
            arguments: [token]
        ).map { row in
            SubscriptionState(listId: row["listId"], listName: row["listName"], email: row["email"],
                              status: SubscriptionStatus(rawValue: row["status"]) ?? .unsubscribed)
        }
    }

    /// Unsubscribes at once (RFC 8058 one-click); doing it twice changes nothing. Re-subscribing
    /// needs a new confirmation.
    public func unsubscribe(token: String) async throws -> SubscriptionState {
        let now = self.now
        return try await write { db in
            try db.execute(
                sql: """
                    UPDATE subscriber SET status = 'unsubscribed', confirmTokenHash = NULL, confirmExpiresAt = NULL, updatedAt = ?
                    WHERE unsubscribeToken = ? AND status != 'unsubscribed'
                    """,
                arguments: [now, token])
            guard let state = try subscription(unsubscribeToken: token, db) else { throw KoblingError.notFound("This unsubscribe link is unknown.") }
            return state
        }
    }
}

/// A subscriber as organisers see it, with the consent record.
public struct Subscriber: Sendable, Equatable, Encodable {
    public var id: String
    public var email: String
    public var name: String?
    public var status: SubscriptionStatus
    public var consentText: String
    public var consentAt: String
    public var consentSource: String
    public var createdAt: String
    public var confirmedAt: String?
    public var language: PreferredLanguage?

    init(_ row: Row) {
        language = (row["language"] as String?).flatMap(PreferredLanguage.init)
        id = row["id"]
        email = row["email"]
        name = row["name"]
        status = SubscriptionStatus(rawValue: row["status"]) ?? .pending
        consentText = row["consentText"]
        consentAt = row["consentAt"]
        consentSource = row["consentSource"]
        createdAt = row["createdAt"]
        confirmedAt = row["confirmedAt"]
    }

    private enum CodingKeys: String, CodingKey {
        case id, email, name, status, consentText, consentAt, consentSource, createdAt, confirmedAt, language
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(email, forKey: .email)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        try container.encode(consentText, forKey: .consentText)
        try container.encode(consentAt, forKey: .consentAt)
        try container.encode(consentSource, forKey: .consentSource)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(confirmedAt, forKey: .confirmedAt)
        try container.encode(language, forKey: .language)
    }
}

extension AppDatabase {
    /// A list's subscribers by address, optionally of one status; 404 for an unknown list.
    public func subscribers(listId: String, status: SubscriptionStatus?, page: PageRequest) async throws -> Page<Subscriber> {
        try await read { db in
            guard try MailingListRecord.exists(db, key: listId) else { throw KoblingError.notFound("No such list.") }
            var query = ListQuery()
            query.require("listId = ?", listId)
            if let status { query.require("status = ?", status.rawValue) }
            if let after = page.after, after.count == 2 { query.require("(email, id) > (?, ?)", after[0], after[1]) }
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM subscriber \(query.filterClause) ORDER BY email, id LIMIT \(page.limit + 1)",
                arguments: query.arguments)
            return Page(fetched: rows.map(Subscriber.init), limit: page.limit) { [$0.email, $0.id] }
        }
    }

    /// Every subscriber of a list by address, for a CSV export.
    public func allSubscribers(listId: String) async throws -> [Subscriber] {
        try await read { db in
            guard try MailingListRecord.exists(db, key: listId) else { throw KoblingError.notFound("No such list.") }
            return try Row.fetchAll(db, sql: "SELECT * FROM subscriber WHERE listId = ? ORDER BY email, id", arguments: [listId])
                .map(Subscriber.init)
        }
    }
}

/// What an import did, row by row where a row was left alone.
public struct ImportReport: Sendable, Equatable, Encodable {
    public struct Skipped: Sendable, Equatable, Encodable {
        public var line: Int
        public var email: String
        public var reason: String
    }

    public var added = 0
    public var updated = 0
    public var skipped: [Skipped] = []
}

extension AppDatabase {
    /// Imports subscribers into a list in one transaction. New addresses are added as the CSV
    /// says; a pending subscription becomes confirmed with the imported consent record; an
    /// imported opt-out unsubscribes. An address that unsubscribed here or is suppressed is never
    /// subscribed again by an import: only the person can do that.
    public func importSubscribers(listId: String, _ rows: [ImportedSubscriber], source: String) async throws -> ImportReport {
        let now = self.now
        return try await write { db in
            guard let list = try MailingListRecord.fetchOne(db, key: listId) else { throw KoblingError.notFound("No such list.") }
            var report = ImportReport()
            for row in rows {
                let consentText = row.consentText ?? list.consentText
                let consentSource = row.consentSource ?? source
                let existing = try Row.fetchOne(
                    db, sql: "SELECT id, status FROM subscriber WHERE listId = ? AND email = ?", arguments: [listId, row.email.value])
                let suppressed = try String.fetchOne(db, sql: "SELECT reason FROM suppression WHERE email = ?", arguments: [row.email.value])
                let current = existing.flatMap { SubscriptionStatus(rawValue: $0["status"]) }
                func skip(_ reason: String) { report.skipped.append(.init(line: row.line, email: row.email.value, reason: reason)) }
                switch (row.status, current) {
                case (.confirmed, nil) where suppressed != nil:
                    skip("The address is suppressed after bounces; it must subscribe and confirm itself.")
                case (_, nil):
                    let confirmed = row.status == .confirmed
                    try db.execute(
                        sql: """
                            INSERT INTO subscriber (id, listId, email, name, status, unsubscribeToken, consentText, consentAt,
                              consentSource, createdAt, updatedAt, confirmedAt)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [ids.next("sub"), listId, row.email.value, row.name, row.status.rawValue, SecretToken.generate(),
                                    consentText, row.consentAt.isEmpty ? now : row.consentAt, consentSource, now, now,
                                    confirmed ? row.consentAt : nil])
                    report.added += 1
                case (.confirmed, .unsubscribed?), (.confirmed, .suppressed?):
                    skip("The address \(current == .unsubscribed ? "unsubscribed" : "is suppressed") here; only they can subscribe again.")
                case (.confirmed, .confirmed?), (.unsubscribed, .unsubscribed?):
                    if let name = row.name {
                        try db.execute(sql: "UPDATE subscriber SET name = ?, updatedAt = ? WHERE id = ? AND name IS NOT ?",
                                       arguments: [name, now, existing?["id"] as String?, name])
                        if db.changesCount > 0 { report.updated += 1; continue }
                    }
                    skip("Already \(row.status.rawValue); nothing to change.")
                case (.confirmed, .pending?):
                    try db.execute(
                        sql: """
                            UPDATE subscriber SET status = 'confirmed', name = COALESCE(?, name), confirmTokenHash = NULL, confirmExpiresAt = NULL,
                              consentText = ?, consentAt = ?, consentSource = ?, confirmedAt = ?, updatedAt = ?
                            WHERE id = ?
                            """,
                        arguments: [row.name, consentText, row.consentAt, consentSource, row.consentAt, now, existing?["id"] as String?])
                    report.updated += 1
                case (.unsubscribed, _):
                    try db.execute(
                        sql: "UPDATE subscriber SET status = 'unsubscribed', confirmTokenHash = NULL, confirmExpiresAt = NULL, updatedAt = ? WHERE id = ?",
                        arguments: [now, existing?["id"] as String?])
                    report.updated += 1
                }
            }
            return report
        }
    }
}
