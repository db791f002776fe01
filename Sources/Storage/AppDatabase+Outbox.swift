import Foundation
import GRDB
import KoblingCore

/// What an email is, as the outbox records it: one name a kind, used by whoever queues it.
public enum MailKind {
    public static let passwordReset = "passwordReset"
    public static let subscriptionConfirmation = "subscriptionConfirmation"
    public static let newsletterIssue = "newsletterIssue"
    public static let newsletterTest = "newsletterTest"
    public static let addressVerification = "addressVerification"
    /// Tells an account's previous address that it was changed.
    public static let addressChanged = "addressChanged"
    /// A published round's proposals, the reminder before its deadline, and introductions.
    public static let roundProposals = "roundProposals"
    public static let roundReminder = "roundReminder"
    public static let introduction = "introduction"
    /// A person's meetings at a round's matchmaking session.
    public static let sessionMeetings = "sessionMeetings"

    /// Kinds of mail a person asks for themself (and the warning that their address changed):
    /// they go out even to a suppressed address, since confirming again is how suppression ends.
    public static let requested: Set<String> = [passwordReset, subscriptionConfirmation, addressVerification, addressChanged]
}

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

/// How sending one outbox row went.
public enum MailOutcome: Sendable, Equatable {
    /// The server took it: its Message-ID and the server's reply.
    case sent(id: String, messageId: String, reply: String)
    /// It will not go through.
    case failed(id: String, reason: String)
    /// Try again after a delay (seconds).
    case retry(id: String, after: TimeInterval, reason: String)
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
    /// While the row is sending: the worker that claimed it, when, and until when its claim
    /// holds unless renewed.
    public var claimedBy: String?
    public var claimedAt: String?
    public var leaseUntil: String?
    /// The message itself; left out of listings.
    public var message: Data?

    init(id: String, kind: String, recipient: String, status: Status, attempts: Int, notBefore: String, createdAt: String,
         issueId: String?, message: Data?) {
        self.id = id
        self.kind = kind
        self.recipient = recipient
        self.status = status
        self.attempts = attempts
        self.notBefore = notBefore
        self.createdAt = createdAt
        self.issueId = issueId
        self.message = message
    }

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
        claimedBy = record.claimedBy
        claimedAt = record.claimedAt
        leaseUntil = record.leaseUntil
        message = withMessage ? record.message : nil
    }

    private enum CodingKeys: String, CodingKey {
        case id, kind, recipient, status, attempts, notBefore, lastError, messageId, reply, createdAt, sentAt, issueId
        case claimedBy, claimedAt, leaseUntil
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
        try container.encode(claimedBy, forKey: .claimedBy)
        try container.encode(claimedAt, forKey: .claimedAt)
        try container.encode(leaseUntil, forKey: .leaseUntil)
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
            reply: nil, createdAt: now, updatedAt: now, sentAt: nil, issueId: nil, subscriberId: nil,
            claimedBy: nil, claimedAt: nil, leaseUntil: nil
        ).insert(db)
        return true
    }

    /// Adds emails to the outbox in one transaction (for mail no other change causes).
    public func enqueue(_ mails: [OutboxMail]) async throws {
        try await write { db in
            for mail in mails { try enqueue(mail, db) }
        }
    }

    /// Rows left "sending" by a process that stopped mid-send. Those the delivery journal says
    /// the server took are recorded sent; whether the server took the others is unknown, so
    /// they are queued again: a message may arrive twice but is never lost (at most one a
    /// connection). Answers how many were queued again.
    public func requeueInterruptedMail() async throws -> Int {
        let journal = self.journal
        let now = self.now
        return try await onWriteThread {
            let taken = try journal.entries()
            let requeued = try writer.write { db in
                try markSent(taken, db)
                try db.execute(
                    sql: """
                        UPDATE outbox SET status = 'queued', notBefore = ?, updatedAt = ?, \(LeasedRows.release),
                          lastError = 'interrupted by a restart while sending; sent again'
                        WHERE status = 'sending'
                        """,
                    arguments: [now, now])
                return db.changesCount
            }
            try journal.clear()
            return requeued
        }
    }

    /// Notes at once, in the delivery journal, that the server took a row's message; the row
    /// itself is settled later with other outcomes (`settleAndClaim`).
    @available(*, noasync, message: "blocks its thread; for the outbox's sending thread")
    public func recordTaken(id: String, messageId: String, reply: String) throws {
        try faults.translating {
            try journal.append(.init(id: id, at: Timestamp.string(clock.now()), messageId: messageId, reply: reply))
        }
    }

    /// Settles the rows the delivery journal holds that still say "sending" (after a run that
    /// stopped on a database error), then empties the journal.
    public func applyDeliveryJournal() async throws {
        let journal = self.journal
        try await onWriteThread {
            guard !journal.isEmpty else { return }
            let taken = try journal.entries()
            try writer.write { db in try markSent(taken, db) }
            try journal.clear()
        }
    }

    private func markSent(_ taken: [DeliveryJournal.Entry], _ db: Database) throws {
        for entry in taken { try markSent(entry.id, messageId: entry.messageId, reply: entry.reply, at: entry.at, db) }
    }

    /// The server took the row's message (its 250 came back). Only a row still "sending" is
    /// changed, so the journal and the ledger may both say so.
    private func markSent(_ id: String, messageId: String, reply: String, at stamp: String, _ db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE outbox SET status = 'sent', messageId = ?, reply = ?, sentAt = ?, updatedAt = ?, lastError = NULL, \(LeasedRows.release)
            WHERE id = ? AND status = 'sending'
            """).execute(arguments: [messageId, reply, stamp, stamp, id])
    }

    /// Empties the delivery journal once every outcome it holds is in the database.
    public func clearDeliveryJournal() async throws {
        let journal = self.journal
        try await onWriteThread { try journal.clear() }
    }

    /// Marks the next due row "sending", claimed by `holder`, and answers it, oldest first; nil
    /// when nothing is due.
    public func claimNextMail(holder: LeaseHolder = LeaseHolder(id: "direct"), terms: LeaseTerms = .standard) async throws -> ClaimedMail? {
        let now = clock.now()
        return try await write { db in try claim(1, now: now, lease: (holder, terms), db).first }
    }

    /// Hands back to the queue the rows whose claim lapsed: their holder stopped without an
    /// outcome or a renewal. Answers how many.
    public func reclaimLapsedMail() async throws -> Int {
        let now = self.now
        return try await write { db in try LeasedRows.outbox.reclaimLapsed(now: now, db) }
    }

    /// What the sender asks of a transaction: record its last outcome, claim rows to send next,
    /// and hand back rows it claimed but will not send.
    public struct SendRequest: Sendable {
        public var outcome: MailOutcome?
        public var claim: Int
        public var release: [String]

        public init(outcome: MailOutcome?, claim: Int, release: [String] = []) {
            self.outcome = outcome
            self.claim = claim
            self.release = release
        }
    }

    /// What a transaction answers: each request's claimed rows, in request order, and which
    /// newsletter issues are still being sent (rows of others that the sender holds go back).
    public struct SendAnswers: Sendable {
        public var claimed: [[ClaimedMail]]
        public var issuesSending: Set<String>
    }

    /// Several requests in one transaction (a group commit): every outcome is recorded
    /// and every released row queued again, then rows claimed for each request that asks, oldest
    /// first.
    ///
    /// A claimed row is marked "sending" before its SMTP transaction starts. Rows of a newsletter
    /// whose send is paused or cancelled wait; a row whose subscriber unsubscribed meanwhile, or
    /// whose address is suppressed, is marked skipped instead.
    ///
    /// Synchronous: the worker calls it from a thread of its own, and a write from one runs on
    /// that thread without a hop.
    ///
    /// The rows are claimed by `holder` on `terms`; with `renew`, every claim the holder has is
    /// extended, and the claims of others that lapsed go back to the queue.
    @available(*, noasync, message: "blocks its thread; for the outbox's ledger thread")
    public func settleAndClaim(_ requests: [SendRequest], holder: LeaseHolder, terms: LeaseTerms, renew: Bool = false) throws -> SendAnswers {
        let now = clock.now()
        let stamp = Timestamp.string(now)
        return try faults.translating { try writer.write { db in
            for request in requests {
                if let outcome = request.outcome { try settle(outcome, now: now, db) }
                for id in request.release { try release(id, now: stamp, db) }
            }
            if renew {
                try LeasedRows.outbox.renew(holder, until: Timestamp.string(terms.expiry(from: now)), db)
                _ = try LeasedRows.outbox.reclaimLapsed(now: stamp, db)
            }
            // Claimed together, oldest first, then shared out in the order the requests came.
            var rows = try claim(requests.reduce(0) { $0 + $1.claim }, now: now, lease: (holder, terms), db)[...]
            let claimed = requests.map { request in
                defer { rows = rows.dropFirst(request.claim) }
                return Array(rows.prefix(request.claim))
            }
            let sending = try db.cachedStatement(sql: "SELECT id FROM newsletterIssue WHERE status = 'sending'")
            return SendAnswers(claimed: claimed, issuesSending: Set(try String.fetchAll(sending)))
        } }
    }

    /// A claimed row that will not be sent now goes back to the queue, or is skipped as the
    /// cancel skipped the rest of its issue's queue if its send was cancelled meanwhile.
    private func release(_ id: String, now: String, _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE outbox SET status = 'queued', attempts = attempts - 1, updatedAt = ?, \(LeasedRows.release) WHERE id = ? AND status = 'sending'")
            .execute(arguments: [now, id])
        try db.cachedStatement(sql: """
            UPDATE outbox SET status = 'skipped', lastError = 'not sent: the send was cancelled'
            WHERE id = ? AND status = 'queued' AND issueId IN (SELECT id FROM newsletterIssue WHERE status = 'cancelled')
            """).execute(arguments: [id])
    }

    /// Claims up to `count` due rows, oldest first, with one query for a batch of them; rows whose
    /// subscriber is no longer confirmed, or whose address is suppressed, are skipped on the way.
    private func claim(_ count: Int, now date: Date, lease: (holder: LeaseHolder, terms: LeaseTerms), _ db: Database) throws -> [ClaimedMail] {
        guard count > 0 else { return [] }
        let now = Timestamp.string(date)
        let until = Timestamp.string(lease.terms.expiry(from: date))
        let due = try db.cachedStatement(sql: """
            SELECT o.id, o.kind, o.recipient, o.message, o.attempts, o.notBefore, o.createdAt, o.issueId,
              s.status AS subscriberStatus, s.name AS subscriberName, s.unsubscribeToken,
              (SELECT reason FROM suppression WHERE email = o.recipient) AS suppressed
            FROM outbox o LEFT JOIN subscriber s ON s.id = o.subscriberId
            WHERE o.status = 'queued' AND o.notBefore <= ?
              AND (o.issueId IS NULL
                   OR EXISTS (SELECT 1 FROM newsletterIssue i WHERE i.id = o.issueId AND i.status = 'sending'))
            ORDER BY o.notBefore, o.createdAt, o.id LIMIT ?
            """)
        let markSending = try db.cachedStatement(sql: "UPDATE outbox SET \(LeasedRows.outbox.claim), attempts = attempts + 1, updatedAt = ? WHERE id = ?")
        var claimed: [ClaimedMail] = []
        // Skipped rows leave the queue, so a batch that skipped some is followed by another.
        while claimed.count < count {
            let asked = count - claimed.count
            let rows = try Row.fetchAll(due, arguments: [now, asked])
            for row in rows {
                let id: String = row["id"]
                let kind: String = row["kind"]
                var newsletter: ClaimedMail.Newsletter?
                if let issueId: String = row["issueId"] {
                    guard let status: String = row["subscriberStatus"], status == SubscriptionStatus.confirmed.rawValue else {
                        let status: String = row["subscriberStatus"] ?? "erased"
                        try skip(id, reason: "not sent: the subscriber is \(status) now", now: now, db)
                        continue
                    }
                    newsletter = ClaimedMail.Newsletter(issueId: issueId, name: row["subscriberName"], unsubscribeToken: row["unsubscribeToken"])
                }
                if !MailKind.requested.contains(kind), let reason: String = row["suppressed"] {
                    try skip(id, reason: "not sent: the address is suppressed (\(reason))", now: now, db)
                    continue
                }
                try markSending.execute(arguments: [lease.holder.id, now, until, now, id])
                let entry = OutboxEntry(
                    id: id, kind: kind, recipient: row["recipient"], status: .sending, attempts: row["attempts"] + 1,
                    notBefore: row["notBefore"], createdAt: row["createdAt"], issueId: row["issueId"], message: row["message"])
                claimed.append(ClaimedMail(entry: entry, newsletter: newsletter))
            }
            if rows.count < asked { break }
        }
        return claimed
    }

    private func skip(_ id: String, reason: String, now: String, _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE outbox SET status = 'skipped', lastError = ?, updatedAt = ? WHERE id = ?")
            .execute(arguments: [reason, now, id])
    }

    private func settle(_ outcome: MailOutcome, now: Date, _ db: Database) throws {
        let stamp = Timestamp.string(now)
        switch outcome {
        case .sent(let id, let messageId, let reply):
            try markSent(id, messageId: messageId, reply: reply, at: stamp, db)
        case .failed(let id, let reason):
            // It will not go through; the reason stays for organisers to read.
            try db.cachedStatement(sql: "UPDATE outbox SET status = 'failed', lastError = ?, updatedAt = ?, \(LeasedRows.release) WHERE id = ?")
                .execute(arguments: [reason, stamp, id])
        case .retry(let id, let delay, let reason):
            try db.cachedStatement(sql: "UPDATE outbox SET status = 'queued', notBefore = ?, lastError = ?, updatedAt = ?, \(LeasedRows.release) WHERE id = ?")
                .execute(arguments: [Timestamp.string(now + delay), reason, stamp, id])
        }
    }

    /// The outbox for organisers, oldest first, optionally of one status or one newsletter issue.
    public func outbox(status: OutboxEntry.Status?, issueId: String? = nil, page: PageRequest) async throws -> Page<OutboxEntry> {
        try await read { db in
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
        try await read { db in
            var counts: [OutboxEntry.Status: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status") {
                if let status = OutboxEntry.Status(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }
}
