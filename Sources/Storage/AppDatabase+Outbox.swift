import Foundation
import GRDB
import KoblingCore

/// An email waiting to go out, one recipient each. Written in the same transaction as the change
/// that causes it, so that the change and its email stand or fall together.
public struct OutboxMail: Sendable, Equatable {
    /// What the email is: passwordReset, confirmation, newsletterIssue…
    public var kind: String
    /// Makes a second enqueue of the same email a no-op (e.g. "issue:ID:subscriber:ID").
    public var dedupeKey: String?
    public var recipient: String
    /// The message, encoded by the sender's side (the outbox does not read it).
    public var message: Data

    public init(kind: String, dedupeKey: String? = nil, recipient: String, message: Data) {
        self.kind = kind
        self.dedupeKey = dedupeKey
        self.recipient = recipient
        self.message = message
    }
}

/// A row the worker is about to send, with what a newsletter row needs to be composed.
public struct ClaimedMail: Sendable {
    public struct Newsletter: Sendable, Equatable {
        public var issueId: String
        public var name: String?
        public var unsubscribeToken: String
    }

    public var entry: OutboxEntry
    /// Set for a newsletter row: its message is composed from the issue when it goes out.
    public var newsletter: Newsletter?
}

/// One outbox row as organisers and the worker see it.
public struct OutboxEntry: Sendable, Equatable, Encodable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case queued, sending, sent, failed
        /// Not sent after all: unsubscribed or suppressed before its turn, or its send cancelled.
        case skipped
    }

    public var id: String
    public var kind: String
    public var recipient: String
    public var status: Status
    public var attempts: Int
    public var notBefore: String
    public var lastError: String?
    public var messageId: String?
    public var reply: String?
    public var createdAt: String
    public var sentAt: String?
    /// The newsletter issue the row belongs to.
    public var issueId: String?
    /// The message itself; left out of listings.
    public var message: Data?

    init(_ record: OutboxRecord, withMessage: Bool) {
        id = record.id
        kind = record.kind
        recipient = record.recipient
        status = Status(rawValue: record.status) ?? .failed
        attempts = record.attempts
        notBefore = record.notBefore
        lastError = record.lastError
        messageId = record.messageId
        reply = record.reply
        createdAt = record.createdAt
        sentAt = record.sentAt
        issueId = record.issueId
        message = withMessage ? record.message : nil
    }

    private enum CodingKeys: String, CodingKey {
        case id, kind, recipient, status, attempts, notBefore, lastError, messageId, reply, createdAt, sentAt, issueId
    }

    /// Every field, null when empty, as the spec says.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(recipient, forKey: .recipient)
        try container.encode(status, forKey: .status)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(notBefore, forKey: .notBefore)
        try container.encode(lastError, forKey: .lastError)
        try container.encode(messageId, forKey: .messageId)
        try container.encode(reply, forKey: .reply)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(sentAt, forKey: .sentAt)
        try container.encode(issueId, forKey: .issueId)
    }
}

extension AppDatabase {
    /// Adds an email to the outbox inside a transaction the caller already holds. A row with the
    /// same dedupe key makes this a no-op; answers whether a row was added.
    @discardableResult
    func enqueue(_ mail: OutboxMail, _ db: Database) throws -> Bool {
        let now = self.now
        if let key = mail.dedupeKey,
           try Int.fetchOne(db, sql: "SELECT 1 FROM outbox WHERE dedupeKey = ?", arguments: [key]) != nil {
            return false
        }
        try OutboxRecord(
            id: ids.next("mail"), kind: mail.kind, dedupeKey: mail.dedupeKey, recipient: mail.recipient, message: mail.message,
            status: OutboxEntry.Status.queued.rawValue, attempts: 0, notBefore: now, lastError: nil, messageId: nil,
            reply: nil, createdAt: now, updatedAt: now, sentAt: nil, issueId: nil, subscriberId: nil
        ).insert(db)
        return true
    }

    /// Adds emails to the outbox in one transaction (for mail no other change causes).
    public func enqueue(_ mails: [OutboxMail]) async throws {
        try await writer.write { db in
            for mail in mails { try enqueue(mail, db) }
        }
    }

    /// Rows left "sending" by a process that stopped mid-send. Whether the server took them is
    /// unknown; they are queued again, so a message may arrive twice but is never lost (at most as
    /// many as were in flight: the connection count). Answers how many.
    public func requeueInterruptedMail() async throws -> Int {
        let now = self.now
        return try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE outbox SET status = 'queued', notBefore = ?, updatedAt = ?,
                      lastError = 'interrupted by a restart while sending; sent again'
                    WHERE status = 'sending'
                    """,
                arguments: [now, now])
            return db.changesCount
        }
    }

    /// Kinds of mail a person asks for themself (a confirmation link, a password reset): they go
    /// out even to a suppressed address, since confirming again is how suppression ends.
    public static let requestedKinds: Set<String> = ["subscriptionConfirmation", "passwordReset"]

    /// Marks the next due row "sending" and answers it, oldest first; nil when nothing is due.
    /// Rows of a newsletter whose send is paused or cancelled wait; a row whose subscriber
    /// unsubscribed meanwhile, or whose address is suppressed, is marked skipped instead. Marking
    /// one row at a time, just before its SMTP transaction, keeps the rows a crash can leave
    /// "sending" to those really in flight.
    public func claimNextMail() async throws -> ClaimedMail? {
        let now = self.now
        return try await writer.write { db in
            while true {
                guard var record = try OutboxRecord.fetchOne(
                    db,
                    sql: """
                        SELECT * FROM outbox o
                        WHERE o.status = 'queued' AND o.notBefore <= ?
                          AND (o.issueId IS NULL
                               OR EXISTS (SELECT 1 FROM newsletterIssue i WHERE i.id = o.issueId AND i.status = 'sending'))
                        ORDER BY o.notBefore, o.createdAt, o.id LIMIT 1
                        """,
                    arguments: [now])
                else { return nil }
                var newsletter: ClaimedMail.Newsletter?
                if let issueId = record.issueId {
                    let subscriber = try Row.fetchOne(
                        db, sql: "SELECT name, status, unsubscribeToken FROM subscriber WHERE id = ?", arguments: [record.subscriberId])
                    guard let subscriber, subscriber["status"] == SubscriptionStatus.confirmed.rawValue else {
                        let status: String = subscriber?["status"] ?? "erased"
                        try skip(record.id, reason: "not sent: the subscriber is \(status) now", now: now, db)
                        continue
                    }
                    newsletter = ClaimedMail.Newsletter(
                        issueId: issueId, name: subscriber["name"], unsubscribeToken: subscriber["unsubscribeToken"])
                }
                if !Self.requestedKinds.contains(record.kind),
                   let reason = try String.fetchOne(db, sql: "SELECT reason FROM suppression WHERE email = ?", arguments: [record.recipient]) {
                    try skip(record.id, reason: "not sent: the address is suppressed (\(reason))", now: now, db)
                    continue
                }
                record.status = OutboxEntry.Status.sending.rawValue
                record.attempts += 1
                record.updatedAt = now
                try record.update(db)
                return ClaimedMail(entry: OutboxEntry(record, withMessage: true), newsletter: newsletter)
            }
        }
    }

    private func skip(_ id: String, reason: String, now: String, _ db: Database) throws {
        try db.execute(sql: "UPDATE outbox SET status = 'skipped', lastError = ?, updatedAt = ? WHERE id = ?", arguments: [reason, now, id])
    }

    /// The server took the message (its 250 came back).
    public func markMailSent(id: String, messageId: String, reply: String) async throws {
        let now = self.now
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE outbox SET status = 'sent', messageId = ?, reply = ?, sentAt = ?, updatedAt = ?, lastError = NULL WHERE id = ?",
                arguments: [messageId, reply, now, now, id])
        }
    }

    /// The message will not go through; the reason stays for organisers to read.
    public func markMailFailed(id: String, reason: String) async throws {
        let now = self.now
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE outbox SET status = 'failed', lastError = ?, updatedAt = ? WHERE id = ?",
                arguments: [reason, now, id])
        }
    }

    /// Try again after `delay`.
    public func retryMail(id: String, after delay: TimeInterval, reason: String) async throws {
        let now = clock.now()
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE outbox SET status = 'queued', notBefore = ?, lastError = ?, updatedAt = ? WHERE id = ?",
                arguments: [Timestamp.string(now + delay), reason, Timestamp.string(now), id])
        }
    }

    /// The outbox for organisers, oldest first, optionally of one status or one newsletter issue.
    public func outbox(status: OutboxEntry.Status?, issueId: String? = nil, page: PageRequest) async throws -> Page<OutboxEntry> {
        try await writer.read { db in
            var request = OutboxRecord.all()
            if let status { request = request.filter(OutboxRecord.Columns.status == status.rawValue) }
            if let issueId { request = request.filter(Column("issueId") == issueId) }
            if let after = page.after, after.count == 2 {
                request = request.filter(sql: "(createdAt, id) > (?, ?)", arguments: [after[0], after[1]])
            }
            let records = try request
                .order(OutboxRecord.Columns.createdAt, OutboxRecord.Columns.id)
                .limit(page.limit + 1)
                .fetchAll(db)
            return Page(fetched: records.map { OutboxEntry($0, withMessage: false) }, limit: page.limit) { [$0.createdAt, $0.id] }
        }
    }

    /// How many rows are in each status.
    public func outboxCounts() async throws -> [OutboxEntry.Status: Int] {
        try await writer.read { db in
            var counts: [OutboxEntry.Status: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status") {
                if let status = OutboxEntry.Status(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }
}
